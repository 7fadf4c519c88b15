"""Reading podcast feeds: feedparser for the bulk, a small scan for the Podcasting 2.0 tags it drops.

feedparser keeps only the last `<podcast:transcript>` of an item and loses the text of `<podcast:block>`,
so those two are read from the raw XML as well.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import logging
import math
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlparse

from ..errors import FeedError
from ..models import FeedItem, ParsedFeed, TranscriptLink

log = logging.getLogger(__name__)

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
DESCRIPTION_CHARS = 2000
RAW_DATE_CHARS = 100  # the published date as the feed wrote it, kept beside the parsed one
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)  # an earlier date is no real publication date: the episode is undated
MAX_DURATION_S = 7 * 24 * 3600.0  # longer "durations" are typos or junk
MAX_BYTES_FIELD = 2**53  # an enclosure length past this is junk (and would overflow the int64 column)
# feedparser's strict parser, hardened: a DOCTYPE that declares entities raises instead of expanding them.
XML_PARSERS = ["defusedxml.expatreader"]
_ATTR = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ITEM = re.compile(r"<item\b[^>]*>(.*?)</item\s*>", re.S | re.I)
_ROOT_CLOSE = re.compile(rb"</(?:[\w-]+:)?(?:rss|feed|RDF)\s*>\s*$", re.I)


def feed_id_for(url: str) -> str:
    """The stable id of a feed: a short hash of the URL it was first added under."""
    return hashlib.sha1(url.strip().encode()).hexdigest()[:16]


def episode_id_for(feed_id: str, guid: str | None, audio_url: str | None, link: str | None, title: str) -> str:
    """The stable id of an episode: from its guid, else its enclosure URL (then link, then title)."""
    key = guid or audio_url or link or title
    return hashlib.sha1(f"{feed_id}|{key}".encode()).hexdigest()[:16]


def parse_feed(content: bytes, url: str, *, feed_id: str | None = None, fetched_at: datetime | None = None) -> ParsedFeed:
    """Parse a feed document fetched from `url` into channel metadata and items; raises FeedError.

    Dates later than fetched_at (default: now) become fetched_at; the raw text is kept on each item.
    """
    import feedparser.api
    from defusedxml import DefusedXmlException

    feedparser.api.PREFERRED_XML_PARSERS = XML_PARSERS
    _reject_hostile(content, url)
    try:
        # feedparser flags a document served without a content type; feeds from files have none.
        doc = feedparser.parse(content, response_headers={"content-location": url, "content-type": "application/xml"})
    except DefusedXmlException as exc:
        raise FeedError(_hostile(url)) from exc
    except (ValueError, LookupError) as exc:  # feedparser trips over a broken encoding declaration, e.g. "\x80UTF-8"
        raise FeedError(f"Feed {url} could not be read ({type(exc).__name__}: {exc}); its XML declaration or encoding "
                        "is broken. Tell the publisher.") from exc
    channel = doc.get("feed", {})
    entries = doc.get("entries", [])
    if not entries and (not doc.get("version") or (doc.get("bozo") and not channel.get("title"))):
        raise FeedError(_unreadable(content, url, doc.get("bozo_exception")))
    if doc.get("bozo") and not _ROOT_CLOSE.search(content.rstrip()):
        raise FeedError(
            f"Feed {url} is truncated: the document ends before its closing tag ({doc.get('bozo_exception')}). "
            "It will be fetched again on the next run; if it stays truncated, tell the publisher."
        )
    if doc.get("bozo"):
        log.info("feed %s is not strict XML (%s); read it leniently", url, doc.get("bozo_exception"))
    text = content.decode(doc.get("encoding") or "utf-8", errors="replace")
    prefix = _podcast_prefix(text)
    raw_items = _ITEM.findall(text)
    fid = feed_id or feed_id_for(url)
    now = fetched_at or datetime.now(UTC)
    items = [
        _item(entry, url, fid, raw_items[i] if len(raw_items) == len(entries) else None, prefix, now)
        for i, entry in enumerate(entries)
    ]
    _split_shared_ids(items, fid)
    return ParsedFeed(
        title=_text(channel.get("title")) or url,
        author=_text(channel.get("author") or channel.get("itunes_author")),
        image=(channel.get("image") or {}).get("href") or None,
        language=channel.get("language") or None,
        link=channel.get("link") or None,
        new_feed_url=(channel.get("itunes_new-feed-url") or "").strip() or None,
        blocked=_blocked(text, prefix, channel),
        items=items,
    )


def _split_shared_ids(items: list[FeedItem], feed_id: str) -> None:
    """Real feeds sometimes give two different episodes one guid; those are told apart by title as well."""
    seen = Counter(i.episode_id for i in items)
    for item in items:
        if seen[item.episode_id] > 1:
            item.episode_id = episode_id_for(feed_id, f"{item.guid}|{item.title}", None, None, item.title)


def _reject_hostile(content: bytes, url: str) -> None:
    """Refuse entity declarations anywhere in the prolog (before the first element), however long it is.

    The hardened parser refuses them too; this also covers feedparser's lenient fallback for broken XML,
    which would still expand the "safe" entities it collects from the prolog.
    """
    text = _utf8(content)
    first = re.search(rb"<[A-Za-z_]", text)
    prolog = text[: first.start()] if first else text
    if b"<!ENTITY" in prolog.upper():
        raise FeedError(_hostile(url))


def _utf8(content: bytes) -> bytes:
    """UTF-16 and UTF-32 documents as UTF-8, so byte patterns find their markup."""
    if content[:4].count(0) >= 1:
        for codec in ("utf-32", "utf-16"):
            try:
                return content.decode(codec).encode()
            except UnicodeDecodeError:
                continue
    return content


def _hostile(url: str) -> str:
    return (f"Feed {url} declares its own XML entities, the shape of an entity-expansion ('billion laughs') attack; "
            "it was not parsed. Remove the feed, or ask the publisher to drop the DOCTYPE.")


def _unreadable(content: bytes, url: str, exc: object) -> str:
    head = content[:2048].lstrip().lower()
    if not head:
        return f"Feed {url} is empty. Check the URL."
    if head.startswith((b"<!doctype html", b"<html")):
        return f"{url} is a web page, not a feed. Find the RSS link on that page (often /feed or /rss) and add that instead."
    if not head.startswith(b"<"):
        return f"{url} is not XML, so it is not a feed ({exc}). Check the URL."
    return f"{url} is not an RSS or Atom feed: {exc}. Check the URL."


def _podcast_prefix(text: str) -> str:
    match = re.search(r'xmlns:([\w-]+)\s*=\s*["\']' + re.escape(PODCAST_NS) + r'/?["\']', text)
    return match.group(1) if match else "podcast"


def _blocked(text: str, prefix: str, channel: dict) -> bool:
    before_items = text.split("<item", 1)[0]
    for attrs, value in re.findall(rf"<{prefix}:block\b([^>]*)>\s*([^<]*?)\s*<", before_items, re.I):
        if "id=" not in attrs and value.lower() == "yes":
            return True
    return str(channel.get("itunes_block", "")).strip().lower() in {"1", "yes", "true"}


def _item(entry: dict, base: str, feed_id: str, raw: str | None, prefix: str, now: datetime) -> FeedItem:
    enclosure = next(iter(entry.get("enclosures") or []), None) or _media_content(entry)
    href = (enclosure.get("href") or enclosure.get("url") or "").strip()
    audio_url = _join(base, href)
    guid = (entry.get("id") or "").strip() or None
    link = entry.get("link") or None
    title = _text(entry.get("title")) or _title_from_url(audio_url) or "(untitled episode)"
    transcripts = _transcripts(raw, base, prefix) if raw is not None else _transcripts_from(entry, base)
    return FeedItem(
        episode_id=episode_id_for(feed_id, guid, audio_url, link, title),
        title=title,
        published=_published(entry, now),
        published_raw=str(entry.get("published") or entry.get("updated") or "")[:RAW_DATE_CHARS] or None,
        audio_url=audio_url,
        audio_type=enclosure.get("type") or None,
        audio_length=_int(enclosure.get("length") or enclosure.get("filesize")),
        duration_s=_duration(entry.get("itunes_duration")),
        guid=guid or audio_url,
        link=link,
        description=_text(entry.get("summary"))[:DESCRIPTION_CHARS],
        transcripts=transcripts,
        chapters_url=_chapters_url(raw, base, prefix) if raw is not None else
        _join(base, (entry.get("podcast_chapters") or {}).get("url") or ""),
    )


def _media_content(entry: dict) -> dict:
    """The first audio or video `<media:content>` (Media RSS feeds carry no `<enclosure>`)."""
    media = [m for m in entry.get("media_content") or [] if str(m.get("type", "")).startswith(("audio/", "video/"))]
    return media[0] if media else {}


def _title_from_url(url: str | None) -> str:
    try:
        return PurePosixPath(urlparse(url).path).stem if url else ""
    except ValueError:
        return ""


def _transcripts(raw: str, base: str, prefix: str) -> list[TranscriptLink]:
    return [TranscriptLink(url, values.get("type", ""), values.get("language"))
            for url, values in _links(raw, base, prefix, "transcript")]


def _chapters_url(raw: str, base: str, prefix: str) -> str | None:
    """The item's first `<podcast:chapters>` link (JSON chapters), made absolute."""
    return next((url for url, _ in _links(raw, base, prefix, "chapters")), None)


