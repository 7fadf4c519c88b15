"""The feed and episode catalogue: adding feeds, OPML import, listing, status and retries."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlparse

from ..errors import FeedError
from ..store import Store, now_iso, sql_eq, sql_in
from .feeds import feed_id_for

log = logging.getLogger(__name__)

STATES = ("new", "transcribed", "extracted", "failed", "skipped")  # skipped: backlog beyond --max-new


def normalise_url(url_or_path: str) -> str:
    """An http(s) or file:// URL for a feed given as a URL or a local path."""
    text = url_or_path.strip()
    scheme = urlparse(text).scheme.lower()
    if scheme in {"http", "https", "file"}:
        return text
    if scheme and len(scheme) > 1:
        raise FeedError(f"{text} is not an http(s) URL, a file:// URL or a local path. Check the address.")
    return Path(text).expanduser().resolve().as_uri()


def add_feeds(store: Store, urls: list[str], *, weight: float = 1.0) -> list[dict]:
    """Add feeds by URL or path (already known ones are left as they are); returns their rows."""
    rows = []
    for raw in urls:
        url = normalise_url(raw)
        existing = find_feed(store, url)
        if existing:
            rows.append(existing)
            continue
        row = {"feed_id": feed_id_for(url), "url": url, "title": "", "weight": weight, "blocked": False, "added_at": now_iso()}
        store.upsert("feeds", [row], insert_only=True)
        log.info("added feed %s", url)
        rows.append(find_feed(store, url) or row)
    return rows


def find_feed(store: Store, url: str) -> dict | None:
    """The stored feed with this URL (current or the one it moved from), if any."""
    found = store.rows("feeds", f"{sql_eq('url', url)} OR {sql_eq('moved_from', url)} OR {sql_eq('feed_id', feed_id_for(url))}")
    return found[0] if found else None


def import_opml(store: Store, source: str | Path | bytes) -> list[dict]:
    """Add every feed listed in an OPML file (path or bytes); returns their rows."""
    if isinstance(source, bytes):
        data, base = source, ""
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FeedError(f"Cannot read OPML file {path}: {exc.strerror}. Check the path.") from exc
        base = path.resolve().as_uri()
    if re.search(rb"<!ENTITY", data[:20000], re.I):
        raise FeedError("The OPML file declares XML entities; it was not parsed. Export it again from your podcast app.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(f"The OPML file is not valid XML ({exc}). Export it again from your podcast app.") from exc
    urls = [o.get("xmlUrl") or o.get("xmlurl") or "" for o in root.iter("outline")]
    urls = [u.strip() for u in urls if u.strip()]
    relative = [u for u in urls if not urlparse(u).scheme]
    if relative and not base:
        raise FeedError(
            f"The OPML file lists {len(relative)} feed(s) by relative path (e.g. {relative[0]}), which only make sense "
            "next to the file. Import it from disk with `python -m pipeline import-opml FILE`, or use full URLs."
        )
    urls = [urljoin(base, u) for u in urls] if base else urls
    if not urls:
        raise FeedError("The OPML file lists no feeds (no <outline xmlUrl=...>). Export it again from your podcast app.")
    return add_feeds(store, urls)


def list_feeds(store: Store) -> list[dict]:
    """All feeds, with episode counts by state, sorted by title."""
    counts: dict[str, Counter] = {}
    for ep in store.rows("episodes", columns=["feed_id", "status"]):
        counts.setdefault(ep["feed_id"], Counter())[ep["status"]] += 1
    feeds = store.rows("feeds")
    for feed in feeds:
        feed["episodes"] = dict(counts.get(feed["feed_id"], Counter()))
    return sorted(feeds, key=lambda f: (f["title"] or f["url"]).lower())


def list_episodes(store: Store, *, feed_id: str | None = None, status: str | None = None) -> list[dict]:
    """Episodes (newest first), optionally of one feed and/or in one state."""
    filters = [sql_eq("feed_id", feed_id)] if feed_id else []
    if status:
        filters.append(sql_eq("status", status))
    rows = store.rows("episodes", " AND ".join(filters) or None)
    return sorted(rows, key=lambda e: e["published"] or "", reverse=True)


def status(store: Store) -> dict:
    """Counts of feeds and episodes by state, and every failure with its error."""
    feeds = {f["feed_id"]: f for f in store.rows("feeds")}
    episodes = store.rows("episodes", columns=["episode_id", "feed_id", "title", "status", "error", "attempts", "failed_stage"])
    by_state = Counter(e["status"] for e in episodes)
    failures = [
        {"feed": f["url"], "episode": None, "error": f["last_error"]} for f in feeds.values() if f["last_error"]
    ]
    failures += [
        {
            "feed": feeds.get(e["feed_id"], {}).get("url"),
            "episode": e["title"],
            "episode_id": e["episode_id"],
            "stage": e["failed_stage"],
            "attempts": e["attempts"],
            "error": e["error"],
        }
        for e in episodes
        if e["status"] == "failed"
    ]
    return {
        "feeds": len(feeds),
        "episodes": {state: by_state.get(state, 0) for state in STATES},
        "insights": store.count("insights"),
        "failures": failures,
    }


def retry_failed(store: Store, episode_ids: list[str] | None = None) -> int:
    """Make failed episodes (all, or the given ones) eligible again now; returns how many."""
    where = sql_eq("status", "failed")
    if episode_ids:
        where += " AND " + sql_in("episode_id", episode_ids)
    failed = store.rows("episodes", where, columns=["episode_id", "failed_stage"])
    store.update_many(
        "episodes",
        [
            {
                "episode_id": e["episode_id"],
                "status": "transcribed" if e["failed_stage"] == "extract" else "new",
                "attempts": 0,
                "next_attempt_at": None,
                "updated_at": now_iso(),
            }
            for e in failed
        ],
    )
    return len(failed)
