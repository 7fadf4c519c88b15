"""The brief as Markdown: five insights with podcast, episode and timestamped audio link, each with related insights.

Everything that comes from feeds or editors is escaped, so a title cannot inject links, images or HTML; URLs are
kept only when they are http(s) and are percent-encoded where Markdown would read them as syntax.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from ..config import Settings
from ..errors import PodbriefError
from ..insights.dedup import episodes_also_on
from ..store import Store
from .briefs import assemble_brief, latest_brief_date
from .rank import Brief, Pick
from .snapshot import related_items

log = logging.getLogger(__name__)

TITLE = "Podbrief"
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]!|~$<>#])")  # no [ ]: no link or image; no <: no HTML; $: math; #: heading
ENTITY_START = re.compile(r"&(?=#?\w+;)")  # "&amp;" or "&#60;" would be read as a character reference; "R&D" is not
BLOCK_START = re.compile(r"^([+=-])")  # what would start a list (or underline a heading) at the start of a line
NO_RELATED = "No related insight from other podcasts yet."
ORDERED_START = re.compile(r"^(\d+)([.)])")  # "1." would start a numbered list
URL_SAFE = "/:@!$&'*+,;=?%~.-_"  # kept as-is by quote(); everything else, ( ) < > and spaces included, is encoded


def escape(text: str | None) -> str:
    """Feed or editor text as inert Markdown: one line, Markdown and HTML punctuation backslash-escaped ("&" stays "&")."""
    flat = " ".join((text or "").split())
    inline = ENTITY_START.sub(r"\\&", MARKDOWN_SPECIALS.sub(r"\\\1", flat))
    return ORDERED_START.sub(r"\1\\\2", BLOCK_START.sub(r"\\\1", inline))


def safe_url(url: str | None, *, seconds: float | None = None) -> str | None:
    """An http(s) URL made safe inside Markdown link parentheses, with `#t=SECONDS` when given; else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    fragment = f"t={int(seconds)}" if seconds is not None else parts.fragment
    host = parts.netloc.rpartition("@")[2]  # a feed's user:password@ is never shown to readers
    if not host:
        return None
    return urlunsplit((parts.scheme.lower(), quote(host, safe=":[]"), quote(parts.path, safe=URL_SAFE),
                       quote(parts.query, safe=URL_SAFE), quote(fragment, safe=URL_SAFE)))


def _clock(seconds: float) -> str:
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _source(feed_title: str, episode_title: str, episode_link: str | None, audio_url: str | None,
            start_s: float) -> str:
    link = safe_url(episode_link)
    episode = f"[{escape(episode_title)}]({link})" if link and episode_title else escape(episode_title)
    parts = [f"*{escape(feed_title)}*", episode] if episode else [f"*{escape(feed_title)}*"]
    audio = safe_url(audio_url, seconds=start_s)
    parts.append(f"[▶ {_clock(start_s)}]({audio})" if audio else f"at {_clock(start_s)}")
    return " · ".join(parts)


def _pick_markdown(store: Store, number: int, pick: Pick, threshold: float, explain: bool) -> list[str]:
    """One pick: its headline (when an LLM wrote one), line, sources, copies, public note, and related insights."""
    heading = [f"## {number}\\. {escape(pick.headline)}", "", escape(pick.text)] if pick.headline else [
        f"## {number}\\. {escape(pick.text)}"]
    lines = [*heading, "", _source(pick.feed_title, pick.episode_title, pick.episode_link, pick.audio_url, pick.start_s),
             ""]
    copies = episodes_also_on(store, {"also_on": pick.also_on})
    if copies:
        lines += ["*Also on:* " + "; ".join(f"{escape(c['podcast'])} ({escape(c['episode_title'])})" for c in copies), ""]
    if pick.note:
        lines += [f"*Editor's note:* {escape(pick.note)}", ""]
    if explain:
        lines += [f"*Why:* {escape(pick.why)}", ""]
    found = pick.related if pick.related is not None else related_items(store, pick.insight_id, threshold=threshold)
    lines += ["**Related Insights**", ""]
    for item in found:  # readers get the insight and where it was said, never a similarity number
        meta = _source(item["feed_title"], item["episode_title"], item["episode_link"], item["audio_url"], item["start_s"])
        lines.append(f"- {escape(item['text'])} — {meta}")
    if not found:
        lines.append(f"*{NO_RELATED}*")
    lines.append("")
    return lines


def export_markdown(store: Store, brief: Brief, *, explain: bool = False) -> str:
    """The Markdown of an assembled brief: title and date, then each pick with its sources and related insights."""
    lines = [f"# {TITLE} — {brief.date}", ""]
    if brief.note:
        lines += [escape(brief.note), ""]
    if brief.shortfall:
        lines += [f"*{escape(brief.shortfall)}*", ""]
    if not brief.picks:
        lines += ["*No insights made the brief for this date.*", ""]
    for number, pick in enumerate(brief.picks, start=1):
        lines += _pick_markdown(store, number, pick, brief.weights.related_threshold, explain)
    return "\n".join(lines).rstrip() + "\n"


def brief(store: Store, date: str | None = None, *, out: str | Path | None = None, weights: str | dict | None = None,
          explain: bool = False, settings: Settings | None = None) -> str:
    """The day's brief as Markdown (the editor's saved version, a published one as published), also written to `out`.

    `weights` (JSON or a preset's name) show what other weights would pick instead.
    Example: `python -m pipeline brief --date 2024-05-10 --out brief.md --weights '{"novelty": 1.5}'`
    """
    date = date or latest_brief_date(store)
    if date is None:
        raise PodbriefError("The store has no insights yet, so there is no brief. Run `python -m pipeline ingest` first.")
    text = export_markdown(store, assemble_brief(store, date, weights=weights, settings=settings), explain=explain)
    if out is not None:
        path = Path(out)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise PodbriefError(f"Cannot write the brief to {path}: {exc}. Choose another --out path.") from exc
        log.info("Wrote the brief for %s to %s", date, path)
    return text
