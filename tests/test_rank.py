"""The daily top five and the editor's briefs, on a real LanceDB store with three planted topics."""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipeline.engine.briefs import save_brief
from pipeline.engine.rank import TOP_N, normalize_date, rank
from pipeline.engine.related import RELATED_THRESHOLD
from pipeline.engine.scoring import UNRELATED, corroboration, heard_before, interest, novelty, podcast_weight, recency
from pipeline.engine.weights import COMPONENTS, Weights
from pipeline.errors import PodbriefError
from pipeline.store import Store
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)


def test_top_five_is_deterministic_and_explains_itself(engine: Engine) -> None:
    brief = rank(engine.store, engine.date)
    again = rank(engine.store, engine.date)
    assert [p.insight_id for p in brief.picks] == [p.insight_id for p in again.picks]
    assert len(brief.picks) == TOP_N and brief.shortfall is None and brief.candidates == 18
    w = Weights()
    for pick in brief.picks:
        assert pick.published.startswith(engine.date)
        assert set(pick.components) == set(COMPONENTS) and pick.components["interest"] is None  # no profile set
        used = {k: v for k, v in pick.components.items() if v is not None}
        assert all(0.0 <= v <= 1.0 for v in used.values())
        expected = sum(w.weight_of(k) * v for k, v in used.items()) / sum(w.weight_of(k) for k in used)
        assert pick.score == pytest.approx(expected, abs=2e-3)
        assert pick.score >= w.quality_floor and pick.why.startswith("Picked automatically")
        assert f"It scores {pick.score:.2f}" in pick.why and "MMR" not in pick.why and "λ" not in pick.why
        assert sum(pick.contributions.values()) == pytest.approx(pick.score, abs=2e-3)
        assert set(pick.contributions) == set(used)
        assert pick.feed_title and pick.episode_title and pick.audio_url
    assert brief.alternates and all(a.insight_id not in {p.insight_id for p in brief.picks} for a in brief.alternates)


def test_a_ranking_after_a_write_reads_the_new_rows_not_the_kept_ones(engine: Engine) -> None:
    first = rank(engine.store, engine.date).picks[0]
    Store(engine.store.uri).update("insights", first.insight_id, {"flags": ["sponsor read"]})  # another process

    again = rank(engine.store, engine.date)

    assert first.insight_id not in {p.insight_id for p in [*again.picks, *again.alternates]}
    assert again.candidates == 17


def test_diversity_caps_hold(engine: Engine) -> None:
    for cap in (1, 2):
        brief = rank(engine.store, engine.date, weights=Weights(max_per_podcast=cap, max_per_topic=cap))
        assert max(Counter(p.feed_id for p in brief.picks).values()) <= cap
        assert max(Counter(p.topic_id for p in brief.picks).values()) <= cap
    one_each = rank(engine.store, engine.date, weights=Weights(max_per_podcast=1))
    assert len(one_each.picks) == 3  # only three podcasts published that day
    assert one_each.shortfall and "Only 3 insight(s)" in one_each.shortfall and "at most 1 per podcast" in one_each.shortfall


def test_quality_floor_leaves_the_brief_short_rather_than_padding(engine: Engine) -> None:
    brief = rank(engine.store, engine.date, weights=Weights(quality_floor=0.99))
    assert brief.picks == [] and brief.eligible == 0
    assert "0 above the quality bar of 0.99" in brief.shortfall


def test_editor_overrides_win(engine: Engine) -> None:
    auto = rank(engine.store, engine.date)
    top = auto.picks[0].insight_id
    old = "podcasting-000"  # published four days earlier: outside the window, and pinned anyway
    third = auto.picks[2].insight_id
    brief = rank(engine.store, engine.date, pins=[third, old], excludes=[top], edits={old: "An editor's rewrite."})
    ids = [p.insight_id for p in brief.picks]
    assert ids[:2] == [third, old] and top not in ids and len(ids) == TOP_N
    pinned = next(p for p in brief.picks if p.insight_id == old)
    assert pinned.pinned and pinned.text == "An editor's rewrite." and pinned.original_text != pinned.text
    assert pinned.why.startswith("Chosen by the editor")
    strict = rank(engine.store, engine.date, weights=Weights(quality_floor=0.99), pins=[old])
    assert [p.insight_id for p in strict.picks] == [old], "a pin stays in even below the quality floor"
    assert pinned.components["novelty"] > 0.2  # its own history does not count against it
    with pytest.raises(PodbriefError, match="both pinned and excluded"):
        rank(engine.store, engine.date, pins=[old], excludes=[old])
    with pytest.raises(PodbriefError, match="not in the store"):
        rank(engine.store, engine.date, pins=["no-such-insight"])


