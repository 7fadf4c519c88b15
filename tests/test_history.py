"""Each insight's stored history similarity (insight_topics.history_sim), which ranking's novelty reads instead of a
month of rows: computed right, the same novelty and picks as comparing with the rows, and forgotten when it may be stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from pipeline.engine.history import HISTORY_DAYS, day_numbers, fill_history, history_similarity
from pipeline.engine.rank import CORROBORATION_DAYS, parse_date, rank
from pipeline.engine.rank_inputs import load_inputs
from pipeline.engine.topic_edits import merge_topics
from pipeline.engine.topics import topics
from pipeline.ingest.subscriptions import remove_feed
from pipeline.store import Store
from tests.engine_fixtures import Engine, add_extra_insights, clustered_engine  # noqa: F401  (the engine fixture)


def _stored(engine: Engine) -> dict[str, float | None]:
    return {r["insight_id"]: r["history_sim"] for r in engine.store.rows("insight_topics")}


def _inputs(engine: Engine, date: str, *, forced: list[str] | None = None):
    end = parse_date(date) + timedelta(days=1)
    return load_inputs(engine.store, date, start=end - timedelta(days=1), end=end,
                       since=end - timedelta(days=CORROBORATION_DAYS), forced=forced or [], interests=[], settings=None)


def test_day_numbers_read_the_date_of_iso_times() -> None:
    days = day_numbers(pa.array(["1970-01-02T05:00:00+00:00", "2024-05-10", None, "not a date"]))
    assert days.tolist() == [1, (datetime(2024, 5, 10) - datetime(1970, 1, 1)).days, -1, -1]


def test_history_similarity_is_the_closest_same_topic_insight_of_the_days_before() -> None:
    rng = np.random.default_rng(3)
    n = 400
    vectors = rng.normal(size=(n, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    topics = rng.integers(-1, 4, n)
    days = rng.integers(-1, 90, n)

    got = history_similarity(vectors, topics, days)

    for i in range(n):
        if topics[i] < 0 or days[i] < 0:
            assert np.isnan(got[i])
            continue
        earlier = [j for j in range(n) if topics[j] == topics[i] and days[j] >= 0 and 1 <= days[i] - days[j] <= HISTORY_DAYS]
        want = max([float(vectors[i] @ vectors[j]) for j in earlier], default=0.0)
        assert got[i] == pytest.approx(min(max(want, 0.0), 1.0), abs=1e-5)
    # Only some rows wanted (the rest read as their history): the same values for those, nothing for the rest.
    wanted = rng.random(n) < 0.3
    some = history_similarity(vectors, topics, days, wanted=wanted)
    assert np.array_equal(np.isnan(some), np.isnan(got) | ~wanted)
    assert np.allclose(some[wanted], got[wanted], equal_nan=True)


def test_ranking_reads_the_stored_history_and_picks_as_when_comparing_with_the_rows(engine: Engine) -> None:
    assert all(v is not None for v in _stored(engine).values())  # re-clustering computed it for every insight
    assert _inputs(engine, engine.date).history_stored
    stored = rank(engine.store, engine.date)

    engine.store.update_where("insight_topics", "topic_id IS NOT NULL", {"history_sim": None})
    assert not _inputs(engine, engine.date).history_stored  # unknown: novelty compares with the month's rows
    live = rank(engine.store, engine.date)

    assert [p.insight_id for p in stored.picks + stored.alternates] == [p.insight_id for p in live.picks + live.alternates]
    for a, b in zip(stored.picks + stored.alternates, live.picks + live.alternates, strict=True):
        assert a.components["novelty"] == pytest.approx(b.components["novelty"], abs=1e-4)
    assert 0 < min(p.components["novelty"] for p in live.picks) < 1  # the history did count


def test_a_pin_from_outside_the_window_or_another_window_compares_with_the_rows(engine: Engine) -> None:
    older = min(engine.topic_of, key=lambda i: engine.store.rows("insights", f"insight_id = '{i}'")[0]["published"])
    assert not _inputs(engine, engine.date, forced=[older]).history_stored
    end = parse_date(engine.date) + timedelta(days=1)
    wide = load_inputs(engine.store, engine.date, start=end - timedelta(hours=48), end=end,
                       since=end - timedelta(days=CORROBORATION_DAYS), forced=[], interests=[], settings=None)
    assert not wide.history_stored


def test_ingestion_fills_new_insights_and_those_they_precede(engine: Engine) -> None:
    before = _stored(engine)
    added = add_extra_insights(engine)  # the next day: new rows without a topic yet
    assert fill_history(engine.store) == 0  # nothing to do until they have topics
    topics(engine.store)  # as ingestion does: assign topics, then fill
    after = _stored(engine)
    assert all(after[i] is not None for i in added)
    assert {i: v for i, v in after.items() if i in before} == pytest.approx(before, abs=1e-6)  # nothing later changed

    # A backfilled insight, a week before the brief date, repeating one the brief date holds: that one is no longer new.
    target = next(i for i in engine.topic_of if engine.store.rows("insights", f"insight_id = '{i}'")[0]["published"]
                  .startswith(engine.date))
    row = engine.store.rows("insights", f"insight_id = '{target}'")[0]
    earlier = (datetime.fromisoformat(engine.date) - timedelta(days=7)).replace(tzinfo=UTC).isoformat()
    engine.store.upsert("insights", [{**row, "insight_id": "backfilled", "episode_id": "old-episode", "published": earlier,
                                      "feed_id": "feed-a"}])
    topics(engine.store)
    assert _stored(engine)[target] == pytest.approx(1.0, abs=1e-4)
    assert rank(engine.store, engine.date, fixed=[target]).picks[0].components["novelty"] == pytest.approx(0.0, abs=1e-4)


def test_a_merge_or_a_removed_feed_forgets_the_history_they_change(engine: Engine) -> None:
    topic_ids = sorted({r["topic_id"] for r in engine.store.rows("insight_topics")})
    merge_topics(engine.store, topic_ids[0], topic_ids[1], editor="ana")
    stored = {r["insight_id"]: r for r in engine.store.rows("insight_topics")}
    assert all(r["history_sim"] is None for r in stored.values() if r["topic_id"] == topic_ids[0])
    assert all(r["history_sim"] is not None for r in stored.values() if r["topic_id"] != topic_ids[0])
    assert not _inputs(engine, engine.date).history_stored  # the merged topic has insights on the brief date
    assert fill_history(engine.store) > 0
    assert all(r["history_sim"] is not None for r in engine.store.rows("insight_topics"))

    doomed_topics = {stored[i]["topic_id"] for i, f in engine.feed_of.items() if f == "feed-b"}
    remove_feed(engine.store, "feed-b", keep_episodes=False)
    left = engine.store.rows("insight_topics")
    assert all(r["history_sim"] is None for r in left if r["topic_id"] in doomed_topics)


def test_an_empty_store_ranks_to_an_empty_brief(tmp_path: Path) -> None:
    brief = rank(Store(tmp_path / "empty"), "2026-02-11")
    assert brief.picks == [] and "0 candidate(s)" in brief.shortfall
