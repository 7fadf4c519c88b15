"""Personal briefs on the planted store (three topics on four podcasts): published as is, re-ranked by interests,
mutes and thumbs, the editor's pins kept, related insights under each item, keyword alerts since the last brief."""

from __future__ import annotations

import pytest

from pipeline.delivery import personal, readers
from pipeline.delivery.feedback import learned, pick_feedback, record_vote
from pipeline.delivery.personal import personal_brief
from pipeline.delivery.readers import Reader
from pipeline.delivery.source import published_brief
from pipeline.engine.briefs import get_brief, save_brief
from pipeline.engine.rank import rank
from pipeline.engine.related import related
from pipeline.engine.weights import Weights
from pipeline.errors import DeliveryError
from tests.delivery_fixtures import published_engine  # noqa: F401  (the `published` fixture)
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)


def _ids(brief: object) -> list[str]:
    return [item.pick.insight_id for item in brief.items]  # type: ignore[attr-defined]


def _topic_id(engine: Engine, name: str) -> str:
    """The clustered topic that holds most of a planted topic's insights."""
    rows = engine.store.rows("insight_topics", columns=["insight_id", "topic_id"])
    counts: dict[str, int] = {}
    for row in rows:
        if engine.topic_of.get(row["insight_id"]) == name:
            counts[row["topic_id"]] = counts.get(row["topic_id"], 0) + 1
    return max(counts, key=counts.__getitem__)


def test_a_reader_without_interests_gets_the_published_brief_as_it_is(published: Engine) -> None:
    store = published.store
    brief = published_brief(store, published.date)
    plain = personal_brief(store, Reader(email="ana@example.com"), published.date)
    assert _ids(plain) == [p.insight_id for p in brief.picks] and not plain.personalised
    assert [i.pick.text for i in plain.items] == [p.text for p in brief.picks]
    short = personal_brief(store, Reader(email="ana@example.com", size=3), published.date)
    assert _ids(short) == [p.insight_id for p in brief.picks[:3]]
    longer = personal_brief(store, Reader(email="ana@example.com", size=8), published.date)
    assert _ids(longer) == [p.insight_id for p in [*brief.picks, *brief.alternates[:3]]]


def test_an_item_said_on_other_podcasts_too_carries_them_as_related(published: Engine) -> None:
    store = published.store
    current = get_brief(store, published.date)
    heard = next(p.insight_id for p in rank(store, published.date).alternates if related(store, p.insight_id))
    save_brief(store, published.date, items=[heard, *current["items"][:4]], editor="test editor",
               expected_version=current["version"], publish=True)

    plain = personal_brief(store, Reader(email="ana@example.com"), published.date)

    assert _ids(plain)[0] == heard and plain.items[0].related
    assert all(published.feed_of[r.insight_id] != i.pick.feed_id and r.source.feed_title
               for i in plain.items for r in i.related)


def test_a_followed_topic_fills_the_brief_and_the_editors_pins_stay(published: Engine) -> None:
    store = published.store
    current = get_brief(store, published.date)
    pinned = next(p for p in rank(store, published.date).alternates
                  if published.topic_of[p.insight_id] == "podcasting" and p.insight_id not in current["items"])
    save_brief(store, published.date, items=[*current["items"], pinned.insight_id], pins=[pinned.insight_id],
               notes={pinned.insight_id: "Must read"}, editor="test editor", expected_version=current["version"],
               publish=True)
    reader = Reader(email="ana@example.com", topics=[_topic_id(published, "go")])
    brief = personal_brief(store, reader, published.date)
    assert brief.personalised
    assert _ids(brief)[0] == pinned.insight_id and brief.items[0].pick.note == "Must read"
    assert [published.topic_of[i] for i in _ids(brief)[1:]] == ["go"] * 4


def test_keywords_rank_by_meaning_and_a_muted_podcast_never_appears(published: Engine) -> None:
    store = published.store
    reader = Reader(email="ana@example.com", keywords=["recording a podcast episode"], size=3)
    topics = [published.topic_of[i] for i in _ids(personal_brief(store, reader, published.date))]
    assert topics == ["podcasting"] * 3
    muted_feed = published.feed_of[_ids(personal_brief(store, Reader(email="x@example.com"), published.date))[0]]
    muted = personal_brief(store, Reader(email="ana@example.com", muted=[muted_feed], size=8), published.date)
    assert muted.items and all(i.pick.feed_id != muted_feed for i in muted.items)


