"""Polling one feed: conditional GET, moves and blocks, and inserting the episodes it has not seen."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime
from urllib.parse import urljoin

from ..config import Settings
from ..errors import PodbriefError
from ..models import FeedItem
from ..store import Store, now_iso, sql_eq
from . import reach
from .catalog import normalise_url
from .feeds import parse_feed
from .http import Budget, fetch

log = logging.getLogger(__name__)


def poll_feed(store: Store, feed: dict, *, max_new: int, settings: Settings) -> int | None:
    """Fetch one feed and store its new episodes; returns how many were added, or None when the poll failed.

    A failure is recorded on the feed (last_error) rather than raised, so the run goes on to the next feed.
    """
    url = feed["url"]
    access = reach.feed_access(feed.get("added_via"), settings)
    fetched_at = datetime.now(UTC)
    try:
        result = fetch(url, access=access, budget=Budget.feed(settings), etag=feed["etag"],
                       last_modified=feed["last_modified"])
        updates: dict = {"last_polled": now_iso(), "last_error": None, "etag": result.etag or feed["etag"],
                         "last_modified": result.last_modified or feed["last_modified"]}
        if result.permanent_url and result.permanent_url != url:
            log.info("feed %s moved permanently to %s", url, result.permanent_url)
            updates |= {"url": result.permanent_url, "moved_from": url,
                        "added_via": reach.moved_via(result.permanent_url, url, feed.get("added_via"))}
        if result.status == 304:
            store.update("feeds", feed["feed_id"], updates | {"last_ok": now_iso()})
            return 0
        parsed = parse_feed(result.content, result.url, feed_id=feed["feed_id"], fetched_at=fetched_at)
    except PodbriefError as exc:
        store.update("feeds", feed["feed_id"], {"last_polled": now_iso(), "last_error": str(exc)})
        log.warning("%s", exc)
        return None
    updates |= {
        "title": parsed.title, "author": parsed.author, "image": parsed.image, "language": parsed.language,
        "link": parsed.link, "blocked": parsed.blocked,
    }
    notes = []
    if parsed.new_feed_url:
        notes += _move(parsed.new_feed_url, url, access, feed, updates)
    if parsed.blocked:
        updates["last_error"] = f"Feed {url} asks not to be ingested (<podcast:block>yes); its episodes are skipped."
        store.update("feeds", feed["feed_id"], updates)
        return 0
    added = _insert_new(store, feed, parsed.items, max_new=max_new)
    store.update("feeds", feed["feed_id"], updates | {"last_ok": now_iso(), "last_error": " ".join(notes) or None})
    return added


def _move(new_url: str, url: str, access: reach.Access, feed: dict, updates: dict) -> list[str]:
    """Follow itunes:new-feed-url when the rule allows the new address; returns a note when it does not."""
    try:
        target = normalise_url(urljoin(url, new_url))
    except (PodbriefError, ValueError) as exc:  # ValueError: urljoin on a broken address such as "http://[::1"
        return [f"Ignored the feed's move to {new_url}: {exc}"]
    if target == updates.get("url", url):
        return []
    refused = reach.check_move(target, url, access)
    if refused:
        log.warning("feed %s: not moving to %s: %s", url, target, refused)
        return [f"Ignored the feed's move to {new_url}: {refused}"]
    # Poll the new address from now on; the old one is kept for lookups.
    updates |= {"url": target, "moved_from": url, "etag": None, "last_modified": None,
                "added_via": reach.moved_via(target, url, feed.get("added_via"))}
    return []


def _insert_new(store: Store, feed: dict, items: list[FeedItem], *, max_new: int) -> int:
    known = {e["episode_id"] for e in store.rows("episodes", sql_eq("feed_id", feed["feed_id"]), columns=["episode_id"])}
    usable = [i for i in items if i.audio_url or i.transcripts]
    skipped = len(items) - len(usable)
    if skipped:
        log.info("feed %s: %d item(s) have neither audio nor a transcript; skipped", feed["url"], skipped)
    fresh = [i for i in usable if i.episode_id not in known]
    fresh.sort(key=lambda i: i.published or "", reverse=True)
    backlog: set[str] = set()
    if not known and feed.get("last_ok") is None:
        # A feed's first successful poll (failed polls before it do not count) contributes only its newest
        # episodes; the backlog is stored as "skipped" so later polls know those items and do not backfill it.
        backlog = {i.episode_id for i in fresh[max_new:]}
    stamp = now_iso()
    rows = [
        {
            "episode_id": i.episode_id, "feed_id": feed["feed_id"], "guid": i.guid, "title": i.title,
            "published": i.published, "published_raw": i.published_raw, "audio_url": i.audio_url,
            "audio_type": i.audio_type, "audio_length": i.audio_length, "duration_s": i.duration_s, "link": i.link,
            "description": i.description, "transcripts": json.dumps([asdict(t) for t in i.transcripts]),
            "chapters_url": i.chapters_url,
            "status": "skipped" if i.episode_id in backlog else "new", "attempts": 0,
            "tokens": 0, "created_at": stamp, "updated_at": stamp,
        }
        for i in fresh
    ]
    store.upsert("episodes", rows, insert_only=True)
    return len(rows) - len(backlog)
