"""The score components of the daily ranking; each returns one value in [0, 1] per candidate (or None: not used).

Pure functions over the candidates and RankInputs (rank_inputs.py): none of them opens the store.
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .related import RELATED_THRESHOLD

log = logging.getLogger(__name__)

BLOCK = 512  # candidate rows per similarity block, to bound memory on large days
# Below this cosine two insights are never the same idea: the lowest same-idea pair of the 290 labelled pairs in
# tests/fixtures/related/ is at 0.456 (bench/calibrate.py). Novelty falls from there to nothing at the related threshold.
UNRELATED = 0.45


def heard_before(similarity: np.ndarray, threshold: float = RELATED_THRESHOLD) -> np.ndarray:
    """How surely an earlier insight at this cosine said the same idea: 0 up to UNRELATED (another point, at most on
    the same topic), 1 from the related threshold on, linear between (a step, for a threshold set under UNRELATED)."""
    similarity = np.asarray(similarity, dtype=np.float32)
    if threshold <= UNRELATED:
        return (similarity >= threshold).astype(np.float32)
    return np.clip((similarity - UNRELATED) / (threshold - UNRELATED), 0, 1).astype(np.float32)


def iso_prefix(moment: datetime) -> str:
    """A UTC moment as the prefix of stored ISO times (no offset), so that string order is time order."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _mask(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow column as a numpy mask (nulls false)."""
    return np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False), dtype=bool)


def _max_similarity(vectors: np.ndarray, others: np.ndarray) -> np.ndarray:
    """For each row of `vectors`, its highest cosine to `others` (0 when there are none), in bounded blocks."""
    out = np.zeros(len(vectors), dtype=np.float32)
    if len(vectors) == 0 or len(others) == 0:
        return out
    for lo in range(0, len(vectors), BLOCK):
        out[lo:lo + BLOCK] = (vectors[lo:lo + BLOCK] @ others.T).max(axis=1)
    return np.clip(out, 0, 1)


def _topic_codes(*columns: list) -> list[np.ndarray]:
    """Each list of topic ids as integer codes shared across the lists; -1 for no topic."""
    names = sorted({t for column in columns for t in column if t})
    code = {t: n for n, t in enumerate(names)}
    return [np.array([code.get(t, -1) for t in column], dtype=np.int64) for column in columns]


def _other_podcasts(vectors: np.ndarray, own: np.ndarray, others: np.ndarray, feeds: np.ndarray,
                    threshold: float) -> np.ndarray:
    """For each row, how many podcasts besides its own (`own`: feed codes) have an insight in `others` at `threshold`
    cosine or closer; `feeds` are the codes of `others`' podcasts, sorted."""
    counts = np.zeros(len(vectors), dtype=np.int64)
    if len(vectors) == 0 or len(others) == 0:
        return counts
    starts = np.flatnonzero(np.r_[True, feeds[1:] != feeds[:-1]])
    for lo in range(0, len(vectors), BLOCK):
        # Per podcast, the best match: a podcast corroborates when that reaches the threshold.
        similar = np.maximum.reduceat(vectors[lo:lo + BLOCK] @ others.T, starts, axis=1) >= threshold
        similar &= feeds[starts][None, :] != own[lo:lo + BLOCK, None]
        counts[lo:lo + BLOCK] = similar.sum(axis=1)
    return counts


def novelty(cand: dict, rows: pa.Table, row_vectors: np.ndarray, start: datetime, *, stored: bool = False,
            threshold: float = RELATED_THRESHOLD) -> np.ndarray:
    """1 minus how surely the closest match among earlier briefs' picks and the same topic's insights before the window
    said the same idea (`heard_before`, the same idea from the related `threshold` on): an aside is no newer than
    another point on a topic heard this month.

    `rows` and `row_vectors` are RankInputs': its `picked_before` rows are the earlier picks, its in-range rows
    published before `start` the history. With `stored`, the candidates' history_sim (history.py: the same match,
    kept per insight) stands for the history.
    """
    return 1.0 - heard_before(_closest_heard(cand, rows, row_vectors, start, stored=stored), threshold)


