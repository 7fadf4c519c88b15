"""Managing feeds from the dashboard: preview before adding, pause and resume, re-weight, remove."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..config import Settings
from ..engine.history import forget_history
from ..errors import FeedError
from ..store import Store, now_iso, sql_eq, sql_in
from . import reach
from .catalog import add_feeds, normalise_url
from .feeds import parse_feed
from .http import Budget, fetch

log = logging.getLogger(__name__)

MAX_WEIGHT = 5.0


@dataclass(frozen=True)
class FeedPreview:
    """What a feed holds, read before it is saved: enough for an editor to decide."""

    url: str  # the address as it will be stored
    title: str
    author: str
    episodes: int  # items with audio or a transcript
    with_transcript: int
    audio_only: int
    newest: str | None  # ISO date of the newest episode
    known: bool  # the store already has this feed


@dataclass(frozen=True)
class Removal:
    """What removing a feed deleted, and what it kept."""

    title: str
    episodes: int
    insights: int
    kept_insights: int  # in saved briefs, so kept with their episodes to keep those briefs whole


def preview_feed(store: Store, url: str, settings: Settings) -> FeedPreview:
    """Fetch and parse a feed typed on the Feeds page (public web only); raises FeedError or DownloadError saying why not."""
    address = normalise_url(url, via="page", settings=settings)
    got = fetch(address, access=reach.editor_access(settings), budget=Budget.feed(settings))
    parsed = parse_feed(got.content, got.url)
    if parsed.blocked:
        raise FeedError(f"{parsed.title} asks podcast apps not to take its episodes (<podcast:block>), so it is not added.")
    usable = [i for i in parsed.items if i.audio_url or i.transcripts]
    if not usable:
        raise FeedError(f"{parsed.title} has no episodes with audio or a transcript, so there is nothing to take from it.")
    with_transcript = sum(bool(i.transcripts) for i in usable)
    known = store.count("feeds", f"({sql_eq('url', address)} OR {sql_eq('moved_from', address)}) AND removed_at IS NULL")
    return FeedPreview(
        url=address, title=parsed.title, author=parsed.author, episodes=len(usable), with_transcript=with_transcript,
        audio_only=len(usable) - with_transcript, newest=max((i.published for i in usable if i.published), default=None),
        known=bool(known),
    )


def add_previewed(store: Store, preview: FeedPreview, *, weight: float = 1.0) -> dict:
    """Save a feed the editor previewed on the Feeds page; returns its row."""
    return add_feeds(store, [preview.url], weight=_weight(weight), via="page")[0]


def set_paused(store: Store, feed_id: str, paused: bool) -> None:
    """Pause a feed (ingestion skips it) or resume it."""
    store.update("feeds", feed_id, {"paused": paused})


def set_weight(store: Store, feed_id: str, weight: float) -> None:
    """Set how much a feed's insights count in the ranking (1 is normal, 0 keeps them out of the picks)."""
    store.update("feeds", feed_id, {"weight": _weight(weight)})


def remove_feed(store: Store, feed_id: str, *, keep_episodes: bool) -> Removal:
    """Stop following a feed; with keep_episodes its episodes and insights stay, else they are deleted.

    Insights that a saved brief uses are never deleted (nor their episodes and transcript), so published and
    draft briefs stay whole; the feed then stays as a removed entry that names them.
    """
    feed = (store.rows("feeds", sql_eq("feed_id", feed_id)) or [None])[0]
    if feed is None:
        raise FeedError("That feed is no longer in the store; someone may have removed it already. Reload the page.")
    title = feed["title"] or feed["url"]
    tombstone = {"removed_at": now_iso(), "paused": True}
    if keep_episodes:
        store.update("feeds", feed_id, tombstone)
        return Removal(title, 0, 0, 0)
    insights = store.rows("insights", sql_eq("feed_id", feed_id), columns=["insight_id", "episode_id"])
    in_briefs = _insights_in_briefs(store) & {i["insight_id"] for i in insights}
    kept_episodes = {i["episode_id"] for i in insights if i["insight_id"] in in_briefs}
    episodes = [e["episode_id"] for e in store.rows("episodes", sql_eq("feed_id", feed_id), columns=["episode_id"])]
    gone = [e for e in episodes if e not in kept_episodes]
    doomed = [i["insight_id"] for i in insights if i["insight_id"] not in in_briefs]
    if doomed:
        forget_history(store, doomed)
        store.delete("insights", sql_in("insight_id", doomed))
    if gone:
        store.delete("segments", sql_in("episode_id", gone))
        store.delete("episodes", sql_in("episode_id", gone))
    if kept_episodes:
        store.update("feeds", feed_id, tombstone)
    else:
        store.delete("feeds", sql_eq("feed_id", feed_id))
    log.info("removed feed %s: %d episodes, %d insights deleted; %d insights kept for briefs", title, len(gone),
             len(doomed), len(in_briefs))
    return Removal(title, len(gone), len(doomed), len(in_briefs))


def _insights_in_briefs(store: Store) -> set[str]:
    ids: set[str] = set()
    for brief in store.rows("briefs", columns=["insight_ids", "pins"]):
        ids.update(brief["insight_ids"] or [])
        ids.update(brief["pins"] or [])
    return ids


def _weight(weight: float) -> float:
    if not 0 <= weight <= MAX_WEIGHT:
        raise FeedError(f"A feed's weight goes from 0 (never in the picks) to {MAX_WEIGHT:g}; {weight:g} is out of range.")
    return float(weight)
