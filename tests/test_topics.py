"""Topic clusters on a real LanceDB store with three planted topics of real podcast sentences."""

from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import Settings
from pipeline.engine.labels import auto_label, topic_phrases
from pipeline.engine.topic_edits import merge_topics, rename_topic
from pipeline.engine.topic_names import Name, carry_names, forget_unsaid
from pipeline.engine.topic_views import topic_insights, topic_list, topic_map, topic_trend, trend_freq
from pipeline.engine.topics import LABEL_MEMBERS, _choose_k, _label_sample, assign_topics, topics
from pipeline.errors import PodbriefError
from pipeline.store import Store, open_store, sql_in
from tests.engine_fixtures import Engine, add_extra_insights, build_engine
from tests.openai_server import reply, server_error


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return build_engine(tmp_path / "db")


def _assignments(store: Store) -> dict[str, str]:
    return {r["insight_id"]: r["topic_id"] for r in store.rows("insight_topics", columns=["insight_id", "topic_id"])}


def _majority(engine: Engine, assigned: dict[str, str]) -> dict[str, tuple[str, float]]:
    """For each planted topic, its most common topic id and the share of its insights there."""
    out = {}
    for planted in ("go", "ai", "podcasting"):
        counts = Counter(assigned[i] for i in engine.ids(planted))
        topic_id, n = counts.most_common(1)[0]
        out[planted] = (topic_id, n / sum(counts.values()))
    return out


def test_clusters_recover_the_planted_topics_and_leave_no_insight_out(engine: Engine) -> None:
    run = topics(engine.store, rebuild=True, settings=Settings())
    assert run.reclustered and run.insights == 90 and run.new == run.topics
    rows = engine.store.rows("insight_topics")
    assert len(rows) == 90  # no outlier bucket
    assert all(r["topic_id"] and r["x"] is not None and r["y"] is not None for r in rows)
    assert "topic_id" not in engine.store.table("insights").schema.names  # the vector-indexed rows are never rewritten
    majority = _majority(engine, _assignments(engine.store))
    assert len({topic_id for topic_id, _ in majority.values()}) == 3
    assert all(share >= 0.75 for _, share in majority.values()), majority
    listed = topic_list(engine.store)
    assert sum(t["size"] for t in listed) == 90
    podcasting = next(t for t in listed if t["topic_id"] == majority["podcasting"][0])
    assert "podcast" in podcasting["keywords"][:3] and podcasting["label_source"] == "phrases"
    for topic in listed:  # a 2-4 word phrase its members say, not a bag of words
        assert 2 <= len(topic["label"].split()) <= 4 and "," not in topic["label"], topic["label"]
        members = " ".join(r["text"] for r in topic_insights(engine.store, topic["topic_id"], limit=100)).lower()
        assert topic["label"].lower() in members