def test_a_fixed_list_is_kept_in_its_order(engine: Engine) -> None:
    auto = rank(engine.store, engine.date)
    wanted = [auto.alternates[-1].insight_id, *reversed([p.insight_id for p in auto.picks])]
    fixed = rank(engine.store, engine.date, fixed=wanted)
    assert [p.insight_id for p in fixed.picks] == wanted and fixed.shortfall is None
    assert all(p.why.startswith("In this brief") for p in fixed.picks)


def test_interest_profile_pulls_its_topic_up(engine: Engine) -> None:
    w = Weights(interest=5.0, interests=["generics and backwards compatibility in the Go programming language"])
    brief = rank(engine.store, engine.date, weights=w)
    assert engine.topic_of[brief.picks[0].insight_id] == "go"
    assert all(p.components["interest"] is not None for p in brief.picks)
    liked = engine.ids("podcasting")[-1]
    by_id = rank(engine.store, engine.date, weights=Weights(interest=5.0, interests=[liked]))
    assert engine.topic_of[by_id.picks[0].insight_id] == "podcasting"


def test_novelty_drops_for_what_an_earlier_brief_already_picked(engine: Engine) -> None:
    today = rank(engine.store, engine.date).picks[0]
    assert today.components["novelty"] > 0.5  # other points on its topic this month are not this one
    save_brief(engine.store, "2024-05-09", items=[today.insight_id], editor="ed", expected_version=None, publish=True)
    again = rank(engine.store, engine.date, fixed=[today.insight_id]).picks[0]
    assert again.components["novelty"] == pytest.approx(0.0, abs=1e-3)


def test_weights_round_trip_and_reject_nonsense() -> None:
    w = Weights.from_json('{"novelty": 1.5, "max_per_topic": 1, "interests": "go"}')
    assert (w.novelty, w.max_per_topic, w.interests) == (1.5, 1, ["go"])
    assert Weights.from_json(w.to_json()) == w
    with pytest.raises(PodbriefError, match=re.escape("Unknown weight(s) novelty_boost. Valid keys: quality")):
        Weights.from_json({"novelty_boost": 2})
    with pytest.raises(PodbriefError, match=re.escape("mmr_lambda=1.5 must be between 0 and 1")):
        Weights.from_json({"mmr_lambda": 1.5})
    with pytest.raises(PodbriefError, match="not a JSON object"):
        Weights.from_json("{novelty: 1")


def test_bad_date_is_explained(engine: Engine) -> None:
    with pytest.raises(PodbriefError, match="Date '2024-13-45' is not YYYY-MM-DD"):
        rank(engine.store, "2024-13-45")
    with pytest.raises(PodbriefError, match=re.escape("Date '2024-5-10' is not YYYY-MM-DD (for example 2026-02-11)")):
        rank(engine.store, "2024-5-10")  # strptime would have read it as 10 May; stored dates compare as text


@pytest.mark.parametrize(("text", "day"), [("2024-05-10", "2024-05-10"), ("20240510", "2024-05-10"),
                                           (" 2024-05-10 ", "2024-05-10"), ("2024-W19-5", "2024-05-10")])
def test_iso_dates_are_normalised(text: str, day: str) -> None:
    assert normalize_date(text) == day


@pytest.mark.parametrize("text", ["2024-5-10", "10/05/2024", "2024-05-10T00:00", "May 10", ""])
def test_other_dates_are_refused_with_the_expected_format(text: str) -> None:
    with pytest.raises(PodbriefError, match=re.escape("is not YYYY-MM-DD (for example 2026-02-11)")):
        normalize_date(text)


def test_scorers_are_pure_functions_over_one_arrow_table() -> None:
    unit = np.eye(3, dtype=np.float32)
    ids = ["old-pick", "history-t1", "history-t2", "c1", "c2"]
    vectors = [unit[0], unit[2], unit[1], unit[0], unit[1]]
    rows = pa.table({
        "insight_id": ids, "feed_id": ["f1", "f2", "f3", "f1", "f2"],
        "published": ["2024-04-01T00:00:00", "2024-05-08T00:00:00", "2024-05-08T00:00:00", "2024-05-10T06:00:00",
                      "2024-05-10T18:00:00"],
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(np.concatenate(vectors)), 3),
        "topic_id": ["t1", "t1", "t2", "t1", "t1"],
        "in_range": [False, True, True, True, True], "picked_before": [True, False, False, False, False],
    })
    cand = {"insight_id": ids[3:], "feed_id": ["f1", "f2"], "topic_id": ["t1", "t1"], "vector": np.stack(vectors[3:]),
            "published": rows.column("published").to_pylist()[3:]}
    start, end = datetime(2024, 5, 10, tzinfo=UTC), datetime(2024, 5, 11, tzinfo=UTC)

    # c1 repeats an earlier pick; c2 matches only another topic's history, which does not count against it.
    assert novelty(cand, rows, np.stack(vectors), start).tolist() == [0.0, 1.0]
    # c2's idea was said on one other podcast (f3) this week; the earlier pick is out of range.
    assert corroboration(cand, rows, np.stack(vectors), end - timedelta(days=7), 0.68, 3).tolist() == pytest.approx([0.0, 1 / 3])
    assert recency(cand, start, end).tolist() == [0.25, 0.75]
    assert podcast_weight(cand, {"f1": 2.0, "f2": 1.0}).tolist() == [1.0, 0.5]
    assert interest(cand, None) is None and interest(cand, unit[1:2]).tolist() == [0.0, 1.0]


