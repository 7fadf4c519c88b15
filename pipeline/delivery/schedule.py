"""When a reader is due: their cadence, their hour, in their time zone.

A reader has one slot per day their cadence allows (every day, Monday to Friday, or one weekday), opening at
their hour local time. A slot is served once: it sends the newest published brief they have not had.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .readers import DAYS, Reader

MAX_AGE_DAYS = 7  # a scheduled send never delivers a brief more than a week older than the reader's day


def sends_on(reader: Reader, day: date) -> bool:
    """True when the reader's cadence has a slot on this (local) day."""
    if reader.cadence == "weekdays":
        return day.weekday() < 5
    if reader.cadence == "weekly":
        return day.weekday() == DAYS.index(reader.day)
    return True


def due_slot(reader: Reader, now: datetime) -> str | None:
    """The reader's local date (YYYY-MM-DD) when a slot of theirs is open now and not yet served; else None."""
    local = now.astimezone(ZoneInfo(reader.tz))
    if not sends_on(reader, local.date()) or local.hour < reader.hour:
        return None
    slot = local.date().isoformat()
    return slot if (reader.last_slot or "") < slot else None


def brief_for_slot(slot: str, published: list[str]) -> str | None:
    """The newest published brief date on or before the slot's day and at most MAX_AGE_DAYS older."""
    oldest = (date.fromisoformat(slot) - timedelta(days=MAX_AGE_DAYS)).isoformat()
    return max((d for d in published if oldest <= d <= slot), default=None)


def next_slot(reader: Reader, now: datetime) -> datetime:
    """When the reader's next slot opens (UTC), for the Readers page."""
    zone = ZoneInfo(reader.tz)
    local = now.astimezone(zone)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        opens = datetime.combine(day, time(reader.hour), tzinfo=zone)
        if sends_on(reader, day) and (opens > local or due_slot(reader, now) == day.isoformat()):
            return opens.astimezone(now.tzinfo)
    raise AssertionError("every cadence has a slot within a week")
