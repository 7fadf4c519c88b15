"""Sending: queue what is due (or a given date), then deliver the outbox by email and Apprise, exactly once.

One sending run at a time per store (a lock the OS releases if the run dies). A message is marked `sending`
just before it goes and `sent` just after; a rerun after a crash repeats at most that one message, with the
same Message-ID. Temporary failures retry with backoff; an address refused for good BOUNCE_AFTER times in a
row is marked bounced. With no SMTP server configured, emails are written as .eml files and the report says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parseaddr

from ..config import Settings, get_settings
from ..errors import DeliveryError
from ..lock import send_lock
from ..store import Store
from . import render
from .channels import post
from .failures import PermanentFailure, ServerUnavailable, SetupFailure, TemporaryFailure
from .journal import Journal
from .message import compose, message_id
from .outbox import (
    LIST_READER,
    clear_bounces,
    last_dates,
    mark_failed,
    mark_sending,
    mark_sent,
    mark_skipped,
    pending,
    queue,
)
from .personal import BriefMaker, PersonalBrief
from .plan import Plan, list_channels, plan_date, plan_due, reader_channels
from .readers import EMAIL_CHANNEL, Reader, get_reader, list_readers, normalise_email
from .smtp import FileMailer, SmtpMailer, mailer_for
from .source import published_dates

log = logging.getLogger(__name__)

FOLD_EVERY = 100  # journaled marks between folds into the outbox table


@dataclass
class SendReport:
    """What a sending run did (or, dry, would do), one line per message."""

    dry_run: bool = False
    queued: int = 0
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0
    where: str = ""  # the SMTP server (no password) or the .eml folder
    to_files: bool = False
    stopped: str | None = None  # a setup failure that stopped the run
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def send(store: Store, *, date: str | None = None, email: str | None = None, dry_run: bool = False,
         now: datetime | None = None, settings: Settings | None = None) -> SendReport:
    """Send a date's brief to every active reader who has not had it, or (no date) whatever is due now.

    Example: `python -m pipeline send --date 2024-05-10` or, from cron, `python -m pipeline send`
    """
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    if not parseaddr(settings.podbrief_mail_from)[1]:
        raise DeliveryError(f"PODBRIEF_MAIL_FROM={settings.podbrief_mail_from!r} has no address. "
                            "Set it to e.g. 'Podbrief <brief@example.com>'.")
    address = normalise_email(email) if email else None
    report = SendReport(dry_run=dry_run)
    with send_lock(store):
        if dry_run:
            _dry_run(store, _plan(store, report, now, settings, date, address), BriefMaker(store, settings), report, now,
                     date=date, email=address)
        else:
            _send(store, report, now, settings, date, address)
    if not report.lines:
        report.notes.append("Nothing to send.")
    return report


def _plan(store: Store, report: SendReport, now: datetime, settings: Settings, date: str | None,
          email: str | None) -> Plan:
    plan = plan_date(store, date, email, settings) if date else plan_due(store, now, email, settings)
    report.notes += plan.notes
    return plan


def _send(store: Store, report: SendReport, now: datetime, settings: Settings, date: str | None,
          address: str | None) -> None:
    journal = Journal(store)
    try:
        journal.fold()  # what a killed run had marked: the table must know before anything is planned
        plan = _plan(store, report, now, settings, date, address)
        report.queued = queue(store, plan.entries, now)
        if plan.slots:
            store.update_many("readers", [{"email": e, "last_slot": s} for e, s in plan.slots.items()])
        _deliver(store, BriefMaker(store, settings), report, now, settings, journal, date=date, email=address)
    finally:
        journal.close()
        store.compact("outbox", "readers")


def _dry_run(store: Store, plan: Plan, maker: BriefMaker, report: SendReport, now: datetime, *, date: str | None,
             email: str | None) -> None:
    rows = [{"email": e, "date": d, "channel": c} for e, d, c, _ in plan.entries]
    planned = {(r["email"], r["date"], r["channel"]) for r in rows}
    rows += [r for r in pending(store, now, date=date, email=email) if (r["email"], r["date"], r["channel"]) not in planned]
    readers = {r.email: r for r in list_readers(store)}
    last = last_dates(store)
    for row in rows:
        brief = _brief_for(maker, readers.get(row["email"]), row, last)
        items = f"{len(brief.items)} item(s)" if brief else "not published"
        report.lines.append(f"would send {row['date']} to {row['email'] or 'the list'} by {row['channel']}: {items}")


def _brief_for(maker: BriefMaker, reader: Reader | None, row: dict, last: dict[str, str]) -> PersonalBrief | None:
    if row["email"] == LIST_READER or reader is None:
        return maker.as_published(row["date"])
    return maker.make(reader, row["date"], last_date=last.get(reader.email))


def _deliver(store: Store, maker: BriefMaker, report: SendReport, now: datetime, settings: Settings, journal: Journal,
             *, date: str | None, email: str | None) -> None:
    """Send every pending row (queued, in flight at a crash, or due for retry), recording each outcome."""
    readers = {r.email: r for r in list_readers(store)}
    last = last_dates(store)
    list_urls = list_channels(settings)
    mailer: SmtpMailer | FileMailer | None = None
    email_down: str | None = None
    try:
        for row in pending(store, now, date=date, email=email):
            if journal.pending >= FOLD_EVERY:
                journal.fold()  # so the Readers page sees a long run's progress
            reader = readers.get(row["email"])
            who = row["email"] or "the list"
            if row["email"] != LIST_READER and (reader is None or reader.status != "active"):
                why = f"not sent: the reader is {reader.status if reader else 'removed'}"
                mark_skipped(store, row, now, why, journal)
                report.skipped += 1
                report.lines.append(f"skipped {row['date']} to {who} by {row['channel']}: {why}")
                continue
            if row["channel"] == EMAIL_CHANNEL and email_down:
                continue  # the server is unreachable: leave the row queued for the next run
            brief = _brief_for(maker, reader, row, last)
            if brief is None:
                mark_skipped(store, row, now, f"not sent: the brief for {row['date']} is not published", journal)
                report.skipped += 1
                continue
            try:
                if row["channel"] == EMAIL_CHANNEL:
                    if mailer is None:
                        mailer = _mailer(settings)
                        report.where, report.to_files = mailer.where, isinstance(mailer, FileMailer)
                    # An email row always has its reader: the list's rows are chat channels only.
                    where = _email(store, journal, mailer, brief, reader, row, now, settings)  # type: ignore[arg-type]
                else:
                    where = _chat(store, journal, brief, reader, row, now, settings, list_urls)
            except ServerUnavailable as exc:
                email_down = str(exc)
                _failed(store, journal, report, row, now, exc, settings, permanent=False)
            except TemporaryFailure as exc:
                _failed(store, journal, report, row, now, exc, settings, permanent=False)
            except PermanentFailure as exc:
                if _failed(store, journal, report, row, now, exc, settings, permanent=True) == "bounced" and reader:
                    reader.status = "bounced"
            except SetupFailure as exc:
                _failed(store, journal, report, row, now, exc, settings, permanent=False)
                report.stopped = str(exc)
                break
            else:
                report.sent += 1
                report.lines.append(f"sent {row['date']} to {who} by {row['channel']}: {len(brief.items)} item(s) "
                                    f"via {where}")
                if reader and reader.bounces and row["channel"] == EMAIL_CHANNEL:
                    clear_bounces(store, reader.email, now)
                    reader.bounces = 0
    finally:
        if mailer is not None:
            mailer.close()
    if email_down:
        report.notes.append(f"{email_down} Emails not yet tried stay queued for the next run.")


def _email(store: Store, journal: Journal, mailer: SmtpMailer | FileMailer, brief: PersonalBrief, reader: Reader,
           row: dict, now: datetime, settings: Settings) -> str:
    message = compose(brief, reader, sender=settings.podbrief_mail_from, public_url=settings.podbrief_public_url,
                      msg_id=row["message_id"])
    mark_sending(store, row, now, journal)
    where = mailer.send(message, reader.email, parseaddr(settings.podbrief_mail_from)[1])
    mark_sent(store, row, now, version=brief.version, items=len(brief.items), transport=where, journal=journal)
    return where


def _chat(store: Store, journal: Journal, brief: PersonalBrief, reader: Reader | None, row: dict, now: datetime,
          settings: Settings, list_urls: dict[str, str]) -> str:
    urls = list_urls if reader is None else reader_channels(reader)
    url = urls.get(row["channel"])
    if url is None:
        raise PermanentFailure(f"The channel {row['channel']} is no longer configured for {row['email'] or 'the list'}.")
    view = render.brief_view(brief, public_url=settings.podbrief_public_url, token=reader.token if reader else None,
                             name=reader.name if reader else "")
    mark_sending(store, row, now, journal)
    label = post(url, render.subject(view), render.render_markdown(view))
    mark_sent(store, row, now, version=brief.version, items=len(brief.items), transport=label, journal=journal)
    return label


def _failed(store: Store, journal: Journal, report: SendReport, row: dict, now: datetime, exc: Exception,
            settings: Settings, *, permanent: bool) -> str:
    outcome = mark_failed(store, row, now, str(exc), settings, permanent=permanent and row["channel"] == EMAIL_CHANNEL,
                          journal=journal)
    report.failed += 1
    report.bounced += outcome == "bounced"
    report.lines.append(f"failed {row['date']} to {row['email'] or 'the list'} by {row['channel']}: {exc} ({outcome})")
    return outcome


# -- previews and tests (the Readers page) ---------------------------------------------------------------------


def next_brief(store: Store, email: str, *, settings: Settings | None = None) -> tuple[PersonalBrief, EmailMessage] | None:
    """The reader's brief for the newest published date, and its email exactly as it would be sent; None if none."""
    settings = settings or get_settings()
    dates = published_dates(store)
    if not dates:
        return None
    reader = get_reader(store, email)
    brief = BriefMaker(store, settings).make(reader, dates[0], last_date=last_dates(store).get(reader.email))
    if brief is None:
        return None
    msg_id = message_id(reader.email, brief.date, EMAIL_CHANNEL, settings.podbrief_mail_from)
    return brief, compose(brief, reader, sender=settings.podbrief_mail_from, public_url=settings.podbrief_public_url,
                          msg_id=msg_id)


def send_test(store: Store, email: str, to: str, *, settings: Settings | None = None) -> str:
    """Send a reader's next brief to another address as a test (nothing is recorded); returns where it went."""
    settings = settings or get_settings()
    address = normalise_email(to)
    found = next_brief(store, email, settings=settings)
    if found is None:
        raise DeliveryError("No brief is published yet, so there is nothing to send. Publish one on the Curate page.")
    brief, _ = found
    reader = get_reader(store, email)
    test_id = message_id(address, brief.date, f"test:{reader.email}:{datetime.now(UTC).isoformat()}",
                         settings.podbrief_mail_from)
    message = compose(brief, reader, sender=settings.podbrief_mail_from, public_url=settings.podbrief_public_url,
                      msg_id=test_id, to=address, test=True)
    mailer = _mailer(settings)
    try:
        return mailer.send(message, address, parseaddr(settings.podbrief_mail_from)[1])
    finally:
        mailer.close()


def _mailer(settings: Settings) -> SmtpMailer | FileMailer:
    return mailer_for(settings.podbrief_smtp_url, outbox_dir=settings.podbrief_outbox_dir,
                      timeout=settings.podbrief_smtp_timeout, ca_file=settings.podbrief_smtp_ca_file)