def _links(raw: str, base: str, prefix: str, tag: str) -> list[tuple[str, dict[str, str]]]:
    """Each `<podcast:TAG>` of the item's raw XML with a url: that url made absolute, and all its attributes."""
    links = []
    for attrs in re.findall(rf"<{prefix}:{tag}\b([^>]*)>", raw, re.I):
        values = {k.lower(): html.unescape(a or b) for k, a, b in _ATTR.findall(attrs)}
        url = _join(base, values.get("url", ""))
        if url:
            links.append((url, values))
    return links


def _transcripts_from(entry: dict, base: str) -> list[TranscriptLink]:
    tag = entry.get("podcast_transcript") or {}
    url = _join(base, tag.get("url") or "")
    return [TranscriptLink(url, tag.get("type", ""), tag.get("language"))] if url else []


def _join(base: str, href: str) -> str | None:
    """A link made absolute against the feed's URL; None when empty or not a URL at all (e.g. "http://[::1")."""
    href = href.strip()
    if not href:
        return None
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _published(entry: dict, now: datetime) -> str | None:
    """The publication date as ISO UTC, no later than now (a feed cannot publish from the future); None if unusable."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        when = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None
    if when < EARLIEST:
        return None
    return min(when, now.astimezone(UTC).replace(microsecond=0)).isoformat()


def _duration(value: object) -> float | None:
    if not value:
        return None
    parts = str(value).strip().split(":")
    try:
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and 0 < seconds <= MAX_DURATION_S else None


def _int(value: object) -> int | None:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 16:  # "²".isdigit() is True, but int("²") fails
        return None
    number = int(text)
    return number if 0 < number <= MAX_BYTES_FIELD else None


def _text(value: object) -> str:
    if not value:
        return ""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", str(value)))).strip()