def _closest_heard(cand: dict, rows: pa.Table, row_vectors: np.ndarray, start: datetime, *, stored: bool) -> np.ndarray:
    """Each candidate's highest cosine to an earlier pick or to its topic's insights before the window (see novelty)."""
    vectors = cand["vector"]
    closest = np.zeros(len(vectors), dtype=np.float32)
    if len(vectors) == 0:
        return closest
    picked = _mask(rows.column("picked_before"))
    if picked.any():
        closest = _max_similarity(vectors, row_vectors[picked])
    if stored:
        return np.maximum(closest, np.array(cand["history_sim"], dtype=np.float32))
    history_at = np.flatnonzero(_mask(pc.and_(rows.column("in_range"),
                                              pc.less(rows.column("published"), iso_prefix(start)))))
    if len(history_at) == 0:
        return closest
    history = rows.select(["insight_id", "topic_id"]).take(history_at)  # not the vectors: 130 MB at 1M
    cand_topics, history_topics = _topic_codes(cand["topic_id"], history.column("topic_id").to_pylist())
    by_topic = np.argsort(history_topics, kind="stable")  # each topic's history rows, in their order
    ordered = history_at[by_topic]  # the row of each, topic after topic
    bounds = np.searchsorted(history_topics[by_topic], np.arange(max(cand_topics.max(), history_topics.max()) + 2))
    # An insight pinned from before the window is part of that history; it must not match itself.
    own = pc.index_in(pa.array(cand["insight_id"], pa.string()), value_set=history.column("insight_id"))
    own = np.asarray(pc.fill_null(own, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    sorted_at = np.empty(len(by_topic), dtype=np.int64)
    sorted_at[by_topic] = np.arange(len(by_topic))
    own = np.where(own >= 0, sorted_at[np.maximum(own, 0)], -1)  # its position in `ordered`
    for code in np.unique(cand_topics):
        # The topic's own history; while there are no topics (code -1), the whole history.
        lo, hi = (0, len(by_topic)) if code < 0 else (bounds[code], bounds[code + 1])
        if lo == hi:
            continue
        history_vectors = _rows(row_vectors, ordered[lo:hi])
        at = np.flatnonzero(cand_topics == code)
        for first in range(0, len(at), BLOCK):
            block = at[first:first + BLOCK]
            sims = vectors[block] @ history_vectors.T
            mine = np.flatnonzero((own[block] >= lo) & (own[block] < hi))
            sims[mine, own[block][mine] - lo] = -1.0
            closest[block] = np.maximum(closest[block], np.clip(sims.max(axis=1), 0, 1))
    return closest


def _rows(matrix: np.ndarray, at: np.ndarray) -> np.ndarray:
    """matrix[at] for ascending row numbers: a view when they are adjacent (ranking reads its rows sorted by topic,
    so each topic's history is), else a copy of those rows."""
    return matrix[at[0]:at[-1] + 1] if at[-1] - at[0] + 1 == len(at) else matrix[at]


def corroboration(cand: dict, rows: pa.Table, row_vectors: np.ndarray, since: datetime, threshold: float,
                  full: int) -> np.ndarray:
    """How many other podcasts said something similar since `since`, as a share of `full` (capped at 1).

    Exact, in two passes: each candidate is compared with its own topic's insights first, and with all of them only
    when fewer than `full` podcasts matched there (a similar insight is mostly in the same topic; the count is capped).
    """
    vectors = cand["vector"]
    counts = np.zeros(len(vectors), dtype=np.int64)
    if len(vectors) == 0 or rows.num_rows == 0:
        return counts.astype(np.float32)
    in_window = _mask(pc.and_(rows.column("in_range"), pc.greater_equal(rows.column("published"), iso_prefix(since))))
    window = rows.select(["feed_id", "topic_id"]).filter(in_window)
    if window.num_rows == 0:
        return counts.astype(np.float32)
    feeds, codes = np.unique(np.array(window.column("feed_id").to_pylist(), dtype=str), return_inverse=True)
    by_feed = np.argsort(codes, kind="stable")
    window_feeds = codes[by_feed]
    window_vectors = row_vectors[np.flatnonzero(in_window)[by_feed]]
    own = {feed: n for n, feed in enumerate(feeds.tolist())}
    own_feed = np.array([own.get(f, -1) for f in cand["feed_id"]], dtype=np.int64)
    cand_topics, window_topics = _topic_codes(cand["topic_id"], window.column("topic_id").to_pylist())
    window_topics = window_topics[by_feed]
    for code in np.unique(cand_topics[cand_topics >= 0]):
        at, cols = np.flatnonzero(cand_topics == code), np.flatnonzero(window_topics == code)
        counts[at] = _other_podcasts(vectors[at], own_feed[at], window_vectors[cols], window_feeds[cols], threshold)
    rest = np.flatnonzero(counts < full)
    counts[rest] = _other_podcasts(vectors[rest], own_feed[rest], window_vectors, window_feeds, threshold)
    return (np.minimum(counts, full) / full).astype(np.float32)


def recency(cand: dict, start: datetime, end: datetime) -> np.ndarray:
    """Where in the window each insight's episode came out: 0 at the start, 1 at the end."""
    span = (end - start).total_seconds()
    out = np.zeros(len(cand["insight_id"]), dtype=np.float32)
    for row, published in enumerate(cand["published"]):
        if published:
            moment = datetime.fromisoformat(published.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=start.tzinfo)
            out[row] = (moment - start).total_seconds() / span
    return np.clip(out, 0, 1)


def podcast_weight(cand: dict, feed_weights: dict[str, float]) -> np.ndarray:
    """Each podcast's weight, scaled so that the largest weight (or 1, if larger) scores 1."""
    top = max([1.0, *feed_weights.values()])
    return np.array([feed_weights.get(f, 1.0) / top for f in cand["feed_id"]], dtype=np.float32)


def interest(cand: dict, profile: np.ndarray | None) -> np.ndarray | None:
    """Closest cosine to the interest profile (unit vectors); None without a profile."""
    if profile is None or len(profile) == 0 or len(cand["vector"]) == 0:
        return None
    return _max_similarity(cand["vector"], profile)
