"""A brief frozen as it went out: every pick as shown (edited line, notes, sources) with its related insights.

Publishing stores this with the version, so a published brief reads the same later whatever ingestion does
next (re-extracted insights, renamed podcasts, re-clustered topics, new related insights).
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from ..store import Store, sql_in
from .rank import Brief, Pick
from .related import related

RELATED_PER_PICK = 3
PICK_FIELDS = {f.name for f in fields(Pick)}


def related_items(store: Store, insight_id: str, *, threshold: float, limit: int = RELATED_PER_PICK) -> list[dict]:
    """Insights from other podcasts like this one, each with its podcast and episode title, link and audio URL."""
    found = related(store, insight_id, limit=limit, threshold=threshold)
    if not found:
        return []
    episodes = {r["episode_id"]: r for r in store.rows("episodes", sql_in("episode_id", {f["episode_id"] for f in found}),
                                                       columns=["episode_id", "title", "link", "audio_url"])}
    feeds = {r["feed_id"]: r for r in store.rows("feeds", sql_in("feed_id", {f["feed_id"] for f in found}),
                                                 columns=["feed_id", "title"])}
    out = []
    for item in found:
        episode = episodes.get(item["episode_id"], {})
        out.append({"insight_id": item["insight_id"], "episode_id": item["episode_id"], "feed_id": item["feed_id"],
                    "text": item["text"], "start_s": float(item["start_s"] or 0.0), "similarity": item["similarity"],
                    "feed_title": (feeds.get(item["feed_id"]) or {}).get("title") or item["feed_id"],
                    "episode_title": episode.get("title") or "", "episode_link": episode.get("link"),
                    "audio_url": episode.get("audio_url")})
    return out


def freeze(store: Store, brief: Brief) -> str:
    """The brief's picks and window as JSON, each pick with its related insights looked up now."""
    picks = []
    for pick in brief.picks:
        found = pick.related if pick.related is not None else related_items(
            store, pick.insight_id, threshold=brief.weights.related_threshold)
        picks.append({**asdict(pick), "related": found})
    return json.dumps({"window_start": brief.window_start, "window_end": brief.window_end,
                       "candidates": brief.candidates, "eligible": brief.eligible, "picks": picks})


def thaw(text: str, brief: Brief) -> Brief:
    """`brief` (its date, weights and saved metadata) with the picks and window frozen in `text`."""
    data = json.loads(text)
    brief.window_start, brief.window_end = data["window_start"], data["window_end"]
    brief.candidates, brief.eligible = data["candidates"], data["eligible"]
    brief.picks = [Pick(**{k: v for k, v in pick.items() if k in PICK_FIELDS}) for pick in data["picks"]]
    brief.alternates = []
    return brief
