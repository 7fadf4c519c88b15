"""Podcasting 2.0 chapters (`<podcast:chapters type="application/json+chapters">`): where each part of an episode
starts and what it is called. Extraction reads them as context and as the episode's sections.

The file is a stranger's JSON: it is fetched like a transcript (reach.py, size and time limits), and only finite,
non-negative start times and short plain titles are kept.
"""

from __future__ import annotations

import json
import math

from ..errors import TranscriptError
from ..models import Chapter

MAX_CHAPTERS = 500
TITLE_CHARS = 200


def parse_chapters(content: bytes) -> list[Chapter]:
    """The chapters of a JSON chapters file, in time order (those marked `"toc": false` left out); a clear error if it
    is not one."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TranscriptError(f"The chapters file is not JSON ({exc}); the episode is read without chapters.") from exc
    items = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise TranscriptError('The chapters file has no "chapters" list; the episode is read without chapters.')
    chapters = []
    for item in items[:MAX_CHAPTERS]:
        if not isinstance(item, dict) or item.get("toc") is False:
            continue
        start, title = item.get("startTime"), item.get("title")
        if isinstance(start, bool) or not isinstance(start, int | float) or not math.isfinite(start) or start < 0:
            continue
        title = " ".join(title.split())[:TITLE_CHARS] if isinstance(title, str) else ""
        chapters.append(Chapter(float(start), title))
    return sorted(chapters, key=lambda c: c.start_s)


def chapters_json(chapters: list[Chapter]) -> str:
    """Chapters as stored on the episode row."""
    return json.dumps([{"start_s": c.start_s, "title": c.title} for c in chapters])


def stored_chapters(value: str | None) -> list[Chapter]:
    """The chapters stored on an episode row (none when it has none)."""
    return [Chapter(float(c["start_s"]), str(c["title"])) for c in json.loads(value)] if value else []
