"""One insight once: the same insight from a syndicated copy or a re-run is stored once, "also on" the others.

A new insight is the same as a stored one from another episode when their vectors are near-identical
(SAME_VECTOR), or when nearly all the words of the shorter quote are in the other (SAME_WORDS: a copy transcribed
with other punctuation can cut its passages a sentence longer or shorter). The stored insight keeps
its row and gains the new episode in `also_on`; the copy is not stored, so it is never offered as related.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from ..store import Store, sql_eq, sql_in

log = logging.getLogger(__name__)

# A syndicated copy's transcript differs in punctuation and timing: the insights cut the same way embed at
# 0.96-1.00 to the original's, those cut a sentence longer or shorter at 0.75-0.95 with all the shorter quote's
# words in the other (tests/test_dedup.py); different takeaways of one episode embed below 0.9 and share few words.
SAME_VECTOR = 0.95
SAME_WORDS = 0.8  # share of the shorter quote's distinct words found in the other
# An episode most of whose insights are copies of one other episode's is that episode again (a syndicated copy with
# its own title, a re-run): the few it picked differently, because its title or cuts differ, are not new either.
COPY_SHARE = 0.5
MIN_COPIES = 2  # one shared quote (a clip, a quotation) does not make an episode a copy
_NOT_WORD = re.compile(r"[^\w]+")
NEIGHBOUR_COLUMNS = ["insight_id", "episode_id", "quote", "also_on"]


def same_quote_key(quote: str) -> str:
    """A quote with case, spacing and punctuation removed: equal keys are the same words."""
    return _NOT_WORD.sub(" ", quote.lower()).strip()


def merge_copies(store: Store, episode_id: str, rows: list[dict]) -> list[dict]:
    """The rows to store for this episode: all but copies of insights stored from other episodes, on which this
    episode is noted instead (none when most are copies of one episode's: it is that episode again); rows that
    replace this episode's earlier ones keep the episodes they were also on."""
    if not rows or store.count("insights") == 0:
        return rows
    earlier = {r["insight_id"]: r["also_on"] for r in store.rows("insights", sql_eq("episode_id", episode_id),
                                                                  columns=["insight_id", "also_on"])}
    for row in rows:
        row["also_on"] = list(earlier.get(row["insight_id"]) or row.get("also_on") or [])
    fresh: list[dict] = []
    also: dict[str, list[str]] = {}
    sources: list[str] = []
    neighbours = store.vector_search_many([np.asarray(r["vector"], dtype=np.float32) for r in rows], limit=3,
                                          where=f"NOT {sql_eq('episode_id', episode_id)}", columns=NEIGHBOUR_COLUMNS)
    for row, near in zip(rows, neighbours, strict=True):
        original = _stored_copy(row, near)
        if original is None:
            fresh.append(row)
            continue
        if not row.get("flags"):  # a sponsor read every episode of a show carries makes no episode a copy
            sources.append(original["episode_id"])
        _note_also_on(also, original, episode_id)
    source = max(set(sources), key=sources.count) if sources else None
    shared = sources.count(source) if source else 0
    copy = shared >= max(MIN_COPIES, COPY_SHARE * sum(not r.get("flags") for r in rows))
    if copy:  # the whole episode is said on the source, so every insight of the source is also on it
        for stored in store.rows("insights", sql_eq("episode_id", source), columns=["insight_id", "also_on"]):
            _note_also_on(also, stored, episode_id)
    if also:
        store.update_many("insights", [{"insight_id": i, "also_on": eps} for i, eps in also.items()])
        log.info("Episode %s: %d insight(s) already stored from another episode%s; noted there as also on it",
                 episode_id, len(rows) - len(fresh), f" (it is a copy of {source})" if copy else "")
    return [] if copy else fresh


def _note_also_on(also: dict[str, list[str]], stored: dict, episode_id: str) -> None:
    """Add the episode to a stored insight's also_on list in `also` (started from its stored list)."""
    listed = also.setdefault(stored["insight_id"], list(stored["also_on"] or []))
    if episode_id not in listed:
        listed.append(episode_id)


def _stored_copy(row: dict, neighbours: list[dict]) -> dict | None:
    """The stored insight of another episode (among `row`'s nearest) that says the same as `row`, if any."""
    for hit in neighbours:
        if 1.0 - hit["_distance"] >= SAME_VECTOR or _shared_words(hit["quote"] or "", row["quote"]) >= SAME_WORDS:
            return hit
    return None


def _shared_words(a: str, b: str) -> float:
    """Share of the shorter quote's distinct words (case and punctuation aside) that are in the other."""
    words_a, words_b = set(same_quote_key(a).split()), set(same_quote_key(b).split())
    return len(words_a & words_b) / max(min(len(words_a), len(words_b)), 1)


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
