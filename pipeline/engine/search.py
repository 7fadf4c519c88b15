"""Search and detail reads for the dashboard: one ranked list from full-text and semantic search, and an insight's context.

Full-text search runs over insights and transcript segments, semantic search over insight vectors; the lists are
merged by reciprocal rank fusion, so an item found both ways rises to the top.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from ..config import Settings
from ..store import Store, sql_eq, sql_in, sql_quote
from .related import RELATED_LIMIT, RELATED_THRESHOLD, related_to_vector
from .speakers import speakers_at

log = logging.getLogger(__name__)

SEARCH_LIMIT = 200  # the page shows them 20 at a time
KINDS = ("insight", "segment")
RRF_K = 60  # the usual constant of reciprocal rank fusion
# Semantic hits below this cosine are noise: the best F2 (recall counts double) on 110 labelled query/hit pairs,
# tests/fixtures/search/ (bench/calibrate.py). Off-topic queries score below it.
MIN_SIMILARITY = 0.3
CONTEXT_S = 45.0  # transcript seconds shown either side of an insight
QUERY_WORD = re.compile(r"\w+")
INSIGHT_COLUMNS = ["insight_id", "episode_id", "feed_id", "published", "text", "start_s", "end_s"]


@dataclass(frozen=True)
class SearchFilters:
    """What a search is narrowed to: podcasts, a publication date range (ISO dates, inclusive), topics, and kinds."""

    feed_ids: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    topic_ids: tuple[str, ...] = ()  # transcript passages have no topic: with topics chosen, only insights are found
    kinds: tuple[str, ...] = KINDS


def search(store: Store, query: str, *, limit: int = SEARCH_LIMIT, filters: SearchFilters | None = None,
           settings: Settings | None = None) -> list[dict]:
    """Insights and transcript passages matching a query by words or by meaning, best first, within the filters.

    Each hit has kind (insight | segment), id, text, speaker, episode and podcast titles, episode link, published,
    start_s, audio_url, score (fused rank), matched_by (text, meaning) and, for an insight, in_transcript (the
    passage it came from matched too and is not listed again). Semantic hits below MIN_SIMILARITY are dropped.
    Example: `search(open_store("data/lancedb"), "generics in Go", filters=SearchFilters(kinds=("insight",)))`
    """
    words = " ".join(QUERY_WORD.findall(query or ""))  # plain words: no query syntax reaches the index
    filters = filters or SearchFilters()
    if not words:
        return []
    ranked: dict[tuple[str, str], dict] = {}

    def add(kind: str, rows: list[dict], how: str) -> None:
        for rank, row in enumerate(rows):
            key = (kind, row["insight_id"] if kind == "insight" else row["segment_id"])
            hit = ranked.setdefault(key, {"kind": kind, "id": key[1], "row": row, "score": 0.0, "matched_by": []})
            hit["score"] += 1.0 / (RRF_K + rank + 1)
            hit["matched_by"].append(how)

    insight_where = _insight_filter(store, filters)
    if "insight" in filters.kinds:
        add("insight", store.text_search("insights", words, limit=limit, where=insight_where), "text")
        add("insight", _semantic(store, words, limit, insight_where, settings), "meaning")
    segment_where = _segment_filter(store, filters)
    if "segment" in filters.kinds and segment_where != "false":
        add("segment", store.text_search("segments", words, limit=limit, where=segment_where), "text")
    hits = _fold_passages(sorted(ranked.values(), key=lambda h: (-h["score"], h["kind"], h["id"])))[:limit]
    return _describe(store, hits)


def _insight_filter(store: Store, filters: SearchFilters) -> str | None:
    parts = []
    if filters.feed_ids:
        parts.append(sql_in("feed_id", filters.feed_ids))
    if filters.topic_ids:
        parts.append(sql_in("insight_id", store.topic_members(filters.topic_ids)))
    if filters.start:
        parts.append(f"published >= {sql_quote(filters.start)}")
    if filters.end:
        parts.append(f"published < {sql_quote(filters.end + '~')}")  # '~' sorts after any time on that day
    return " AND ".join(parts) or None


def _segment_filter(store: Store, filters: SearchFilters) -> str | None:
    """Passages have no date or topic of their own: the date range picks their episodes; topics rule them out."""
    if filters.topic_ids:
        return "false"
    parts = [sql_in("feed_id", filters.feed_ids)] if filters.feed_ids else []
    if filters.start or filters.end:
        where = " AND ".join(p for p in (f"published >= {sql_quote(filters.start)}" if filters.start else "",
                                         f"published < {sql_quote(filters.end + '~')}" if filters.end else "") if p)
        episodes = [r["episode_id"] for r in store.rows("episodes", where, columns=["episode_id"])]
        parts.append(sql_in("episode_id", episodes))
    return " AND ".join(parts) or None


def _fold_passages(hits: list[dict]) -> list[dict]:
    """Drop a passage that lies inside a listed insight of the same episode (it is where the insight came from)."""
    insights: dict[str, list[dict]] = {}
    for hit in hits:
        if hit["kind"] == "insight":
            insights.setdefault(hit["row"]["episode_id"], []).append(hit)
    kept = []
    for hit in hits:
        row = hit["row"]
        source = next((i for i in insights.get(row["episode_id"], []) if hit["kind"] == "segment"
                       and row["start_s"] < (i["row"]["end_s"] or 0.0) and row["end_s"] > (i["row"]["start_s"] or 0.0)),
                      None)
        if source is None:
            kept.append(hit)
        else:
            source["in_transcript"] = True
            source["matched_by"] = [*source["matched_by"], *hit["matched_by"]]
    return kept


def _semantic(store: Store, query: str, limit: int, where: str | None, settings: Settings | None) -> list[dict]:
    if store.count("insights") == 0:
        return []
    from ..insights.embed import embed

    vector = embed([query], settings=settings)[0]
    rows = store.vector_search(vector, where=where, limit=limit, columns=INSIGHT_COLUMNS)
    return [r for r in rows if 1.0 - r["_distance"] >= MIN_SIMILARITY]


def _describe(store: Store, hits: list[dict]) -> list[dict]:
    rows = [h["row"] for h in hits]
    episodes = {r["episode_id"]: r for r in store.rows(
        "episodes", sql_in("episode_id", {r["episode_id"] for r in rows}),
        columns=["episode_id", "title", "audio_url", "published", "link"])}
    feeds = {r["feed_id"]: r for r in store.rows("feeds", sql_in("feed_id", {r["feed_id"] for r in rows}),
                                                 columns=["feed_id", "title"])}
    speakers = speakers_at(store, [r for h, r in zip(hits, rows, strict=True) if h["kind"] == "insight"])
    topic_of = store.topic_ids_of(h["id"] for h in hits if h["kind"] == "insight")
    out = []
    for hit in hits:
        row = hit["row"]
        episode = episodes.get(row["episode_id"], {})
        out.append({
            "kind": hit["kind"], "id": hit["id"], "text": row["text"], "episode_id": row["episode_id"],
            "speaker": row.get("speaker") if hit["kind"] == "segment" else speakers.get(row["insight_id"]),
            "episode_title": episode.get("title") or "", "episode_link": episode.get("link"), "feed_id": row["feed_id"],
            "feed_title": (feeds.get(row["feed_id"]) or {}).get("title") or row["feed_id"],
            "published": episode.get("published"), "start_s": row["start_s"], "end_s": row["end_s"],
            "topic_id": topic_of.get(hit["id"]), "audio_url": episode.get("audio_url"), "score": round(hit["score"], 5),
            "matched_by": sorted(set(hit["matched_by"])), "in_transcript": bool(hit.get("in_transcript")),
        })
    return out


def insight_detail(store: Store, insight_id: str, *, related_limit: int = RELATED_LIMIT,
                   threshold: float = RELATED_THRESHOLD) -> dict | None:
    """An insight with its episode, podcast, topic, the transcript around it, and related insights; None if unknown."""
    rows = store.rows("insights", sql_eq("insight_id", insight_id))
    if not rows:
        return None
    insight = rows[0]
    vector = np.asarray(insight.pop("vector"), dtype=np.float32)
    insight["topic_id"] = store.topic_ids_of([insight_id]).get(insight_id)
    topic = None
    if insight["topic_id"]:
        topic = (store.rows("topics", sql_eq("topic_id", insight["topic_id"]),
                            columns=["topic_id", "label", "keywords", "size"]) or [None])[0]
    return {"insight": insight, "topic": topic, **_context(store, insight, vector, related_limit, threshold)}


def segment_detail(store: Store, segment_id: str, *, related_limit: int = RELATED_LIMIT,
                   threshold: float = RELATED_THRESHOLD, settings: Settings | None = None) -> dict | None:
    """A transcript segment with its episode, podcast, the transcript around it, and related insights from other
    podcasts (by the meaning of its text); None if unknown."""
    rows = store.rows("segments", sql_eq("segment_id", segment_id))
    if not rows:
        return None
    from ..insights.embed import embed

    segment = rows[0]
    vector = embed([segment["text"]], settings=settings)[0]
    return {"segment": segment, **_context(store, segment, vector, related_limit, threshold)}


def _context(store: Store, row: dict, vector: np.ndarray, related_limit: int, threshold: float) -> dict:
    """The episode and podcast of a timed row, the transcript around it, and related insights from other podcasts."""
    episode = (store.rows("episodes", sql_eq("episode_id", row["episode_id"])) or [None])[0]
    feed = (store.rows("feeds", sql_eq("feed_id", row["feed_id"])) or [None])[0]
    start, end = (row["start_s"] or 0.0) - CONTEXT_S, (row["end_s"] or 0.0) + CONTEXT_S
    segments = store.rows("segments", f"{sql_eq('episode_id', row['episode_id'])} AND end_s >= {start:.3f} "
                                      f"AND start_s <= {end:.3f}")
    return {
        "episode": episode, "feed": feed, "segments": sorted(segments, key=lambda s: s["idx"]),
        "related": related_to_vector(store, vector, exclude_feed=row["feed_id"], limit=related_limit,
                                     threshold=threshold),
    }