def test_reclustering_with_ten_percent_new_insights_keeps_topic_ids_and_labels(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    before = _assignments(engine.store)
    labels_before = {t["topic_id"]: t["label"] for t in topic_list(engine.store)}
    added = add_extra_insights(engine)
    assert len(added) == 9
    run = topics(engine.store, rebuild=True, settings=Settings())
    after = _assignments(engine.store)
    labels_after = {t["topic_id"]: t["label"] for t in topic_list(engine.store)}
    assert run.kept == len(labels_before) and run.dropped == 0
    assert set(labels_before) <= set(labels_after)
    assert all(labels_after[t] == label for t, label in labels_before.items())
    unchanged = sum(before[i] == after[i] for i in before) / len(before)
    assert unchanged >= 0.95
    majority = _majority(engine, after)
    for planted in ("go", "ai", "podcasting"):
        new_ids = [i for i in added if engine.topic_of[i] == planted]
        assert sum(after[i] == majority[planted][0] for i in new_ids) >= 2


def test_new_insights_join_their_nearest_topic_between_reclusterings(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    before = _assignments(engine.store)
    majority = _majority(engine, before)
    added = add_extra_insights(engine)  # 10% growth: below the re-clustering threshold
    assign_topics(engine.store, added)
    after = _assignments(engine.store)
    assert all(after[i] == topic_id for i, topic_id in before.items())  # no re-clustering happened
    assert sum(after[i] == majority[engine.topic_of[i]][0] for i in added) >= 7
    assert engine.store.count("insight_topics", "x IS NOT NULL AND topic_id IS NOT NULL") == engine.store.count("insights")
    assert {t["topic_id"]: t["size"] for t in topic_list(engine.store)} == dict(Counter(after.values()))


def test_topics_without_rebuild_only_assigns_unassigned_insights(engine: Engine) -> None:
    first = topics(engine.store, settings=Settings())  # no topics yet: clusters
    assert first.reclustered
    before = _assignments(engine.store)
    cleared = [i for i, feed_id in engine.feed_of.items() if feed_id in {"feed-a", "feed-b"}]
    engine.store.delete("insight_topics", sql_in("insight_id", cleared))
    assert len(cleared) >= 40
    add_extra_insights(engine)
    second = topics(engine.store, settings=Settings())
    assert not second.reclustered and second.assigned == len(cleared) + 9
    assert engine.store.count("insight_topics") == engine.store.count("insights")
    after = _assignments(engine.store)
    assert sum(after[i] == before[i] for i in before) >= 0.9 * len(before)


def test_llm_labels_topics_when_configured(engine: Engine, openai_server) -> None:
    openai_server.script(reply("Label: \"Go In Production\"\n"), reply("Data Science For Everyone"), reply("Podcast Growth"))
    settings = Settings(openai_base_url=openai_server.base_url, podbrief_llm_model="fake-llm")
    topics(engine.store, rebuild=True, settings=settings)
    listed = topic_list(engine.store)
    assert {t["label"] for t in listed} == {"Go In Production", "Data Science For Everyone", "Podcast Growth"}
    assert {t["label_source"] for t in listed} == {"llm"}
    body = openai_server.chat_requests()[0].body
    assert body["model"] == "fake-llm" and "<insights>" in body["messages"][1]["content"]


def test_llm_failure_keeps_keyword_labels_and_stops_asking(engine: Engine, openai_server) -> None:
    openai_server.script(server_error(500), server_error(500))
    settings = Settings(openai_base_url=openai_server.base_url, podbrief_llm_model="fake-llm")
    topics(engine.store, rebuild=True, settings=settings)
    listed = topic_list(engine.store)
    assert all(t["label_source"] == "phrases" for t in listed)
    assert len(openai_server.chat_requests()) == 2  # one request and its one retry, then no more for this run


def test_map_trend_and_topic_insights_read_back(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    frame = topic_map(engine.store)
    assert len(frame) == 90 and frame["label"].notna().all()
    assert len(topic_map(engine.store, max_points=30)) <= 30
    trend = topic_trend(engine.store, freq="D")
    assert sorted(trend["period"].unique()) == ["2024-05-06", "2024-05-07", "2024-05-08", "2024-05-09", "2024-05-10"]
    assert trend["count"].sum() == 90
    sizes = {t["topic_id"]: t["size"] for t in topic_list(engine.store)}
    assert trend.groupby("topic_id")["count"].sum().to_dict() == sizes
    first = next(iter(sizes))
    listed = topic_insights(engine.store, first, limit=100)
    assert len(listed) == sizes[first]
    assert [r["published"] for r in listed] == sorted((r["published"] for r in listed), reverse=True)


def test_too_few_insights_make_no_topics(tmp_path: Path) -> None:
    store = Store(tmp_path / "empty")
    run = topics(store, rebuild=True, settings=Settings())
    assert run.topics == 0 and store.count("topics") == 0
    assign_topics(store, ["nothing"])  # no topics, no insights: nothing to do, no error


def test_the_seeded_demo_gets_several_topics_and_a_full_brief(seeded_db: Path) -> None:
    """Topics made while ingesting episode by episode: a k chosen on the first dozen insights must not stick."""
    from pipeline.engine.briefs import assemble_brief, latest_brief_date

    store = Store(seeded_db)
    listed = topic_list(store)
    assert len(listed) >= 5, [(t["label"], t["size"]) for t in listed]
    assert max(t["size"] for t in listed) <= 0.5 * sum(t["size"] for t in listed), "no catch-all topic"
    brief = assemble_brief(store, latest_brief_date(store))
    assert len(brief.picks) == 5 and not brief.shortfall


def test_trend_and_map_carry_what_the_explore_filters_need(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    everyone = topic_trend(engine.store, freq="D")
    one = topic_trend(engine.store, freq="D", feed_ids=["feed-a"])
    assert 0 < one["count"].sum() < everyone["count"].sum()
    assert one["count"].sum() == engine.store.count("insights", "feed_id = 'feed-a' AND published IS NOT NULL")
    points = topic_map(engine.store)
    assert points["published"].notna().all() and len(points) == 90


def test_a_topic_is_renamed_only_when_most_of_its_members_change(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    majority = _majority(engine, _assignments(engine.store))
    go_topic = majority["go"][0]
    earlier = " ".join(topic_insights(engine.store, go_topic)[0]["text"].split()[:3])  # a name its members say
    engine.store.update("topics", go_topic, {"label": earlier, "label_source": "phrases"})
    topics(engine.store, rebuild=True, settings=Settings())  # same members: the name stays
    assert _label(engine, go_topic) == earlier
    # Most of its members now look as if they had been elsewhere before: the machine names it afresh.
    engine.store.update_where("insight_topics", f"topic_id = '{go_topic}'", {"topic_id": majority["ai"][0]})
    topics(engine.store, rebuild=True, settings=Settings())
    assert _label(engine, go_topic) != earlier


def _label(engine: Engine, topic_id: str) -> str:
    return next(t["label"] for t in topic_list(engine.store) if t["topic_id"] == topic_id)


def test_an_editors_name_survives_reclustering_and_new_insights(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    go_topic = _majority(engine, _assignments(engine.store))["go"][0]
    renamed = rename_topic(engine.store, go_topic, "  Go   in production ", editor="ed")
    assert renamed["label"] == "Go in production" and renamed["edited_by"] == "ed"
    add_extra_insights(engine)
    topics(engine.store, rebuild=True, settings=Settings())
    assert _label(engine, go_topic) == "Go in production"
    # Even when its members had all been filed elsewhere, the name follows them to their new cluster.
    engine.store.update_where("insight_topics", f"topic_id = '{go_topic}'", {"topic_id": None})
    engine.store.delete("topics", f"topic_id != '{go_topic}'")
    topics(engine.store, rebuild=True, settings=Settings())
    go_now = _majority(engine, _assignments(engine.store))["go"][0]
    assert _label(engine, go_now) == "Go in production"
    assert next(t for t in topic_list(engine.store) if t["topic_id"] == go_now)["label_source"] == "editor"


def test_a_merge_holds_across_reclustering(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    majority = _majority(engine, _assignments(engine.store))
    keep, other = majority["go"][0], majority["ai"][0]
    merged = merge_topics(engine.store, keep, other, editor="ed")
    assert merged["merged_ids"] == [other] and engine.store.count("topics", f"topic_id = '{other}'") == 0
    assert engine.store.count("insight_topics", f"topic_id = '{other}'") == 0
    assert merged["size"] == engine.store.count("insight_topics", f"topic_id = '{keep}'")
    run = topics(engine.store, rebuild=True, settings=Settings())
    after = _assignments(engine.store)
    together = [after[i] for i in engine.ids("go") + engine.ids("ai")]
    assert Counter(together).most_common(1)[0][1] >= 0.9 * len(together), run.message  # k-means split them; fused again
    assert sum(t["topic_id"] == keep for t in topic_list(engine.store)) == 1


def test_renaming_and_merging_refuse_bad_input_clearly(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    first = topic_list(engine.store)[0]["topic_id"]
    with pytest.raises(PodbriefError, match="Type a name for the topic"):
        rename_topic(engine.store, first, "   ", editor="ed")
    with pytest.raises(PodbriefError, match="at most 60 characters"):
        rename_topic(engine.store, first, "x" * 61, editor="ed")
    with pytest.raises(PodbriefError, match="There is no topic 'topic-9999'"):
        rename_topic(engine.store, "topic-9999", "Name", editor="ed")
    with pytest.raises(PodbriefError, match="two different topics"):
        merge_topics(engine.store, first, first, editor="ed")


def test_topics_over_time_fill_the_empty_periods_and_the_period_suits_the_range(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    weeks = topic_trend(engine.store, freq="W", start=date(2024, 3, 1), end=date(2024, 5, 31))
    periods = sorted(weeks["period"].unique())
    assert periods[0] == "2024-02-26" and periods[-1] == "2024-05-27" and len(periods) == 14  # every week is there
    per_week = weeks.groupby("period")["count"].sum()
    assert per_week["2024-03-04"] == 0 and per_week["2024-05-06"] == 90
    assert set(weeks["topic_id"]) == {t["topic_id"] for t in topic_list(engine.store)}
    assert len(weeks) == 14 * len(topic_list(engine.store))  # one row per week and topic, zero where none
    assert trend_freq(date(2024, 5, 1), date(2024, 5, 31)) == "D"
    assert trend_freq(date(2024, 1, 1), date(2024, 5, 31)) == "W"
    assert trend_freq(date(2023, 1, 1), date(2024, 5, 31)) == "M"


def test_no_two_topics_share_a_name(seeded_db: Path) -> None:
    labels = [t["label"].lower() for t in open_store(str(seeded_db)).rows("topics")]
    assert len(labels) > 2 and len(set(labels)) == len(labels)  # one name would read, and chart, as one topic


def test_a_topic_whose_shared_phrase_is_taken_is_named_by_a_phrase_it_said_not_by_a_keyword_list() -> None:
    texts = ["Open source wins when maintainers get paid.", "Open source needs paid maintainers too.",
             "Open source licences protect the commons.", "Open source funding keeps volunteer maintainers going.",
             "Open source business models sell hosting.", "Open source companies sell support contracts."]
    labels = np.array([0, 0, 0, 1, 1, 1])
    phrases = topic_phrases(texts, labels, 2)
    first = auto_label(phrases[0], [], frozenset())[0]
    second, source = auto_label(phrases[1], ["open", "source", "business"], frozenset({first.lower()}))

    assert first == "Open source" and source == "phrases" and second.lower() != "open source"
    assert any(second.lower() in text.lower() for text in texts[3:])  # said by its own members


def test_labels_come_from_at_most_label_members_of_each_topic_and_all_of_a_small_one() -> None:
    labels = np.array([0] * (LABEL_MEMBERS + 50) + [1] * 7 + [0] * 50)

    sample = _label_sample(labels)

    assert np.bincount(labels[sample]).tolist() == [LABEL_MEMBERS, 7]
    assert sample.tolist() == sorted(set(sample.tolist()))


def test_insights_held_back_from_briefs_name_a_topic_only_when_it_holds_nothing_else() -> None:
    labels = np.array([0, 0, 0, 1, 1, 0])
    held_back = np.array([True, False, False, True, True, True])  # a garbled passage, a sponsor read, ...

    sample = _label_sample(labels, held_back)

    assert sample.tolist() == [1, 2, 3, 4]


def test_a_phrase_that_opens_on_an_action_names_a_topic_only_when_nothing_else_does() -> None:
    texts = ["We want to build framework builds that run on every platform.",  # Practical AI 101's words
             "You have to build framework builds of each library for the raw GL context.",
             "Framework builds are incompatible with each other on macOS.",
             "The build framework builds in the shared cache from BuildKit."]
    phrases = topic_phrases(texts, np.zeros(4, dtype=int), 1)[0]

    assert phrases[0] == "Framework builds" and "Build framework" in phrases  # kept, behind what is discussed
    assert topic_phrases(["We launched Kubernetes.", "They launched Kubernetes today."],
                         np.zeros(2, dtype=int), 1)[0] == ["Launched Kubernetes"]  # the only phrase left
    names = ["Red Hat sells subscriptions to Enterprise Linux.", "Red Hat support contracts renew every year."]
    assert topic_phrases(names, np.zeros(2, dtype=int), 1)[0][0] == "Red Hat"  # ends like "launched", is no verb
    scout = ["Log4j becomes just a query, just to look up into that graph, and helps devs get real insight in terms of "
             "what the state of their image is.",  # Founders Talk 97
             "The graph answers in seconds, and helps devs act on real insight instead of guesses."]
    phrases = topic_phrases(scout, np.zeros(2, dtype=int), 1)[0]
    assert phrases[0] == "Real insight" and "Helps devs" in phrases  # "and helps": a verb's -s form


def test_a_phrase_that_ends_on_an_action_with_its_object_names_a_topic_only_when_nothing_else_does() -> None:
    cyclone = ["Two weeks ago, Cyclone E. Di hit Mozambique, one of the poorest countries in the world. It caused "
               "catastrophic damage, obliterating most of the city of bearer.",  # Today in Focus, as Amazon heard it
               "Peter Bowman reached the city of bearer just days after Cyclone E Di hit the region."]
    code = ["I don't think it's even good enough to replace a junior engineer. Because it can be told to write code "
            "conforming to a spec, but it can't tell you if the spec is right.",  # Go Time 339
            "AIs can write code conforming to a spec; the average engineers review it."]
    phrases = topic_phrases(cyclone + code, np.array([0, 0, 1, 1]), 2)

    assert phrases[0][0] != "Di hit" and "Di hit" in phrases[0]  # kept, behind what is discussed
    assert phrases[1][0] != "Code conforming" and "Code conforming" in phrases[1]
    assert topic_phrases(["Docker Hub is where images live.", "Docker Hub has 20 million monthly actives."],
                         np.zeros(2, dtype=int), 1)[0][0] == "Docker Hub"  # followed by its verb: a noun


def test_a_topic_whose_new_members_outnumber_its_earlier_ones_is_named_afresh() -> None:
    previous = [{"topic_id": "topic-0001", "label": "AI/ML", "label_source": "phrases"}]
    counts = np.array([[4]])  # all four earlier members stayed

    grown, kept = (carry_names(previous, [], ["topic-0001"], counts, np.array([size])) for size in (13, 6))

    assert grown[0].label is None  # nine new insights of another subject joined: the old name may no longer fit
    assert kept[0].label == "AI/ML" and kept[0].source == "phrases"  # two joined: still most of it


def test_a_carried_phrase_name_that_no_member_says_any_more_is_named_afresh() -> None:
    names = [Name("AI/ML", "phrases"), Name("Audio quality", "phrases"), Name("Hosting costs", "editor")]
    texts = ["Creating good audio quality is key to keeping listeners.", "Muffle the sound in a closet.",
             "Audio quality matters more than the microphone.", "We pay for hosting by the hour."]

    forget_unsaid(names, texts, np.array([0, 0, 1, 2]), [["Good audio"], ["Audio quality"], ["Hosting costs"]])

    assert names[0].label is None  # its members are about audio now
    assert names[1].label == "Audio quality" and names[2].label == "Hosting costs"  # said; an editor's name stays


def test_a_name_one_member_said_gives_way_once_enough_members_share_a_phrase() -> None:
    texts = ["I think the problem is going to get redefined, to borrow Kent's staff engineer analogy.",  # Go Time 339
             "AI coding agents are trained on data with a knowledge cutoff.",  # Changelog News 180
             "Stop generating: AI coding tools still need an engineer who thinks.",
             "You can't code those languages badly and succeed."]
    grown, alone = [Name("Engineer analogy", "phrases")], [Name("Engineer analogy", "phrases")]

    forget_unsaid(grown, texts, np.zeros(4, dtype=int), [["AI coding", "Knowledge cutoff"]])
    forget_unsaid(alone, texts, np.zeros(4, dtype=int), [["Knowledge cutoff", "Languages badly"]])

    assert grown[0].label is None  # two members say "AI coding": a new topic would be called that
    assert alone[0].label == "Engineer analogy"  # no phrase is shared yet: the name stays, as stable as it was


def test_a_store_that_grew_a_little_keeps_at_least_its_topics_however_the_silhouettes_fall() -> None:
    """Silhouettes of sentence embeddings are flat and noisy: the seeded demo went from 8 topics to 3 when 23 insights
    were added, and dropped 6 topics' ids. Until the store has doubled, k falls no lower than the previous k."""
    rng = np.random.default_rng(7)
    themes = rng.normal(size=(3, 384))
    sample = np.vstack([theme + 0.15 * rng.normal(size=(30, 384)) for theme in themes])  # three tight themes
    sample /= np.linalg.norm(sample, axis=1, keepdims=True)

    fresh, _ = _choose_k(sample.astype(np.float32), 90, None)
    kept, _ = _choose_k(sample.astype(np.float32), 90, 6)

    assert fresh == 3 and kept == 6
