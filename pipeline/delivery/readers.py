"""Readers: who gets the brief, when, how much, about what, and through which channels.

A reader is keyed by their email address (lower case). Each has a secret token for the links in what they are
sent (unsubscribe, feedback, their private feed); a token is compared in constant time and never listed.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import asdict, dataclass, field, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import DeliveryError
from ..store import Store, now_iso, sql_eq

log = logging.getLogger(__name__)

CADENCES = ("daily", "weekdays", "weekly")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATUSES = ("active", "paused", "unsubscribed", "bounced")
SIZE_MIN, SIZE_MAX, SIZE_DEFAULT = 3, 15, 5
DEFAULT_TZ, DEFAULT_HOUR, DEFAULT_CADENCE, DEFAULT_DAY = "UTC", 7, "daily", "mon"
EMAIL_CHANNEL = "email"  # the reader's own address; every other channel is an Apprise URL
TOKEN_BYTES = 24  # 32 URL-safe characters
EMAIL_PATTERN = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}$")
LIST_FIELDS = ("topics", "podcasts", "keywords", "muted", "channels")
PREFERENCES = ("name", "tz", "hour", "cadence", "day", "size", *LIST_FIELDS)


@dataclass
class Reader:
    """One reader as stored: preferences, status, token and delivery bookkeeping."""

    email: str
    name: str = ""
    tz: str = DEFAULT_TZ
    hour: int = DEFAULT_HOUR
    cadence: str = DEFAULT_CADENCE
    day: str = DEFAULT_DAY  # the weekday of a weekly reader
    size: int = SIZE_DEFAULT
    topics: list[str] = field(default_factory=list)  # topic ids
    podcasts: list[str] = field(default_factory=list)  # feed ids
    keywords: list[str] = field(default_factory=list)
    muted: list[str] = field(default_factory=list)  # feed ids
    channels: list[str] = field(default_factory=lambda: [EMAIL_CHANNEL])
    status: str = "active"
    status_note: str = ""
    token: str = ""
    bounces: int = 0  # permanent failures in a row
    last_slot: str | None = None  # the reader's local date of the last scheduled delivery
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_row(cls, row: dict) -> Reader:
        """A Reader from a stored row (lists and numbers as stored, nulls as defaults)."""
        defaults = cls(email=row["email"])
        values = {f.name: row.get(f.name) for f in fields(cls)}
        for name, value in values.items():
            if value is None:
                values[name] = getattr(defaults, name)
            elif name in LIST_FIELDS:
                values[name] = list(value)
        return cls(**values)

    def row(self) -> dict:
        """The stored row."""
        return asdict(self)

    def public(self) -> dict:
        """What the CLI and the Readers page list: everything but the secret token."""
        data = self.row()
        data.pop("token")
        return data

    @property
    def has_interests(self) -> bool:
        """True when the reader follows a topic, podcast or keyword, or mutes a podcast."""
        return bool(self.topics or self.podcasts or self.keywords or self.muted)

    @property
    def apprise_urls(self) -> list[str]:
        """The reader's chat and webhook channels (everything but their email)."""
        return [c for c in self.channels if c != EMAIL_CHANNEL]


# -- validation ------------------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """An email address checked and in lower case; a clear error for anything else."""
    text = (email or "").strip().lower()
    if not EMAIL_PATTERN.match(text):
        raise DeliveryError(f"{email!r} is not an email address. Give it as name@example.com.")
    return text


