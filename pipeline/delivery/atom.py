"""Atom feeds of briefs: a public one of the published briefs, and a private one per reader of their own briefs.

Each entry is one brief with its full content as HTML (the email's body, without the frame); the XML
serializer escapes it, and the HTML itself escapes every feed, transcript and editor text.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

from ..config import Settings, get_settings
from ..store import Store, now_iso
from . import links, render
from .personal import BriefMaker, PersonalBrief
from .readers import Reader
from .source import published_dates

ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 10  # briefs per feed, newest first


def public_feed(store: Store, *, settings: Settings | None = None) -> bytes:
    """The public feed: the newest published briefs exactly as published. Served at /delivery/briefs.atom."""
    settings = settings or get_settings()
    maker = BriefMaker(store, settings)
    briefs = [b for b in (maker.as_published(d) for d in published_dates(store)[:ENTRIES]) if b]
    return _feed("urn:podbrief:briefs", render.TITLE, links.public_feed_url(settings.podbrief_public_url), briefs,
                 maker, None, settings)


def reader_feed(store: Store, reader: Reader, *, settings: Settings | None = None) -> bytes:
    """A reader's private feed: their personal briefs for the newest published dates, at their token's URL."""
    settings = settings or get_settings()
    maker = BriefMaker(store, settings)
    dates = published_dates(store)[:ENTRIES + 1]
    # Each brief's alerts run from the brief before it, as they would have by email.
    pairs = zip(dates[:ENTRIES], [*dates[1:], None], strict=False)
    briefs = [b for b in (maker.make(reader, d, last_date=before) for d, before in pairs) if b]
    title = f"{render.TITLE} for {reader.name}" if reader.name else f"Your {render.TITLE}"
    feed_id = f"urn:podbrief:reader:{hashlib.sha256(reader.email.encode()).hexdigest()[:16]}"
    return _feed(feed_id, title,
                 links.reader_feed_url(settings.podbrief_public_url, reader.token), briefs, maker, reader, settings)


def _feed(feed_id: str, title: str, self_url: str, briefs: list[PersonalBrief], maker: BriefMaker,
          reader: Reader | None, settings: Settings) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    dashboard = settings.podbrief_public_url.rstrip("/") + "/"
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url, type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=dashboard, type="text/html")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", render.TITLE)
    stamps = {b.date: _published_at(maker, b.date) for b in briefs}
    _text(feed, "updated", max(stamps.values(), default=now_iso()))
    for brief in briefs:
        view = render.brief_view(brief, public_url=settings.podbrief_public_url,
                                 token=reader.token if reader else None, name=reader.name if reader else "")
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", f"{feed_id}:{brief.date}")
        _text(entry, "title", render.subject(view))
        _text(entry, "updated", stamps[brief.date])
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=dashboard, type="text/html")
        content = _text(entry, "content", render.render_body_html(view))
        content.set("type", "html")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _published_at(maker: BriefMaker, date: str) -> str:
    brief = maker.published(date)
    return (brief.published_at if brief and brief.published_at else f"{date}T00:00:00+00:00")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = text
    return element
