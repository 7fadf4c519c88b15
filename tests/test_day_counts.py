"""Explore's per-day topic counts, kept by ingestion and `topics`: used while they match the store, else counted."""

from __future__ import annotations

import pyarrow as pa

from pipeline.engine.day_counts import TABLE, count_days, day_counts, refresh_day_counts
from pipeline.engine.topic_views import topic_trend
from tests.engine_fixtures import Engine, add_extra_insights, clustered_engine  # noqa: F401  (the engine fixture)


def _sorted(table: pa.Table) -> list[dict]:
    return table.sort_by([("day", "ascending"), ("topic_id", "ascending")]).to_pylist()


def test_the_kept_counts_are_read_while_they_match_the_store(engine: Engine, monkeypatch) -> None:
    kept = _sorted(engine.store.arrow(TABLE, columns=["day", "topic_id", "count"]))
    assert kept == _sorted(count_days(engine.store))
    assert sum(r["count"] for r in kept) == len(engine.topic_of)  # every planted insight, on its day and topic

    def no_count(*_args, **_kwargs):
        raise AssertionError("counted afresh although the kept counts match the store")

    monkeypatch.setattr("pipeline.engine.day_counts.count_days", no_count)
    assert _sorted(day_counts(engine.store)) == kept
    assert int(topic_trend(engine.store, freq="D")["count"].sum()) == len(engine.topic_of)


def test_after_a_write_or_for_some_podcasts_the_counts_are_counted_afresh(engine: Engine) -> None:
    kept = _sorted(engine.store.arrow(TABLE, columns=["day", "topic_id", "count"]))
    added = add_extra_insights(engine)
    topic_ids = engine.store.topic_ids_of(engine.topic_of)  # the new insights join their planted topics' neighbours
    engine.store.upsert("insight_topics", [{"insight_id": i, "topic_id": topic_ids[engine.ids(engine.topic_of[i])[0]]}
                                           for i in added])
    assert sum(r["count"] for r in _sorted(day_counts(engine.store))) == len(engine.topic_of) > sum(r["count"] for r in kept)
    one = _sorted(day_counts(engine.store, ["feed-a"]))
    assert sum(r["count"] for r in one) == sum(1 for f in engine.feed_of.values() if f == "feed-a")


def test_counts_that_still_match_the_store_are_not_counted_again(engine: Engine) -> None:
    assert refresh_day_counts(engine.store) is False  # clustering just counted them; nothing was written since
    add_extra_insights(engine)
    assert refresh_day_counts(engine.store) is True
    assert refresh_day_counts(engine.store) is False
