"""Related insights: the same idea said on other podcasts, found by LanceDB vector search.

The store's vector index (built by `Store.optimize` once the table is large) keeps this fast. The "other podcast"
rule is applied to a few times more neighbours than needed, and only when those are mostly from the same podcast
is the search repeated with the rule as a prefilter: at 1M insights a prefilter costs about 60 ms per lookup, the
search itself about 5 ms (bench/engine.py). Only neighbours at
or above the calibrated threshold count as the same idea, and a near-identical text (a syndicated copy or a
re-run) is never offered as related to itself.
"""

from __future__ import annotations

import logging

import numpy as np

from ..errors import PodbriefError
from ..store import Store, sql_eq

log = logging.getLogger(__name__)

RELATED_LIMIT = 5
# Cosine similarity of MiniLM vectors at which two insights are taken for the same idea: the best F0.5 (precision
# counts double) on 290 labelled pairs, tests/fixtures/related/ (bench/calibrate.py; the README has the figures).
RELATED_THRESHOLD = 0.68
NEAR_DUPLICATE = 0.95  # above this, the "other" insight is the same text again (a syndicated copy), not a related one
OVERFETCH = 3  # ask the index for more than needed, so ties at the cut are ordered by date, not by chance
SAME_FEED_MARGIN = 4  # neighbours fetched per one needed, so that the same podcast's may be dropped afterwards
TIE_DECIMALS = 3  # similarities equal to this many decimals are ties, and the newest comes first
COLUMNS = ["insight_id", "episode_id", "feed_id", "published", "text", "start_s", "end_s", "score"]


def related(store: Store, insight_id: str, *, limit: int = RELATED_LIMIT,
            threshold: float = RELATED_THRESHOLD) -> list[dict]:
    """Insights from other podcasts most similar to this one (with `similarity`), best first, newest among ties."""
    rows = store.rows("insights", sql_eq("insight_id", insight_id), columns=["vector", "feed_id"])
    if not rows:
        raise PodbriefError(f"No insight {insight_id!r} in the store. Check the id (see the Explore page or "
                            "`python -m pipeline status`).")
    return related_to_vector(store, np.asarray(rows[0]["vector"], dtype=np.float32), exclude_feed=rows[0]["feed_id"],
                             limit=limit, threshold=threshold)


def related_to_vector(store: Store, vector: np.ndarray, *, exclude_feed: str | None, limit: int = RELATED_LIMIT,
                      threshold: float = RELATED_THRESHOLD) -> list[dict]:
    """Insights most similar to a vector, from feeds other than `exclude_feed`, at or above `threshold` (near-identical
    copies left out)."""
    if limit <= 0:
        return []
    wanted = limit * OVERFETCH
    hits = store.vector_search(vector, limit=wanted * SAME_FEED_MARGIN, columns=COLUMNS)
    others = [h for h in hits if exclude_feed is None or h["feed_id"] != exclude_feed]
    if len(others) < wanted and len(hits) == wanted * SAME_FEED_MARGIN:
        others = store.vector_search(vector, where=f"NOT ({sql_eq('feed_id', exclude_feed)})", limit=wanted, columns=COLUMNS)
    hits = others[:wanted]
    found = []
    for hit in hits:
        similarity = 1.0 - float(hit.pop("_distance"))
        if threshold <= similarity <= NEAR_DUPLICATE:
            found.append({**hit, "similarity": round(similarity, 4)})
    # Stable sorts, last key first: id (a fixed order), then newest, then similarity rounded so near-ties tie.
    found.sort(key=lambda h: h["insight_id"])
    found.sort(key=lambda h: h["published"] or "", reverse=True)
    found.sort(key=lambda h: round(h["similarity"], TIE_DECIMALS), reverse=True)
    found = found[:limit]
    topic_of = store.topic_ids_of(h["insight_id"] for h in found)
    return [{**h, "topic_id": topic_of.get(h["insight_id"])} for h in found]
