"""The feed and episode catalogue: adding feeds, OPML import, listing, status and retries."""

from __future__ import annotations

import ipaddress
import logging
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse, urlsplit

import pyarrow.compute as pc
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET

from ..config import Settings, get_settings
from ..errors import FeedError
from ..store import SCHEMAS, Store, now_iso, sql_eq, sql_in
from . import reach
from .feeds import feed_id_for

log = logging.getLogger(__name__)

STATES = ("new", "transcribed", "extracted", "failed", "skipped")  # skipped: backlog beyond --max-new
CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.I)  # scheme://user:password@


def normalise_url(url_or_path: str, *, via: str = "cli", settings: Settings | None = None) -> str:
    """An http(s) or file:// URL for a feed given as a URL or (not on the Feeds page) a local path."""
    text = url_or_path.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise FeedError(f"“{text}” is not a valid address ({exc}). Check it.") from exc
    scheme = parts.scheme.lower()
    if scheme in reach.WEB_SCHEMES:
        if not parts.hostname:
            raise FeedError(f"{text} has no server name after {scheme}://. Check the address.")
        if via == "page":
            _check_literal_address(text, parts.hostname, settings or get_settings())
        return text
    if via == "page":
        raise FeedError(
            f"“{text}” is not a web address. Only feeds on the web, starting with https:// or http://, can be added here."
        )
    if scheme == "file":
        return text
    if scheme and len(scheme) > 1:
        raise FeedError(f"{text} is not an http(s) URL, a file:// URL or a local path. Check the address.")
    try:
        return Path(text).expanduser().resolve().as_uri()
    except RuntimeError as exc:  # "~someone/feed.xml" for a user this machine does not know
        raise FeedError(f"{text} names a home folder that does not exist here ({exc}). Check the path.") from exc


def add_feeds(store: Store, urls: list[str], *, weight: float = 1.0, via: str = "cli") -> list[dict]:
    """Add feeds by URL or path in one write (known ones stay as they are, removed ones come back); returns their rows.

    via says who adds them: "cli" or "opml" (the operator: local files allowed) or "page" (the Feeds page: web only).
    Nothing is added when any address is refused.
    """
    normalised, refused = _normalise_all(urls, via)
    if refused:
        raise FeedError(refused[0] if len(refused) == 1 else f"{len(refused)} addresses were refused:\n" + "\n".join(refused))
    return _add(store, normalised, weight=weight, via=via)


def find_feed(store: Store, url: str) -> dict | None:
    """The stored feed with this URL (current or the one it moved from), if any."""
    found = store.rows("feeds", f"{sql_eq('url', url)} OR {sql_eq('moved_from', url)} OR {sql_eq('feed_id', feed_id_for(url))}")
    return found[0] if found else None


@dataclass
class Imported:
    """What an OPML import added, and the outlines it refused (one line each, with the reason)."""

    feeds: list[dict]
    refused: list[str] = field(default_factory=list)


def import_opml(store: Store, source: str | Path | bytes, *, via: str = "opml") -> Imported:
    """Add every feed listed in an OPML file (path, or bytes uploaded on the Feeds page with via="page") in one write."""
    settings = get_settings()
    if isinstance(source, bytes):
        data, base = source, ""
    else:
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FeedError(f"Cannot read OPML file {path}: {exc.strerror}. Check the path.") from exc
        base = path.resolve().as_uri()
    if len(data) > settings.podbrief_max_feed_mb * 1024 * 1024:
        raise FeedError(f"The OPML file is over {settings.podbrief_max_feed_mb} MB (PODBRIEF_MAX_FEED_MB); split it up.")
    urls = _outline_urls(data)
    relative = [u for u in urls if not urlparse(u).scheme]
    if relative and not base:
        raise FeedError(
            f"The OPML file lists {len(relative)} feed(s) by relative path (e.g. {relative[0]}), which only make sense "
            "next to the file. Import it from disk on the server, or use full web addresses."
        )
    urls = [urljoin(base, u) for u in urls] if base else urls
    if not urls:
        raise FeedError("The OPML file lists no feeds (no <outline xmlUrl=...>). Export it again from your podcast app.")
    normalised, refused = _normalise_all(urls, via)
    return Imported(_add(store, normalised, weight=1.0, via=via), refused)


def _outline_urls(data: bytes) -> list[str]:
    try:
        root = DefusedET.fromstring(data)
    except DefusedXmlException as exc:
        raise FeedError("The OPML file declares XML entities; it was not read. Export it again from your podcast app.") from exc
    except ET.ParseError as exc:
        raise FeedError(f"The OPML file is not valid XML ({exc}). Export it again from your podcast app.") from exc
    urls = [o.get("xmlUrl") or o.get("xmlurl") or "" for o in root.iter("outline")]
    return [u.strip() for u in urls if u.strip()]