def _check(reader: Reader, store: Store) -> Reader:
    try:
        ZoneInfo(reader.tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DeliveryError(f"Time zone {reader.tz!r} is unknown. Use an IANA name such as Europe/Paris or "
                            "America/Los_Angeles.") from exc
    if not 0 <= reader.hour <= 23:
        raise DeliveryError(f"Send hour {reader.hour} is not between 0 and 23.")
    if reader.cadence not in CADENCES:
        raise DeliveryError(f"Cadence {reader.cadence!r} is not one of {', '.join(CADENCES)}.")
    if reader.day not in DAYS:
        raise DeliveryError(f"Day {reader.day!r} is not one of {', '.join(DAYS)}.")
    if not SIZE_MIN <= reader.size <= SIZE_MAX:
        raise DeliveryError(f"Brief size {reader.size} is not between {SIZE_MIN} and {SIZE_MAX}.")
    reader.topics = _resolve(store, "topics", "topic_id", "label", reader.topics, "topic",
                             "Follow it as a keyword instead, or see the Explore page for topic names.")
    reader.podcasts = _resolve(store, "feeds", "feed_id", "title", reader.podcasts, "podcast",
                               "See the Feeds page for the podcasts' names.")
    reader.muted = _resolve(store, "feeds", "feed_id", "title", reader.muted, "podcast",
                            "See the Feeds page for the podcasts' names.")
    reader.keywords = list(dict.fromkeys(k.strip() for k in reader.keywords if k.strip()))
    reader.channels = list(dict.fromkeys(c.strip() for c in reader.channels if c.strip()))
    for url in reader.apprise_urls:
        from .channels import check_channel

        check_channel(url)
    return reader


def _resolve(store: Store, table: str, key: str, label: str, given: list[str], what: str, hint: str) -> list[str]:
    """Ids for names given as ids or (case-insensitive) labels, e.g. a podcast by its title."""
    wanted = [g.strip() for g in given if g and g.strip()]
    if not wanted:
        return []
    rows = store.rows(table, columns=[key, label, *(["url"] if table == "feeds" else [])])
    by_name: dict[str, str] = {}
    for row in rows:
        for name in (row[key], row[label], row.get("url")):
            if name:
                by_name.setdefault(name.casefold(), row[key])
    missing = [g for g in wanted if g.casefold() not in by_name]
    if missing:
        raise DeliveryError(f"No {what} matches {', '.join(repr(m) for m in missing)}. {hint}")
    return list(dict.fromkeys(by_name[g.casefold()] for g in wanted))


# -- reading ---------------------------------------------------------------------------------------------------


def find_reader(store: Store, email: str) -> Reader | None:
    """The reader with this address, or None."""
    rows = store.rows("readers", sql_eq("email", normalise_email(email)))
    return Reader.from_row(rows[0]) if rows else None


def get_reader(store: Store, email: str) -> Reader:
    """The reader with this address; a clear error when there is none."""
    reader = find_reader(store, email)
    if reader is None:
        raise DeliveryError(f"No reader {email!r}. See `python -m pipeline readers list`.")
    return reader


def list_readers(store: Store, *, status: str | None = None) -> list[Reader]:
    """Every reader (or those in one status), by address."""
    rows = store.rows("readers", sql_eq("status", status) if status else None)
    return sorted((Reader.from_row(r) for r in rows), key=lambda r: r.email)


def reader_by_token(store: Store, token: str) -> Reader | None:
    """The reader whose secret token this is, compared in constant time against every reader; None if nobody's."""
    given = (token or "").encode()
    found = None
    for row in store.rows("readers", columns=["email", "token"]):
        # No early exit: the time taken does not depend on where, or whether, the token matched.
        if hmac.compare_digest((row["token"] or "").encode(), given) and given:
            found = row["email"]
    return find_reader(store, found) if found else None


# -- writing ---------------------------------------------------------------------------------------------------


def add_reader(store: Store, email: str, *, email_channel: bool = True, **preferences: object) -> Reader:
    """Add a reader (active, with a new secret token); an address that is already a reader is refused.

    `channels` are Apprise URLs (Slack, Discord, ntfy, a JSON webhook...) besides their email, unless
    `email_channel` is False.
    Example: `python -m pipeline readers add ana@example.com --size 3 --tz Europe/Lisbon --hour 7`
    """
    address = normalise_email(email)
    existing = find_reader(store, address)
    if existing:
        raise DeliveryError(f"{address} is already a reader ({existing.status}). Change their preferences instead "
                            "(Readers page, or `python -m pipeline readers set`).")
    given = {k: v for k, v in preferences.items() if v is not None}
    unknown = sorted(set(given) - set(PREFERENCES))
    if unknown:
        raise DeliveryError(f"Unknown reader setting(s): {', '.join(unknown)}.")
    channels = [*([EMAIL_CHANNEL] if email_channel else []), *given.pop("channels", [])]  # type: ignore[misc]
    stamp = now_iso()
    reader = _check(Reader(email=address, channels=channels, token=secrets.token_urlsafe(TOKEN_BYTES),
                           created_at=stamp, updated_at=stamp, **given), store)  # type: ignore[arg-type]
    if not reader.channels:
        raise DeliveryError(f"{address} would get nothing: add a chat or webhook channel, or keep their email.")
    store.upsert("readers", [reader.row()])
    log.info("Added reader %s", address)
    return reader


def update_reader(store: Store, email: str, *, email_channel: bool | None = None, **preferences: object) -> Reader:
    """Change a reader's preferences (only those given; a list given replaces the stored one).

    `channels` are the Apprise URLs; `email_channel` keeps or drops their email. Example:
    `python -m pipeline readers set ana@example.com --size 7 --keyword kubernetes`
    """
    reader = get_reader(store, email)
    given = {k: v for k, v in preferences.items() if v is not None}
    unknown = sorted(set(given) - set(PREFERENCES))
    if unknown:
        raise DeliveryError(f"Unknown reader setting(s): {', '.join(unknown)}.")
    urls = list(given.pop("channels", reader.apprise_urls))  # type: ignore[call-overload]
    keep_email = (EMAIL_CHANNEL in reader.channels) if email_channel is None else email_channel
    reader.channels = [*([EMAIL_CHANNEL] if keep_email else []), *urls]
    for name, value in given.items():
        setattr(reader, name, list(value) if name in LIST_FIELDS else value)  # type: ignore[call-overload]
    reader = _check(reader, store)
    if not reader.channels:
        raise DeliveryError(f"{reader.email} would get nothing: keep at least one channel.")
    reader.updated_at = now_iso()
    store.upsert("readers", [reader.row()])
    return reader


def set_status(store: Store, email: str, status: str, *, note: str = "") -> Reader:
    """Move a reader to another status (active, paused, unsubscribed, bounced), with a note on why."""
    if status not in STATUSES:
        raise DeliveryError(f"Reader status {status!r} is not one of {', '.join(STATUSES)}.")
    reader = get_reader(store, email)
    values: dict[str, object] = {"status": status, "status_note": note, "updated_at": now_iso()}
    if status == "active":
        values["bounces"] = 0
    store.update("readers", reader.email, values)
    log.info("Reader %s is now %s (%s)", reader.email, status, note)
    return get_reader(store, reader.email)


def pause_reader(store: Store, email: str) -> Reader:
    """Stop sending to a reader until resumed. Example: `python -m pipeline readers pause ana@example.com`"""
    reader = get_reader(store, email)
    if reader.status != "active":
        raise DeliveryError(f"{reader.email} is {reader.status}, not active, so there is nothing to pause.")
    return set_status(store, reader.email, "paused", note=f"paused at {now_iso()}")


def resume_reader(store: Store, email: str) -> Reader:
    """Send to a paused or bounced reader again. Example: `python -m pipeline readers resume ana@example.com`"""
    reader = get_reader(store, email)
    if reader.status == "unsubscribed":
        raise DeliveryError(f"{reader.email} unsubscribed ({reader.status_note}). Only they can subscribe again, "
                            "from the link in any brief they were sent.")
    return set_status(store, reader.email, "active", note=f"resumed at {now_iso()}")


def remove_reader(store: Store, email: str) -> None:
    """Forget a reader: their row, their outbox history and their feedback.

    Example: `python -m pipeline readers remove ana@example.com`
    """
    reader = get_reader(store, email)
    for table in ("outbox", "feedback", "readers"):
        store.delete(table, sql_eq("email", reader.email))
    log.info("Removed reader %s", reader.email)


def resubscribe(store: Store, token: str) -> Reader | None:
    """The reader behind a token subscribes again (from their own link); None for an unknown token."""
    reader = reader_by_token(store, token)
    if reader is None:
        return None
    return set_status(store, reader.email, "active", note=f"subscribed again from their link at {now_iso()}")


def unsubscribe(store: Store, token: str, *, how: str) -> Reader | None:
    """Unsubscribe the reader behind a token (`how`: the page's button or the one-click POST); None if unknown."""
    reader = reader_by_token(store, token)
    if reader is None:
        return None
    if reader.status == "unsubscribed":
        return reader
    return set_status(store, reader.email, "unsubscribed", note=f"unsubscribed by {how} at {now_iso()}")
