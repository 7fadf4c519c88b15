"""One insight once: the same insight from a syndicated copy or a re-run is stored once, "also on" the others.

A new insight is the same as a stored one from another episode when their quotes match once case, spacing
and punctuation are set aside, or when their vectors are near-identical (SAME_VECTOR). The stored insight keeps
its row and gains the new episode in `also_on`; the copy is not stored, so it is never offered as related.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from ..store import Store, sql_eq, sql_in

log = logging.getLogger(__name__)

# A syndicated copy's transcript differs in punctuation, casing and the odd misheard word: its insights embed
# at 0.96-1.00 to the original's (tests/test_dedup.py); two different takeaways of one episode sit below 0.9.
SAME_VECTOR = 0.95
_NOT_WORD = re.compile(r"[^\w]+")


def same_quote_key(quote: str) -> str:
    """A quote with case, spacing and punctuation removed: equal keys are the same words."""
    return _NOT_WORD.sub(" ", quote.lower()).strip()


def merge_copies(store: Store, episode_id: str, rows: list[dict]) -> list[dict]:
    """The rows to store for this episode: all but copies of insights stored from other episodes, on which this
    episode is noted instead; rows that replace this episode's earlier ones keep the episodes they were also on."""
    if not rows or store.count("insights") == 0:
        return rows
    earlier = {r["insight_id"]: r["also_on"] for r in store.rows("insights", sql_eq("episode_id", episode_id),
                                                                  columns=["insight_id", "also_on"])}
    for row in rows:
        row["also_on"] = list(earlier.get(row["insight_id"]) or row.get("also_on") or [])
    fresh: list[dict] = []
    also: dict[str, list[str]] = {}
    for row in rows:
        original = _stored_copy(store, episode_id, row)
        if original is None:
            fresh.append(row)
            continue
        listed = also.setdefault(original["insight_id"], list(original["also_on"] or []))
        if episode_id not in listed:
            listed.append(episode_id)
    if also:
        store.update_many("insights", [{"insight_id": i, "also_on": eps} for i, eps in also.items()])
        log.info("Episode %s: %d insight(s) already stored from another episode; noted there as also on it",
                 episode_id, len(rows) - len(fresh))
    return fresh


def _stored_copy(store: Store, episode_id: str, row: dict) -> dict | None:
    """The stored insight of another episode that says the same as `row`, if any."""
    others = f"NOT {sql_eq('episode_id', episode_id)}"
    columns = ["insight_id", "quote", "also_on"]
    for hit in store.vector_search(np.asarray(row["vector"], dtype=np.float32), where=others, limit=3, columns=columns):
        if 1.0 - hit["_distance"] >= SAME_VECTOR or same_quote_key(hit["quote"] or "") == same_quote_key(row["quote"]):
            return hit
    return None


def episodes_also_on(store: Store, insight: dict) -> list[dict]:
    """The other episodes an insight was also said on (title and podcast), for "also on: <podcast>"."""
    ids = list(insight.get("also_on") or [])
    if not ids:
        return []
    episodes = store.rows("episodes", sql_in("episode_id", ids), columns=["episode_id", "title", "feed_id"])
    feeds = {f["feed_id"]: f["title"] for f in store.rows(
        "feeds", sql_in("feed_id", {e["feed_id"] for e in episodes}), columns=["feed_id", "title"])}
    return [{"episode_id": e["episode_id"], "episode_title": e["title"], "podcast": feeds.get(e["feed_id"]) or e["feed_id"]}
            for e in episodes]