def test_novelty_counts_the_same_idea_heard_before_not_the_same_topic() -> None:
    base = np.zeros(8, dtype=np.float32)
    base[0] = 1.0

    def at_cosine(cos: float) -> np.ndarray:
        other = np.zeros(8, dtype=np.float32)
        other[:2] = cos, np.sqrt(1 - cos * cos)
        return other

    history = [at_cosine(c) for c in (0.3, UNRELATED, (UNRELATED + RELATED_THRESHOLD) / 2, RELATED_THRESHOLD, 0.9)]
    for expected, earlier in zip([1.0, 1.0, 0.5, 0.0, 0.0], history, strict=True):
        rows = pa.table({"insight_id": ["earlier", "today"], "published": ["2024-05-08T00:00:00", "2024-05-10T06:00:00"],
                         "topic_id": ["t1", "t1"], "in_range": [True, True], "picked_before": [False, False]})
        cand = {"insight_id": ["today"], "topic_id": ["t1"], "vector": base[None, :]}
        got = novelty(cand, rows, np.stack([earlier, base]), datetime(2024, 5, 10, tzinfo=UTC))
        assert got.tolist() == pytest.approx([expected], abs=1e-5)
    # The related threshold an editor sets is where an idea counts as heard; under the floor, it is a step there.
    assert heard_before(np.array([0.5, 0.8, 0.9]), threshold=0.9).tolist() == pytest.approx([0.1111, 0.7778, 1.0], abs=1e-4)
    assert heard_before(np.array([0.3, 0.35, 0.5]), threshold=0.35).tolist() == [0.0, 1.0, 1.0]


def test_novelty_is_the_same_whatever_the_order_of_the_rows() -> None:
    rng = np.random.default_rng(7)
    n = 60
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = pa.table({
        "insight_id": [f"i{k:02d}" for k in range(n)],
        "published": [f"2024-05-{1 + k % 12:02d}T{k % 24:02d}:00:00" for k in range(n)],
        "topic_id": [None if k % 11 == 0 else f"t{k % 4}" for k in range(n)],
        "in_range": [k % 13 != 0 for k in range(n)], "picked_before": [k % 17 == 0 for k in range(n)],
    })
    at = [k for k in range(n) if rows.column("published")[k].as_py() >= "2024-05-10"]
    cand = {"insight_id": [f"i{k:02d}" for k in at], "topic_id": [rows.column("topic_id")[k].as_py() for k in at],
            "vector": vectors[at]}
    start = datetime(2024, 5, 10, tzinfo=UTC)
    by_topic = pc.sort_indices(rows, [("topic_id", "ascending"), ("published", "ascending")]).to_numpy()

    as_read = novelty(cand, rows, vectors, start)
    sorted_by_topic = novelty(cand, rows.take(by_topic), vectors[by_topic], start)

    np.testing.assert_allclose(as_read, sorted_by_topic, atol=1e-6)
    assert ((as_read > 0) & (as_read < 1)).sum() >= 3  # a real spread of values, not all 0 or 1


@pytest.mark.parametrize("full", [3, 4])
def test_corroboration_counts_other_topics_when_the_own_topic_falls_short(full: int) -> None:
    unit = np.eye(2, dtype=np.float32)
    vectors = np.stack([unit[0]] * 5 + [unit[1]])
    rows = pa.table({
        "insight_id": ["c", "t1-f2", "t1-f3", "t1-f4", "t2-f5", "t1-f6"],
        "feed_id": ["f1", "f2", "f3", "f4", "f5", "f6"], "published": ["2024-05-10T06:00:00"] * 6,
        "topic_id": ["t1", "t1", "t1", "t1", "t2", "t1"], "in_range": [True] * 6,
    })
    cand = {"insight_id": ["c"], "feed_id": ["f1"], "topic_id": ["t1"], "vector": vectors[:1]}
    since = datetime(2024, 5, 4, tzinfo=UTC)

    # Three podcasts agree within the topic (f6 says something else); the fourth, f5, only in another topic.
    assert corroboration(cand, rows, vectors, since, 0.68, full).tolist() == [1.0]
