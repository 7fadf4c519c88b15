"""The outbox: one row per (reader, brief date, channel), and how a row moves.

queued -> sending -> sent; or -> failed (with the error, and a next retry while one is left); or -> skipped
(the reader was paused or left before it went). A row is marked `sending` just before the message goes and
`sent` just after, so a crash in between repeats at most that one message, with the same Message-ID. Rows that
are `sent`, `skipped`, or `failed` with no retry left are final: nothing sends them again.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

from ..config import Settings
from ..store import Store, sql_eq, sql_in, sql_quote
from .journal import Journal
from .readers import get_reader, set_status

log = logging.getLogger(__name__)

STATUSES = ("queued", "sending", "sent", "failed", "skipped")
MUTABLE = ("status", "attempts", "last_error", "next_retry", "brief_version", "items", "transport", "sent_at", "updated_at")
BOUNCE_AFTER = 3  # permanent refusals in a row before an address counts as bounced
LIST_READER = ""  # the `email` of rows for the whole list's channels (PODBRIEF_LIST_CHANNELS)


def stamp(now: datetime) -> str:
    """A moment as stored: UTC ISO 8601 to the second, so that string order is time order."""
    return now.astimezone(UTC).replace(microsecond=0).isoformat()


def outbox_id(email: str, date: str, channel: str) -> str:
    """The row's key: one per reader, brief date and channel."""
    return hashlib.sha256(f"{email}|{date}|{channel}".encode()).hexdigest()[:24]


def queue(store: Store, entries: list[tuple[str, str, str, str]], now: datetime) -> int:
    """Add rows (email, date, channel, message_id) that are not in the outbox yet; returns how many were new."""
    ids = {outbox_id(e, d, c) for e, d, c, _ in entries}
    known = {r["outbox_id"] for r in store.rows("outbox", sql_in("outbox_id", ids), columns=["outbox_id"])} if ids else set()
    at = stamp(now)
    rows = [{"outbox_id": outbox_id(e, d, c), "email": e, "date": d, "channel": c, "status": "queued", "attempts": 0,
             "message_id": m, "queued_at": at, "updated_at": at} for e, d, c, m in entries if outbox_id(e, d, c) not in known]
    store.upsert("outbox", rows, insert_only=True)
    return len(rows)


def queued_for(store: Store, date: str, emails: list[str]) -> set[tuple[str, str]]:
    """The (email, channel) pairs that already have a row for this date, whatever their status."""
    rows = store.rows("outbox", f"{sql_eq('date', date)} AND {sql_in('email', emails)}", columns=["email", "channel"])
    return {(r["email"], r["channel"]) for r in rows}


def pending(store: Store, now: datetime, *, date: str | None = None, email: str | None = None) -> list[dict]:
    """Rows to send now: queued, left `sending` by a crash, or failed with a retry that is due; oldest first."""
    where = (f"(status IN ('queued', 'sending') OR (status = 'failed' AND next_retry IS NOT NULL "
             f"AND next_retry <= {sql_quote(stamp(now))}))")
    if date:
        where += f" AND {sql_eq('date', date)}"
    if email is not None:
        where += f" AND {sql_eq('email', email)}"
    return sorted(store.rows("outbox", where), key=lambda r: (r["date"], r["queued_at"] or "", r["email"], r["channel"]))


def _save(store: Store, row: dict, now: datetime, journal: Journal | None, **values: object) -> None:
    """Give the row its new state: through the run's journal when there is one, else straight into the table."""
    row.update(values, updated_at=stamp(now))
    state = {name: row.get(name) for name in MUTABLE}
    if journal is not None:
        journal.record(row["outbox_id"], state)
    else:
        store.update_where("outbox", sql_eq("outbox_id", row["outbox_id"]), state)


def mark_sending(store: Store, row: dict, now: datetime, journal: Journal | None = None) -> None:
    """Record that this message is about to go (one more attempt)."""
    _save(store, row, now, journal, status="sending", attempts=(row["attempts"] or 0) + 1)


