"""The Feeds page's tables in plain words: human times, state names an editor uses, no empty `None` cells.

Addresses and errors pass through `hide_credentials`, so a feed URL's user:password@ never reaches the page, and
visitors who are not signed in see no path on the server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import pandas as pd

from pipeline.ingest import reach
from pipeline.ingest.catalog import hide_credentials

STATE_LABELS = {  # episodes.status as the page says it
    "new": "Waiting",
    "transcribed": "Transcribed",
    "extracted": "Done",
    "failed": "Failed",
    "skipped": "Skipped",
}
SOURCE_LABELS = {"publisher": "From the publisher", "asr": "Speech recognition"}
STATE_NOTES = {
    "new": "Waiting for the next ingestion run.",
    "transcribed": "Transcribed; insights come on the next ingestion run.",
    "skipped": "Older than the newest episodes taken when the feed was added.",
}


def when(iso: str | None, now: datetime | None = None) -> str:
    """A time as people say it: "just now", "5 min ago", "3 h ago", else "10 Feb 2026, 08:14 UTC"; "" when unknown."""
    moment = _parse(iso)
    if moment is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if 0 <= seconds < 60:
        return "just now"
    if 0 <= seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if 0 <= seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return moment.strftime("%-d %b %Y, %H:%M UTC")


def day(iso: str | None) -> str:
    """A date as people write it ("10 Feb 2026"); "" when unknown."""
    moment = _parse(iso)
    return moment.strftime("%-d %b %Y") if moment else ""


def feeds_frame(feed_rows: list[dict], *, editor: bool) -> pd.DataFrame:
    """The feeds (not removed) as the page lists them; only editors see where a local feed's file is."""
    rows = [f for f in feed_rows if not f["removed_at"]]
    return pd.DataFrame({
        "Podcast": [f["title"] or "(not read yet)" for f in rows],
        "Address": [address(f["url"], editor=editor) for f in rows],
        "State": ["Paused" if f["paused"] else "Following" for f in rows],
        "Weight": [1.0 if f["weight"] is None else f["weight"] for f in rows],
        "Episodes": [sum(f["episodes"].values()) for f in rows],
        "Done": [f["episodes"].get("extracted", 0) for f in rows],
        "Failed": [f["episodes"].get("failed", 0) for f in rows],
        "Last checked": [when(f["last_polled"]) or "Not yet" for f in rows],
        "Problem": [hide_credentials(f["last_error"]) for f in rows],
    })


def address(url: str, *, editor: bool) -> str:
    """A feed's address for the page: never its user:password@, and for a visitor no path on the server."""
    if not editor and reach.local_path(url) is not None:
        return f"A file on the server ({PurePosixPath(urlsplit(url).path).name})"
    return hide_credentials(url)


def episodes_frame(episode_rows: list[dict], titles: dict[str, str]) -> pd.DataFrame:
    """Episodes as the page lists them, with why one has no insights where the store records it."""
    return pd.DataFrame({
        "Podcast": [titles.get(e["feed_id"], "") for e in episode_rows],
        "Episode": [e["title"] or "" for e in episode_rows],
        "Published": [day(e["published"]) for e in episode_rows],
        "State": [STATE_LABELS.get(e["status"], e["status"] or "") for e in episode_rows],
        "Transcript": [SOURCE_LABELS.get(e["transcript_source"] or "", "") for e in episode_rows],
        "Insights": [e.get("insights", 0) for e in episode_rows],
        "Tries": [e["attempts"] or 0 for e in episode_rows],
        "Note": [hide_credentials(note(e)) for e in episode_rows],
    })


def note(episode: dict) -> str:
    """What to know about an episode: its error, why it has no insights, or what happens next."""
    if episode["status"] == "failed":
        return episode["error"] or "Failed without a recorded reason."
    if episode["status"] == "extracted":
        if episode.get("extract_note"):
            return episode["extract_note"]
        return "" if episode.get("insights", 0) else "No insights were found in it."
    return STATE_NOTES.get(episode["status"], "")


def _parse(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
