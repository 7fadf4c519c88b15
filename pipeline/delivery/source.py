"""The published brief, as delivery reads it: the one place that knows the editor's publishing API.

Written against today's `briefs` API (one published brief per date, frozen); when briefs become versioned,
swap these bodies for `briefs.published_brief` and `Brief.version`, and the rest of delivery follows.
"""

from __future__ import annotations

from ..engine import briefs
from ..engine.rank import Brief
from ..store import Store


def published_brief(store: Store, date: str) -> Brief | None:
    """The date's latest published brief exactly as published (picks, order, edits, notes, pins), or None."""
    saved = briefs.get_brief(store, date)
    if not saved or saved["status"] != "published":
        return None
    return briefs.assemble_brief(store, date)


def brief_version(brief: Brief) -> str:
    """What tells one publication of a date from the next (recorded per message in the outbox)."""
    version = getattr(brief, "version", None)  # the versioned API's number; until then, when it was published
    return str(version) if version is not None else str(brief.published_at or "")


def published_dates(store: Store) -> list[str]:
    """Dates that have a published brief, newest first."""
    return [b["date"] for b in briefs.list_briefs(store) if b["status"] == "published"]


def excluded_ids(store: Store, date: str) -> list[str]:
    """Insights the editor excluded from the date's brief: no personal brief brings them back."""
    saved = briefs.get_brief(store, date)
    return list(saved["excludes"]) if saved else []
