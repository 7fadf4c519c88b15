"""Each insight's closest match among its topic's insights of the HISTORY_DAYS days before its own day.

Ranking's novelty needs it for every candidate of the day, and computing it then means reading a month of insights
with their vectors (at 1M insights, 85,000 rows and 130 MB a day ranked). So it is kept per insight in
insight_topics.history_sim: re-clustering computes it for every insight, ingestion (`fill_history`) for the ones
without it, and a change that could alter it (an editor's merge, a removed feed) sets it to null, which ranking then
computes from the rows, as before. Days are UTC dates, the first ten characters of the stored ISO times.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store import LOOKUP_BY_ID, Store, matrix, sql_in

log = logging.getLogger(__name__)

HISTORY_DAYS = 30  # how far back novelty looks (a topic's history, and earlier briefs)
BLOCK_DAYS = 7  # days of insights compared with their history in one product
SPAN_DAYS = 60  # fill_history recomputes the days of at most this span (plus HISTORY_DAYS after it) per read
UNCHANGED = 1e-5  # a recomputed value this close to the stored one is not written again


def day_numbers(published: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Days since 1970-01-01 of ISO times (their first ten characters); -1 where missing or not a date."""
    days = pc.strptime(pc.utf8_slice_codeunits(published.cast(pa.string()), 0, 10), format="%Y-%m-%d", unit="s",
                       error_is_null=True)
    return np.asarray(pc.fill_null(days.cast(pa.int64()), -86_400).to_numpy(zero_copy_only=False)) // 86_400


def history_similarity(vectors: np.ndarray, topics: np.ndarray, days: np.ndarray,
                       wanted: np.ndarray | None = None) -> np.ndarray:
    """For each row, its highest cosine (clipped to 0..1; 0 with no history) to the rows of the same topic dated 1 to
    HISTORY_DAYS days before it; NaN for a row without a topic (code -1) or a day (-1), or not `wanted` (a mask: the
    other rows only serve as history). Rows are unit vectors."""
    out = np.full(len(vectors), np.nan, dtype=np.float32)
    wanted = np.ones(len(vectors), dtype=bool) if wanted is None else wanted
    valid = np.flatnonzero((topics >= 0) & (days >= 0))
    if len(valid) == 0:
        return out
    order = valid[np.lexsort((days[valid], topics[valid]))]
    sorted_topics = topics[order]
    bounds = np.flatnonzero(np.r_[True, sorted_topics[1:] != sorted_topics[:-1], True])
    for lo, hi in pairwise(bounds):
        rows = order[lo:hi]
        topic_days, topic_vectors, topic_wanted = days[rows], vectors[rows], wanted[rows]
        best = np.full(len(rows), np.nan, dtype=np.float32)
        best[topic_wanted] = 0.0
        for first in range(int(topic_days[0]), int(topic_days[-1]) + 1, BLOCK_DAYS):
            qa, qb = np.searchsorted(topic_days, [first, first + BLOCK_DAYS])
            ha, hb = np.searchsorted(topic_days, [first - HISTORY_DAYS, first + BLOCK_DAYS - 1])
            if qa == qb or ha == hb or not topic_wanted[qa:qb].any():
                continue
            sims = topic_vectors[qa:qb] @ topic_vectors[ha:hb].T
            apart = topic_days[qa:qb, None] - topic_days[None, ha:hb]
            sims[(apart < 1) | (apart > HISTORY_DAYS)] = 0.0
            best[qa:qb] = np.where(topic_wanted[qa:qb], np.clip(sims.max(axis=1), 0.0, 1.0), np.nan)
        out[rows] = best
    return out


def fill_history(store: Store) -> int:
    """Compute history_sim for the insights with a topic and none yet, and again for the insights whose history they
    join (the HISTORY_DAYS days after them); returns how many rows were written. Ingestion runs it after each run."""
    known = store.all_topics(("topic_id", "history_sim"))
    missing = known.filter(pc.and_(pc.is_valid(known.column("topic_id")), pc.is_null(known.column("history_sim"))))
    if missing.num_rows == 0:
        return 0
    ids = missing.column("insight_id")
    if missing.num_rows <= LOOKUP_BY_ID:  # after an ingest, a few: looked up by id, not a scan of every insight
        dated = store.arrow("insights", sql_in("insight_id", ids.to_pylist()), columns=["published"])
    else:
        dated = store.arrow("insights", columns=["insight_id", "published"])
        dated = dated.filter(pc.is_in(dated.column("insight_id"), value_set=ids))
    days = day_numbers(dated.column("published"))
    days = np.unique(days[days >= 0])
    written = 0
    while len(days):
        span = days[days < days[0] + SPAN_DAYS]
        written += _refill(store, int(span[0]), int(span[-1]) + HISTORY_DAYS)
        days = days[len(span):]
    log.info("Computed the history similarity of %d insights", written)
    return written


def _refill(store: Store, first: int, last: int) -> int:
    """Recompute history_sim for the insights dated `first` to `last` (day numbers); write the ones that changed."""
    since = (date(1970, 1, 1) + timedelta(days=first - HISTORY_DAYS)).isoformat()
    until = (date(1970, 1, 1) + timedelta(days=last + 1)).isoformat()
    rows = store.arrow("insights", f"published >= '{since}' AND published < '{until}'",
                       columns=["insight_id", "published", "vector"])
    if rows.num_rows == 0:
        return 0
    rows = store.with_topics(rows, columns=("topic_id", "x", "y", "history_sim"))
    topics = rows.column("topic_id")
    codes = pc.fill_null(pc.index_in(topics, value_set=pc.unique(pc.drop_null(topics))), -1).to_numpy(zero_copy_only=False)
    days = day_numbers(rows.column("published"))
    values = history_similarity(matrix(rows.column("vector")), np.asarray(codes, dtype=np.int64), days,
                                wanted=(days >= first) & (days <= last))  # the rest were read as their history
    stored = np.asarray(pc.fill_null(rows.column("history_sim"), np.nan).to_numpy(zero_copy_only=False), dtype=np.float32)
    changed = np.flatnonzero(~np.isnan(values) & (np.isnan(stored) | (np.abs(values - stored) > UNCHANGED)))
    if len(changed) == 0:
        return 0
    update = rows.select(["insight_id", "topic_id", "x", "y"]).take(changed).append_column(
        "history_sim", pa.array(values[changed], pa.float32()))
    # Only where the insight is still in the topic it was computed for: an editor may have moved it meanwhile.
    store.upsert("insight_topics", update, update_where="target.topic_id = source.topic_id")
    return len(changed)


def forget_history(store: Store, insight_ids: list[str]) -> None:
    """Before these insights are deleted: their topics' history_sim may have rested on them, so it is unknown again."""
    topics = sorted(set(store.topic_ids_of(insight_ids).values()))
    if topics:
        store.update_where("insight_topics", sql_in("topic_id", topics), {"history_sim": None})