def mark_sent(store: Store, row: dict, now: datetime, *, version: str, items: int, transport: str,
              journal: Journal | None = None) -> None:
    """Record that this message went, with the brief version and how many items it had."""
    _save(store, row, now, journal, status="sent", last_error=None, next_retry=None, brief_version=version, items=items,
          transport=transport, sent_at=stamp(now))


def mark_skipped(store: Store, row: dict, now: datetime, why: str, journal: Journal | None = None) -> None:
    """Record that this message will not go (the reader paused, unsubscribed or was removed before it went)."""
    _save(store, row, now, journal, status="skipped", last_error=why, next_retry=None)


def mark_failed(store: Store, row: dict, now: datetime, error: str, settings: Settings, *, permanent: bool,
                journal: Journal | None = None) -> str:
    """Record a failure and schedule the retry; returns what happens next (retry, gave up, or bounced).

    A temporary failure retries after the base delay, doubling per attempt, up to the maximum attempts. A
    permanent one retries the same way, but the reader's address counts as bounced after BOUNCE_AFTER in a row.
    """
    attempts = row["attempts"] or 1
    outcome = "retry"
    if permanent and _count_bounce(store, row["email"], now) >= BOUNCE_AFTER:
        outcome = "bounced"
    elif attempts >= settings.podbrief_send_max_attempts:
        outcome = "gave up"
    retry = None
    if outcome == "retry":
        retry = stamp(now + timedelta(seconds=settings.podbrief_send_retry_base_s * 2 ** (attempts - 1)))
    note = {"retry": f" (attempt {attempts}; retrying after {retry})", "gave up": f" (gave up after {attempts} attempts)",
            "bounced": f" ({BOUNCE_AFTER} permanent refusals in a row: the address is marked bounced)"}[outcome]
    _save(store, row, now, journal, status="failed", last_error=error + note, next_retry=retry)
    if outcome == "bounced" and row["email"] != LIST_READER:
        set_status(store, row["email"], "bounced", note=f"bounced: {error}")
    log.warning("Delivery of %s for %s on %s failed: %s%s", row["channel"], row["email"] or "the list", row["date"],
                error, note)
    return outcome


def _count_bounce(store: Store, email: str, now: datetime) -> int:
    """One more permanent refusal for this address; returns how many in a row (the list's channels never bounce)."""
    if email == LIST_READER:
        return 0
    bounces = get_reader(store, email).bounces + 1
    store.update_where("readers", sql_eq("email", email), {"bounces": bounces, "updated_at": stamp(now)})
    return bounces


def clear_bounces(store: Store, email: str, now: datetime) -> None:
    """A message got through: the address's refusals no longer count."""
    store.update_where("readers", sql_eq("email", email), {"bounces": 0, "updated_at": stamp(now)})


def retry_now(store: Store, outbox_ids: list[str], now: datetime) -> int:
    """Make failed rows due at once (the Readers page's Retry); returns how many."""
    rows = store.rows("outbox", f"{sql_in('outbox_id', outbox_ids)} AND status = 'failed'", columns=["outbox_id"])
    if rows:
        store.update_where("outbox", sql_in("outbox_id", [r["outbox_id"] for r in rows]),
                           {"next_retry": stamp(now), "updated_at": stamp(now)})
    return len(rows)


def outbox_rows(store: Store, *, status: str | None = None, date: str | None = None, limit: int | None = None) -> list[dict]:
    """Outbox rows, newest first (for the Readers page)."""
    where = " AND ".join(w for w in (sql_eq("status", status) if status else "", sql_eq("date", date) if date else "") if w)
    rows = sorted(store.rows("outbox", where or None), key=lambda r: (r["updated_at"] or "", r["outbox_id"]), reverse=True)
    return rows[:limit] if limit else rows


def last_dates(store: Store) -> dict[str, str]:
    """Each reader's latest brief date sent on any channel (keyword alerts start after it)."""
    out: dict[str, str] = {}
    for row in store.rows("outbox", "status = 'sent'", columns=["email", "date"]):
        out[row["email"]] = max(out.get(row["email"], ""), row["date"])
    return out
