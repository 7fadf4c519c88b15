"""Small RSS documents for tests, in the shape real podcast hosts publish."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr


@dataclass
class Item:
    """One `<item>`: an enclosure and/or `<podcast:transcript>` links, and maybe `<podcast:chapters>`."""

    guid: str
    title: str
    published: str = "Mon, 09 Feb 2026 10:00:00 +0000"
    audio: str | None = None
    audio_type: str = "audio/mpeg"
    transcripts: list[tuple[str, str]] = field(default_factory=list)  # (url, type)
    chapters: str | None = None  # a `<podcast:chapters>` JSON url


def rss(title: str, items: list[Item], *, extra_channel: str = "") -> bytes:
    """An RSS 2.0 podcast feed with the iTunes and Podcasting 2.0 namespaces."""
    body = []
    for item in items:
        parts = [f"<guid isPermaLink='false'>{item.guid}</guid>", f"<title>{item.title}</title>",
                 f"<pubDate>{item.published}</pubDate>"]
        if item.audio:
            parts.append(f"<enclosure url={quoteattr(item.audio)} type='{item.audio_type}' length='1000'/>")
        parts += [f"<podcast:transcript url={quoteattr(url)} type='{kind}'/>" for url, kind in item.transcripts]
        if item.chapters:
            parts.append(f"<podcast:chapters url={quoteattr(item.chapters)} type='application/json+chapters'/>")
        body.append("<item>" + "".join(parts) + "</item>")
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<rss version='2.0' xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd' "
        "xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel>"
        f"<title>{title}</title><link>https://example.org/</link>{extra_channel}{''.join(body)}</channel></rss>"
    ).encode()
