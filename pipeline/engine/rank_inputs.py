"""What the daily ranking reads from the store, read once: the day's candidates and everything they are compared
with as one Arrow table, plus the podcast weights and the interest profile. The scorers (scoring.py) are pure
functions over it, so they can be tested without a store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Settings
from ..store import Store, insights_schema, matrix, sql_in
from .history import HISTORY_DAYS
from .scoring import iso_prefix
from .versions import latest_per_date

INSIGHT_COLUMNS = ["insight_id", "feed_id", "episode_id", "published", "score", "vector", "flags"]
ROW_COLUMNS = [c for c in INSIGHT_COLUMNS if c != "vector"]  # RankInputs.rows keeps the vectors apart, as a matrix
TOPIC_COLUMNS = ("topic_id", "history_sim")


@dataclass(frozen=True)
class RankInputs:
    """One read of the store for one ranking.

    `rows` has one row per insight: those published in the range read (`in_range` true), plus pinned or fixed
    insights and earlier briefs' picks from outside it; columns ROW_COLUMNS, in_range, TOPIC_COLUMNS and
    picked_before (in a brief of the history window). `vectors` holds their vectors, row for row. With
    `history_stored`, every candidate's history_sim is stored and the range is the corroboration window; without, it
    also holds the HISTORY_DAYS before the brief's window, for novelty to compare the candidates with.
    """

    rows: pa.Table
    vectors: np.ndarray  # the rows' vectors as one matrix, row for row
    feed_weights: dict[str, float]
    profile: np.ndarray | None  # unit vectors of the interest profile; None without one
    history_stored: bool


def load_inputs(store: Store, date: str, *, start: datetime, end: datetime, since: datetime, forced: list[str],
                interests: list[str], settings: Settings | None) -> RankInputs:
    """Read what ranking the day needs: the window [start, end) and the corroboration range from `since`, the forced
    insights, and the briefs of the HISTORY_DAYS before `start`."""
    earlier = (start - timedelta(days=HISTORY_DAYS)).strftime("%Y-%m-%d")
    briefs = latest_per_date(store, f"date < '{date}' AND date >= '{earlier}'", columns=["insight_ids"])
    picked = sorted({i for b in briefs for i in b["insight_ids"] or []})
    recent, recent_vectors, stored = _recent(store, start, end, since, forced)
    known = set(recent.column("insight_id").to_pylist()) if recent.num_rows else set()
    outside = [i for i in dict.fromkeys(forced + picked) if i not in known]
    extra = store.arrow("insights", sql_in("insight_id", outside), columns=INSIGHT_COLUMNS) if outside else None
    if extra is not None and extra.num_rows:
        extra_vectors = matrix(extra.column("vector"))
        extra = store.with_topics(extra.select(ROW_COLUMNS).append_column("in_range", pa.repeat(False, extra.num_rows)),
                                  columns=TOPIC_COLUMNS)
        rows = pa.concat_tables([recent, extra]) if recent.num_rows else extra
        vectors = np.vstack([recent_vectors, extra_vectors]) if recent.num_rows else extra_vectors
    else:
        rows, vectors = (recent, recent_vectors) if recent.num_rows else (_empty(store), np.zeros((0, 0), np.float32))
    rows = rows.append_column("picked_before", pc.is_in(rows.column("insight_id"), pa.array(picked, pa.string())))
    profile = _profile(store, interests, settings) if interests else None
    return RankInputs(rows, vectors, _feed_weights(store), profile, stored)


def _recent(store: Store, start: datetime, end: datetime, since: datetime,
            forced: list[str]) -> tuple[pa.Table, np.ndarray, bool]:
    """The range's rows and vectors, and whether the candidates' history_sim is stored. A day's window (24 hours from
    midnight) whose candidates all have it needs only [since, end); otherwise novelty compares the candidates with the
    HISTORY_DAYS before `start` too. The range is the large read (at 1M insights, 19,000 rows a week, 85,000 a month:
    130 MB of vectors): kept until the insights or their topics change, so re-ranking a day under other weights, a
    composed list and each reader's brief reuse it."""
    if end - start == timedelta(days=1) and start == start.replace(hour=0, minute=0, second=0, microsecond=0):
        rows, vectors = _kept_range(store, since, end)
        if _history_stored(rows, start, forced):
            return rows, vectors, True
    rows, vectors = _kept_range(store, min(start - timedelta(days=HISTORY_DAYS), since), end)
    return rows, vectors, False


