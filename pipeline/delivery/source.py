"""The published brief, as delivery reads it: the one place that knows the editors' publishing API."""

from __future__ import annotations

from ..engine import briefs
from ..engine.rank import Brief
from ..store import Store


def published_brief(store: Store, date: str) -> Brief | None:
    """The date's latest published brief exactly as published (picks, order, edits, notes, pins), or None."""
    return briefs.published_brief(store, date)


def brief_version(brief: Brief) -> str:
    """What tells one publication of a date from the next (recorded per message in the outbox)."""
    return str(brief.version)


def published_dates(store: Store) -> list[str]:
    """Dates that have a published brief, newest first."""
    return [b["date"] for b in briefs.list_briefs(store) if b["published_version"] is not None]


def excluded_ids(store: Store, date: str) -> list[str]:
    """Insights the editor excluded from the date's brief (in its current version): no personal brief brings them back."""
    saved = briefs.get_brief(store, date)
    return list(saved["excludes"]) if saved else []