def _normalise_all(urls: list[str], via: str) -> tuple[list[str], list[str]]:
    """The addresses as stored, and one line per refused one."""
    settings = get_settings()
    good, refused = [], []
    for raw in urls:
        try:
            good.append(normalise_url(raw, via=via, settings=settings))
        except FeedError as exc:
            refused.append(str(exc))
    return good, refused


def _add(store: Store, urls: list[str], *, weight: float, via: str) -> list[dict]:
    """Insert the feeds not yet known in one write; known ones that were removed come back."""
    stored = store.rows("feeds")
    known = {key: row for row in stored for key in (row["url"], row["moved_from"], row["feed_id"]) if key}
    empty = dict.fromkeys(SCHEMAS["feeds"].names)
    rows: dict[str, dict] = {}
    fresh, revived = [], []
    stamp = now_iso()
    for url in urls:
        row = known.get(url) or known.get(feed_id_for(url))
        if row is None:
            row = empty | {"feed_id": feed_id_for(url), "url": url, "title": "", "weight": weight, "blocked": False,
                           "paused": False, "added_at": stamp, "added_via": via}
            known[url] = known[row["feed_id"]] = row
            fresh.append(row)
        elif row["removed_at"] and row["feed_id"] not in rows:
            row |= {"removed_at": None, "paused": False}
            revived.append({"feed_id": row["feed_id"], "removed_at": None, "paused": False})
        rows[row["feed_id"]] = row
    store.upsert("feeds", fresh, insert_only=True)
    store.update_many("feeds", revived)
    log.info("added %d feed(s), %d back from removal, %d already known", len(fresh), len(revived),
             len(rows) - len(fresh) - len(revived))
    return list(rows.values())


def _check_literal_address(url: str, host: str, settings: Settings) -> None:
    """On the Feeds page, refuse a private or loopback address written out in the URL before anything is fetched."""
    if host.lower().rstrip(".") == "localhost":
        host = "127.0.0.1"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return  # a name: checked when it is fetched (the preview does that before saving)
    problem = reach.address_problem(ip, private_ok=settings.podbrief_allow_private_urls)
    if problem:
        raise FeedError(f"{url} is not on the public internet ({problem}), so it cannot be added here.")


def list_feeds(store: Store) -> list[dict]:
    """All feeds (removed ones too, flagged by removed_at: their kept episodes need titles), with episode counts by state."""
    counts: dict[str, Counter] = {}
    for ep in store.rows("episodes", columns=["feed_id", "status"]):
        counts.setdefault(ep["feed_id"], Counter())[ep["status"]] += 1
    feeds = store.rows("feeds")
    for feed in feeds:
        feed["episodes"] = dict(counts.get(feed["feed_id"], Counter()))
    return sorted(feeds, key=lambda f: (f["title"] or f["url"]).lower())


def list_episodes(store: Store, *, feed_id: str | None = None, status: str | None = None, limit: int | None = None,
                  offset: int = 0) -> tuple[list[dict], int]:
    """Episodes newest first (optionally of one feed and/or in one state), `limit` of them from `offset`, each with
    its insight count; and how many match in all. Only the page's rows and insights are read (a 1M store holds
    125,000 episodes)."""
    filters = [sql_eq("feed_id", feed_id)] if feed_id else []
    if status:
        filters.append(sql_eq("status", status))
    keys = store.arrow("episodes", " AND ".join(filters) or None, columns=["episode_id", "published"])
    if keys.num_rows == 0:
        return [], 0
    order = pc.sort_indices(keys, [("published", "descending", "at_end")])
    ids = keys.column("episode_id").take(order).to_pylist()[offset:None if limit is None else offset + limit]
    if not ids:
        return [], keys.num_rows
    rows = {r["episode_id"]: r for r in store.rows("episodes", sql_in("episode_id", ids))}
    counts = Counter(store.arrow("insights", sql_in("episode_id", ids), columns=["episode_id"]).column("episode_id")
                     .to_pylist())
    return [{**rows[i], "insights": counts.get(i, 0)} for i in ids], keys.num_rows


def hide_credentials(text: str | None) -> str:
    """Text with the user:password@ part of every URL in it masked, for showing on the dashboard."""
    return CREDENTIALS.sub(r"\1***@", text or "")


def status(store: Store) -> dict:
    """Counts of feeds (not removed) and episodes by state, and every failure with its error."""
    feeds = {f["feed_id"]: f for f in store.rows("feeds", "removed_at IS NULL")}
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
