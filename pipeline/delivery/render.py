"""A personal brief as HTML (CSS inlined), plain text, and Markdown for chat, from the Jinja2 templates.

HTML and XML templates autoescape everything; text from feeds, transcripts, editors and LLMs is never marked
safe. The Markdown template escapes with the export's `escape`, so a title cannot form a link or an image.
Links from feeds are kept only when they are http(s) (the export's `safe_url`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import Settings
from ..engine.export import NO_RELATED, TITLE, escape, safe_url
from ..engine.rank import Brief, parse_date
from ..store import Store
from . import links
from .personal import Alert, BriefMaker, PersonalBrief, Related, Source, pick_source

TEMPLATES = Path(__file__).parent / "templates"
SUBJECT_PREVIEW = 70  # characters of the first insight in the subject line
# Never fetch a stylesheet named in the HTML: only ingest/http.py opens URLs, and our templates link none.
INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


@cache
def environment() -> Environment:
    """The Jinja2 environment: autoescape for .html and .xml templates, undefined names are errors."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "xml"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = escape
    env.globals["no_related"] = NO_RELATED
    env.filters["oneline"] = lambda text: " ".join(str(text or "").split())
    return env


def clock(seconds: float) -> str:
    """A timestamp such as 4:05 or 1:02:03."""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"


def _source(source: Source) -> dict:
    return {"podcast": source.feed_title, "episode": source.episode_title, "episode_url": safe_url(source.episode_link),
            "audio_url": safe_url(source.audio_url, seconds=source.start_s), "clock": clock(source.start_s)}


def _related(item: Related) -> dict:
    return {"text": item.text, **_source(item.source)}


def _alert(alert: Alert) -> dict:
    return {"keyword": alert.keyword, "matches": [_related(m) for m in alert.matches], "more": alert.more}


def brief_view(brief: PersonalBrief, *, public_url: str, token: str | None, name: str = "") -> dict:
    """What the templates show: items with sources, quotes, notes, related insights and links, then alerts.

    With no token (the public feed), there are no thumbs or unsubscribe links.
    """
    items = []
    for number, item in enumerate(brief.items, start=1):
        pick = item.pick
        quote = " ".join((pick.quote or "").split())
        votes = {vote: links.vote_url(public_url, token, pick.insight_id, vote, brief.date) for vote in ("up", "down")} \
            if token else {}
        items.append({
            "number": number, "text": pick.text, "quote": quote if quote and quote != " ".join(pick.text.split()) else "",
            "verbatim": quote == " ".join(pick.text.split()), "note": pick.note or "", "topic": pick.topic_label or "",
            "related": [_related(r) for r in item.related], "up_url": votes.get("up"), "down_url": votes.get("down"),
            **_source(pick_source(pick)),
        })
    return {
        "title": TITLE, "date": brief.date, "date_label": parse_date(brief.date).strftime("%A %-d %B %Y"),
        "name": name, "note": brief.note or "", "items": items, "alerts": [_alert(a) for a in brief.alerts],
        "personalised": brief.personalised, "interests": brief.interests,
        "unsubscribe_url": links.unsubscribe_url(public_url, token) if token else None,
        "feed_url": links.reader_feed_url(public_url, token) if token else links.public_feed_url(public_url),
        "dashboard_url": public_url.rstrip("/") + "/",
    }


def subject(view: dict) -> str:
    """The subject line: title, date and the start of the first insight, on one line."""
    first = " ".join(view["items"][0]["text"].split()) if view["items"] else "no insights today"
    if len(first) > SUBJECT_PREVIEW:
        first = first[:SUBJECT_PREVIEW].rsplit(" ", 1)[0] + "…"
    return f"{view['title']} · {view['date_label']}: {first}"


def render_html(view: dict) -> str:
    """The email's HTML part, with its CSS inlined into style attributes (mail clients drop <style>)."""
    return INLINER.inline(environment().get_template("brief.html").render(**view))


def render_body_html(view: dict) -> str:
    """The brief's HTML without the email's frame (for Atom entries), CSS inlined."""
    return INLINER.inline_fragment(environment().get_template("body.html").render(**view),
                                   (TEMPLATES / "brief.css").read_text(encoding="utf-8"))


def render_text(view: dict) -> str:
    """The email's plain-text part."""
    return environment().get_template("brief.txt").render(**view)


def render_markdown(view: dict) -> str:
    """The brief as Markdown for chat channels (Slack, Discord, Teams, ntfy, webhooks)."""
    return environment().get_template("brief.md").render(**view)


def email_preview(store: Store, brief: Brief, settings: Settings) -> str:
    """The HTML email of a brief as a reader with no interests would get it (the editor's preview before publishing)."""
    view = brief_view(BriefMaker(store, settings).as_is(brief), public_url=settings.podbrief_public_url, token=None)
    return render_html(view)