def test_a_followed_podcast_comes_first(published: Engine) -> None:
    store = published.store
    plain = _ids(personal_brief(store, Reader(email="x@example.com", size=8), published.date))
    last_feed = published.feed_of[plain[-1]]
    followed = personal_brief(store, Reader(email="ana@example.com", podcasts=[last_feed], size=8), published.date)
    feeds = [i.pick.feed_id for i in followed.items]
    first_other = next(n for n, f in enumerate(feeds) if f != last_feed)
    assert first_other > 0 and last_feed not in feeds[first_other:]


def test_thumbs_move_the_readers_interests_and_show_editors_what_landed(published: Engine) -> None:
    store = published.store
    ana = readers.add_reader(store, "ana@example.com", size=5)
    before = personal_brief(store, ana, published.date)
    disliked = before.items[0].pick
    liked = next(i.pick for i in before.items if published.topic_of[i.pick.insight_id] != published.topic_of[disliked.insight_id])
    record_vote(store, ana, disliked.insight_id, "down", date=published.date)
    record_vote(store, ana, liked.insight_id, "up", date=published.date)
    record_vote(store, ana, liked.insight_id, "up", date=published.date)  # the same vote again changes nothing
    taste = learned(store)["ana@example.com"]
    assert taste.topics == {liked.topic_id} and taste.less_topics == {disliked.topic_id}
    after = personal_brief(store, ana, published.date)
    assert after.personalised
    topics = [i.pick.topic_id for i in after.items]
    assert topics[0] == liked.topic_id and disliked.topic_id not in topics[:4]
    assert {(r["insight_id"], r["up"], r["down"]) for r in pick_feedback(store)} == {
        (liked.insight_id, 1, 0), (disliked.insight_id, 0, 1)}
    with pytest.raises(DeliveryError, match="no longer in the store"):
        record_vote(store, ana, "no-such-insight", "up")


@pytest.mark.parametrize(("last_date", "expected"), [
    (None, []),  # the first brief: only the brief's own day, and "mistakes" was said four days before
    ("2024-05-03", ["podcasting-000"]),  # since the 4th: the episode of the 6th is new to this reader
    ("2024-05-06", []),  # the reader's last brief already covered the 6th
])
def test_keyword_alerts_list_new_matches_since_the_last_brief(published: Engine, last_date: str | None,
                                                               expected: list[str]) -> None:
    reader = Reader(email="ana@example.com", keywords=["Mistakes"], size=3)
    brief = personal_brief(published.store, reader, published.date, last_date=last_date)
    assert [m.insight_id for a in brief.alerts for m in a.matches] == expected
    assert all(a.keyword == "Mistakes" for a in brief.alerts)


def test_alerts_leave_out_what_the_brief_already_shows(published: Engine) -> None:
    brief = personal_brief(published.store, Reader(email="ana@example.com", keywords=["generics"], size=3), published.date)
    alerted = {m.insight_id for a in brief.alerts for m in a.matches}
    shown = {i for i in _ids(brief) if i in {"go-025", "go-027", "go-029"}}
    assert alerted | shown == {"go-025", "go-027", "go-029"} and not alerted & shown


def test_an_unpublished_date_has_no_personal_brief(engine: Engine) -> None:
    assert personal_brief(engine.store, Reader(email="ana@example.com"), engine.date) is None


def test_the_personal_interest_weight_is_what_puts_a_keyword_readers_topic_first(published: Engine,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Why PERSONAL_INTEREST_WEIGHT is 2: the ranking's default interest weight leaves a reader's keyword half-heard."""
    wanted = {"recording a podcast episode": "podcasting", "generics in Go": "go", "training models on GPUs": "ai"}

    def on_topic(weight: float) -> list[int]:
        monkeypatch.setattr(personal, "PERSONAL_INTEREST_WEIGHT", weight)
        briefs = {kw: personal.personal_brief(published.store, Reader(email="a@example.com", keywords=[kw]),
                                              published.date) for kw in wanted}
        return [sum(published.topic_of[i] == topic for i in _ids(briefs[kw])) for kw, topic in wanted.items()]

    chosen = on_topic(personal.PERSONAL_INTEREST_WEIGHT)
    assert chosen[:2] == [5, 5] and chosen[2] >= 3
    assert sum(on_topic(Weights().interest)) < sum(chosen)
