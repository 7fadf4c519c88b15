"""Polling one feed: conditional GET, moves and blocks, and inserting the episodes it has not seen."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

from ..config import Settings
from ..errors import PodbriefError
from ..models import FeedItem
from ..store import Store, now_iso, sql_eq
from .catalog import normalise_url
from .feeds import parse_feed
from .http import fetch

log = logging.getLogger(__name__)


def poll_feed(store: Store, feed: dict, *, max_new: int, settings: Settings) -> int:
    """Fetch one feed and store its new episodes; returns how many were added. Errors are recorded on the feed."""
    url = feed["url"]
    try:
        result = fetch(url, etag=feed["etag"], last_modified=feed["last_modified"], timeout=settings.podbrief_http_timeout)
        updates: dict = {"last_polled": now_iso(), "last_error": None, "etag": result.etag or feed["etag"],
                   "last_modified": result.last_modified or feed["last_modified"]}
        if result.permanent_url and result.permanent_url != url:
            log.info("feed %s moved permanently to %s", url, result.permanent_url)
            updates |= {"url": result.permanent_url, "moved_from": url}
        if result.status == 304:
            store.update("feeds", feed["feed_id"], updates)
            return 0
        parsed = parse_feed(result.content, result.url, feed_id=feed["feed_id"])
    except PodbriefError as exc:
        store.update("feeds", feed["feed_id"], {"last_polled": now_iso(), "last_error": str(exc)})
        log.warning("%s", exc)
        return 0
    updates |= {
        "title": parsed.title, "author": parsed.author, "image": parsed.image, "language": parsed.language,
        "link": parsed.link, "blocked": parsed.blocked,
    }
    if parsed.new_feed_url and normalise_url(parsed.new_feed_url) != updates.get("url", url):
        # itunes:new-feed-url: poll the new address from now on; the old one is kept for lookups.
        updates |= {"url": normalise_url(parsed.new_feed_url), "moved_from": url, "etag": None, "last_modified": None}
    if parsed.blocked:
        updates["last_error"] = f"Feed {url} asks not to be ingested (<podcast:block>yes); its episodes are skipped."
        store.update("feeds", feed["feed_id"], updates)
        return 0
    added = _insert_new(store, feed, parsed.items, max_new=max_new)
    store.update("feeds", feed["feed_id"], updates)
    return added


def _insert_new(store: Store, feed: dict, items: list[FeedItem], *, max_new: int) -> int:
    known = {e["episode_id"] for e in store.rows("episodes", sql_eq("feed_id", feed["feed_id"]), columns=["episode_id"])}
    usable = [i for i in items if i.audio_url or i.transcripts]
    skipped = len(items) - len(usable)
    if skipped:
        log.info("feed %s: %d item(s) have neither audio nor a transcript; skipped", feed["url"], skipped)
    fresh = [i for i in usable if i.episode_id not in known]
    fresh.sort(key=lambda i: i.published or "", reverse=True)
    backlog: set[str] = set()
    if not known and feed["last_polled"] is None:
        # A feed seen for the first time contributes only its newest episodes; the backlog is stored as
        # "skipped" so later polls know those items and do not backfill years of episodes.
        backlog = {i.episode_id for i in fresh[max_new:]}
    stamp = now_iso()
    rows = [
        {
            "episode_id": i.episode_id, "feed_id": feed["feed_id"], "guid": i.guid, "title": i.title,
            "published": i.published, "audio_url": i.audio_url, "audio_type": i.audio_type,
            "audio_length": i.audio_length, "duration_s": i.duration_s, "link": i.link, "description": i.description,
            "transcripts": json.dumps([asdict(t) for t in i.transcripts]),
            "status": "skipped" if i.episode_id in backlog else "new", "attempts": 0,
            "tokens": 0, "created_at": stamp, "updated_at": stamp,
        }
        for i in fresh
    ]
    store.upsert("episodes", rows, insert_only=True)
    return len(rows) - len(backlog)
