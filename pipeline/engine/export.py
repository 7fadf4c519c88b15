"""The brief as Markdown: five insights with podcast, episode and timestamped audio link, each with related insights.

Everything that comes from feeds or editors is escaped, so a title cannot inject links, images or HTML; URLs are
kept only when they are http(s) and are percent-encoded where Markdown would read them as syntax.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from ..config import Settings
from ..errors import PodbriefError
from ..insights.dedup import episodes_also_on
from ..store import Store, sql_eq
from .briefs import assemble_brief, latest_brief_date
from .rank import Brief, Pick
from .related import related

log = logging.getLogger(__name__)

TITLE = "Podbrief"
RELATED_PER_PICK = 3
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]!|~$])")  # without [ ] no link or image can form; $ would start math
BLOCK_START = re.compile(r"^([#+=-])")  # what would start a heading or a list at the start of a line
ORDERED_START = re.compile(r"^(\d+)([.)])")  # "1." would start a numbered list
URL_SAFE = "/:@!$&'*+,;=?%~.-_"  # kept as-is by quote(); everything else, ( ) < > and spaces included, is encoded


def escape(text: str | None) -> str:
    """Feed or editor text as inert Markdown: one line, HTML entities, Markdown punctuation backslash-escaped."""
    flat = " ".join((text or "").split())
    inline = MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(flat, quote=False))
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
    return urlunsplit((parts.scheme.lower(), quote(parts.netloc, safe=":@[]"), quote(parts.path, safe=URL_SAFE),
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
    found = related(store, pick.insight_id, limit=RELATED_PER_PICK, threshold=threshold)
    if found:
        lines += ["**Related Insights**", ""]
        for item in found:
            meta = _related_source(store, item)
            lines.append(f"- {escape(item['text'])} — {meta} (similarity {item['similarity']:.2f})")
        lines.append("")
    return lines


def _related_source(store: Store, item: dict) -> str:
    episode = (store.rows("episodes", sql_eq("episode_id", item["episode_id"]),
                          columns=["title", "link", "audio_url"]) or [{}])[0]
    feed = (store.rows("feeds", sql_eq("feed_id", item["feed_id"]), columns=["title"]) or [{}])[0]
    return _source(feed.get("title") or item["feed_id"], episode.get("title") or "", episode.get("link"),
                   episode.get("audio_url"), float(item["start_s"] or 0.0))


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
    """The day's brief as Markdown (the editor's saved version when there is one), also written to `out` if given.

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
