"""Insights per topic per day of publication, the aggregate behind Explore's trend.

Counting them means joining every insight with its topic: about a second at 1M insights on each first view. So
ingestion (and `topics`) keep the counts of all podcasts in the topic_days table, stamped with the versions of the
insights and insight_topics tables they were counted from; a reader uses them only while both tables are still at
those versions, and counts afresh otherwise (a podcast filter always counts afresh).
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

from ..store import Store, sql_in

TABLE = STAMP = "topic_days"
SOURCES = ("insights", "insight_topics")


def day_counts(store: Store, feed_ids: list[str] | None = None) -> pa.Table:
    """day (UTC, YYYY-MM-DD), topic_id and count of the insights with a topic, of these podcasts (all when empty)."""
    if not feed_ids and _current(store):
        return store.arrow(TABLE, columns=["day", "topic_id", "count"])
    return count_days(store, feed_ids)


def count_days(store: Store, feed_ids: list[str] | None = None) -> pa.Table:
    """day_counts, counted from the insights and their topics."""
    where = "published IS NOT NULL" + (f" AND {sql_in('feed_id', feed_ids)}" if feed_ids else "")
    table = store.with_topics(store.arrow("insights", where, columns=["insight_id", "published"]))
    table = table.filter(pc.is_valid(table.column("topic_id")))
    # published is stored as UTC ISO 8601, so its first ten characters are the UTC day.
    days = pa.table({"day": pc.utf8_slice_codeunits(table.column("published").cast(pa.string()), 0, 10),
                     "topic_id": table.column("topic_id").cast(pa.string())})
    counted = days.group_by(["day", "topic_id"]).aggregate([([], "count_all")])
    return pa.table({"day": counted.column("day"), "topic_id": counted.column("topic_id"),
                     "count": counted.column("count_all").cast(pa.int64())})


def refresh_day_counts(store: Store) -> bool:
    """Count afresh and keep the counts for readers, unless the kept ones still match the store (ingestion runs it
    after each run, most of which change nothing: a second of counting at 1M); True when it counted."""
    versions = _versions(store)  # before counting: a write meanwhile leaves a stamp that no reader accepts
    if _current(store, versions):
        return False
    counts = count_days(store)
    keys = pc.binary_join_element_wise(counts.column("day"), counts.column("topic_id"), "|")
    store.replace_rows(TABLE, counts.append_column("key", keys))
    store.set_meta(STAMP, json.dumps(versions))
    return True


def _current(store: Store, versions: dict[str, int | None] | None = None) -> bool:
    """True when the kept counts were counted from the tables as they are now."""
    stamp = store.meta(STAMP)
    return bool(stamp) and json.loads(stamp) == (versions or _versions(store))


def _versions(store: Store) -> dict[str, int | None]:
    return {name: store.version(name) for name in SOURCES}
