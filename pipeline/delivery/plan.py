"""What a send run queues: a given date's brief for every active reader who has not had it, or whatever is due now.

Each reader gets one row per channel (their email and each Apprise URL); the whole list's channels
(PODBRIEF_LIST_CHANNELS) get the published brief as it is, once per date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..config import Settings
from ..errors import DeliveryError
from ..store import Store
from .channels import channel_label
from .message import message_id
from .outbox import LIST_READER, queued_for
from .readers import EMAIL_CHANNEL, Reader, get_reader, list_readers
from .schedule import MAX_AGE_DAYS, brief_for_slot, due_slot
from .source import published_brief, published_dates


@dataclass
class Plan:
    """Rows to queue (email, date, channel, Message-ID), slots served, and why some readers get nothing."""

    entries: list[tuple[str, str, str, str]] = field(default_factory=list)
    slots: dict[str, str] = field(default_factory=dict)  # email -> the local date whose slot this run serves
    notes: list[str] = field(default_factory=list)


def reader_channels(reader: Reader) -> dict[str, str]:
    """The reader's channels by outbox label: `email`, and each Apprise URL under a label that hides its token."""
    return {EMAIL_CHANNEL if c == EMAIL_CHANNEL else channel_label(c): c for c in reader.channels}


def list_channels(settings: Settings) -> dict[str, str]:
    """The whole list's Apprise URLs (space- or newline-separated in PODBRIEF_LIST_CHANNELS) by outbox label."""
    return {channel_label(url): url for url in settings.podbrief_list_channels.split()}


def _readers(store: Store, email: str | None) -> list[Reader]:
    if email is None:
        return list_readers(store, status="active")
    reader = get_reader(store, email)
    if reader.status != "active":
        raise DeliveryError(f"{reader.email} is {reader.status}, so nothing is sent to them. "
                            "Resume them first (Readers page, or `python -m pipeline readers resume`).")
    return [reader]


def _add(plan: Plan, store: Store, date: str, channels: dict[str, dict[str, str]], settings: Settings) -> None:
    """Queue `date` on each reader's channels that have no row for it yet (channels: email -> label -> URL)."""
    have = queued_for(store, date, list(channels))
    for email, labels in channels.items():
        for label in labels:
            if (email, label) not in have:
                plan.entries.append((email, date, label, message_id(email, date, label, settings.podbrief_mail_from)))


def plan_date(store: Store, date: str, email: str | None, settings: Settings) -> Plan:
    """The date's brief for every active reader (or one) on every channel that has not had it."""
    if published_brief(store, date) is None:
        raise DeliveryError(f"The brief for {date} is not published, so there is nothing to send. Publish it on the "
                            f"Curate page (or with `python -m pipeline publish --date {date}`), then send again.")
    plan = Plan()
    channels = {r.email: reader_channels(r) for r in _readers(store, email)}
    if email is None and settings.podbrief_list_channels.strip():
        channels[LIST_READER] = list_channels(settings)
    _add(plan, store, date, channels, settings)
    return plan


def plan_due(store: Store, now: datetime, email: str | None, settings: Settings) -> Plan:
    """For each reader whose slot is open now: the newest published brief they have not had, on each channel."""
    plan = Plan()
    published = published_dates(store)
    if not published:
        plan.notes.append("No brief is published yet, so nothing is due.")
        return plan
    by_date: dict[str, dict[str, dict[str, str]]] = {}
    for reader in _readers(store, email):
        slot = due_slot(reader, now)
        if slot is None:
            continue
        plan.slots[reader.email] = slot
        date = brief_for_slot(slot, published)
        if date is None:
            plan.notes.append(f"{reader.email}: no brief published in the {MAX_AGE_DAYS} days up to {slot}.")
            continue
        by_date.setdefault(date, {})[reader.email] = reader_channels(reader)
    if email is None and settings.podbrief_list_channels.strip():
        date = brief_for_slot(now.astimezone(UTC).date().isoformat(), published)
        if date:
            by_date.setdefault(date, {})[LIST_READER] = list_channels(settings)
    for date, channels in sorted(by_date.items()):
        _add(plan, store, date, channels, settings)
    return plan
