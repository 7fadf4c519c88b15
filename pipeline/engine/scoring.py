"""The score components of the daily ranking; each returns one value in [0, 1] per candidate (or None: not used).

Pure functions over the candidates and RankInputs (rank_inputs.py): none of them opens the store.
"""

from __future__ import annotations

import logging
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store import matrix

log = logging.getLogger(__name__)

BLOCK = 512  # candidate rows per similarity block, to bound memory on large days


def iso_prefix(moment: datetime) -> str:
    """A UTC moment as the prefix of stored ISO times (no offset), so that string order is time order."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _max_similarity(vectors: np.ndarray, others: np.ndarray) -> np.ndarray:
    """For each row of `vectors`, its highest cosine to `others` (0 when there are none), in bounded blocks."""
    out = np.zeros(len(vectors), dtype=np.float32)
    if len(vectors) == 0 or len(others) == 0:
        return out
    for lo in range(0, len(vectors), BLOCK):
        out[lo:lo + BLOCK] = (vectors[lo:lo + BLOCK] @ others.T).max(axis=1)
    return np.clip(out, 0, 1)


def novelty(cand: dict, rows: pa.Table, start: datetime) -> np.ndarray:
    """1 minus the closest match among earlier briefs' picks and the same topic's insights before the window.

    `rows` is RankInputs.rows: its `picked_before` rows are the earlier picks, its in-range rows published before
    `start` the history.
    """
    vectors = cand["vector"]
    if len(vectors) == 0:
        return np.zeros(0, dtype=np.float32)
    closest = np.zeros(len(vectors), dtype=np.float32)
    picked = rows.filter(rows.column("picked_before"))
    if picked.num_rows:
        closest = _max_similarity(vectors, matrix(picked.column("vector")))
    history = rows.filter(pc.and_(rows.column("in_range"), pc.less(rows.column("published"), iso_prefix(start))))
    if history.num_rows == 0:
        return 1.0 - closest
    history_vectors = matrix(history.column("vector"))
    history_topics = np.array([t or "" for t in history.column("topic_id").to_pylist()], dtype=object)
    # An insight pinned from before the window is part of that history; it must not match itself.
    in_history = {insight_id: n for n, insight_id in enumerate(history.column("insight_id").to_pylist())}
    cand_topics = np.array([t or "" for t in cand["topic_id"]], dtype=object)
    for topic in sorted(set(cand_topics)):
        rows = np.flatnonzero(cand_topics == topic)
        # The topic's own history; while there are no topics, the whole history.
        cols = np.arange(len(history_topics)) if topic == "" else np.flatnonzero(history_topics == topic)
        if len(cols) == 0:
            continue
        column_of = np.full(len(history_topics), -1)
        column_of[cols] = np.arange(len(cols))
        for lo in range(0, len(rows), BLOCK):
            block = rows[lo:lo + BLOCK]
            sims = vectors[block] @ history_vectors[cols].T
            for i, row in enumerate(block):
                n = in_history.get(cand["insight_id"][row])
                if n is not None and column_of[n] >= 0:
                    sims[i, column_of[n]] = -1.0
            closest[block] = np.maximum(closest[block], np.clip(sims.max(axis=1), 0, 1))
    return (1.0 - closest).astype(np.float32)


def corroboration(cand: dict, rows: pa.Table, since: datetime, threshold: float, full: int) -> np.ndarray:
    """How many other podcasts said something similar since `since`, as a share of `full` (capped at 1)."""
    vectors = cand["vector"]
    counts = np.zeros(len(vectors), dtype=np.float32)
    if len(vectors) == 0 or rows.num_rows == 0:
        return counts
    window = rows.filter(pc.and_(rows.column("in_range"), pc.greater_equal(rows.column("published"), iso_prefix(since))))
    if window.num_rows == 0:
        return counts
    feeds = np.array(window.column("feed_id").to_pylist(), dtype=object)
    window_vectors = matrix(window.column("vector"))
    for lo in range(0, len(vectors), BLOCK):
        similar = vectors[lo:lo + BLOCK] @ window_vectors.T >= threshold
        for offset, row in enumerate(similar):
            others = set(feeds[row]) - {cand["feed_id"][lo + offset]}
            counts[lo + offset] = min(len(others), full) / full
    return counts


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