def _kept_range(store: Store, lookback: datetime, end: datetime) -> tuple[pa.Table, np.ndarray]:
    return store.kept(("rank_rows", iso_prefix(lookback), iso_prefix(end)), ("insights", "insight_topics"),
                      lambda: _range_rows(store, lookback, end))


def _history_stored(rows: pa.Table, start: datetime, forced: list[str]) -> bool:
    """True when every insight that may be a candidate (in the window and not flagged, or forced) has history_sim."""
    in_window = pc.greater_equal(rows.column("published"), iso_prefix(start))
    unflagged = pc.fill_null(pc.equal(pc.list_value_length(rows.column("flags")), 0), True)
    window = rows.filter(pc.and_(in_window, unflagged))
    forced_in_window = pc.is_in(pa.array(forced, pa.string()), value_set=rows.filter(in_window).column("insight_id"))
    return pc.all(pc.is_valid(window.column("history_sim"))).as_py() is not False and \
        pc.all(forced_in_window).as_py() is not False


def _range_rows(store: Store, lookback: datetime, end: datetime) -> tuple[pa.Table, np.ndarray]:
    """The insights published in [lookback, end) with their topics and in_range set (no vectors), and their vectors
    as a matrix, row for row; sorted by topic and time, so each topic's history is adjacent rows that novelty reads
    as views."""
    recent = store.arrow("insights", f"published >= '{iso_prefix(lookback)}' AND published < '{iso_prefix(end)}'",
                         columns=INSIGHT_COLUMNS)
    if not recent.num_rows:
        return _empty(store), np.zeros((0, 0), dtype=np.float32)
    rows = store.with_topics(recent.select(ROW_COLUMNS).append_column("in_range", pa.repeat(True, recent.num_rows)),
                             columns=TOPIC_COLUMNS)
    order = pc.sort_indices(rows, [("topic_id", "ascending"), ("published", "ascending")])
    vectors = matrix(recent.column("vector"), order.to_numpy())  # gathered in that order: one copy of 130 MB at 1M
    vectors.setflags(write=False)  # shared by every ranking that reuses this read
    return rows.take(order), vectors


def _empty(store: Store) -> pa.Table:
    """No rows, with the columns and types of RankInputs.rows (without picked_before), even before any insight is
    stored (ROW_COLUMNS leave the vector out, so its dimension does not matter)."""
    fields = [insights_schema(1).field(c) for c in ROW_COLUMNS]
    return store.with_topics(pa.schema([*fields, pa.field("in_range", pa.bool_())]).empty_table(), columns=TOPIC_COLUMNS)


def _feed_weights(store: Store) -> dict[str, float]:
    rows = store.rows("feeds", columns=["feed_id", "weight"])
    return {r["feed_id"]: 1.0 if r["weight"] is None else max(float(r["weight"]), 0.0) for r in rows}


def _profile(store: Store, interests: list[str], settings: Settings | None) -> np.ndarray | None:
    """Unit vectors of the interests: topic centroids, liked insights' vectors, and embedded keywords."""
    from ..insights.embed import embed

    topics = store.arrow("topics", sql_in("topic_id", interests), columns=["topic_id", "centroid"])
    liked = store.arrow("insights", sql_in("insight_id", interests), columns=["insight_id", "vector"])
    found = set(topics.column("topic_id").to_pylist() if topics.num_rows else [])
    found |= set(liked.column("insight_id").to_pylist() if liked.num_rows else [])
    keywords = [i for i in interests if i not in found and i.strip()]
    parts = [matrix(topics.column("centroid"))] if topics.num_rows else []
    if liked.num_rows:
        parts.append(matrix(liked.column("vector")))
    if keywords:
        parts.append(embed(keywords, settings=settings))
    if not parts:
        return None
    vectors = np.vstack(parts).astype(np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
