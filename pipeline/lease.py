"""A lease kept in the store itself: the lock of a store on object storage, which no file lock can reach.

A lease is one row of the `leases` table, keyed by its name. It is taken with a single merge that inserts the
row if it is absent or takes it over if it has expired, then read back: whoever's owner id is stored holds it.
The table declares its key, so two takers racing for the same row conflict inside LanceDB and one of them
retries against the other's row (tests/test_object_store.py races them). The holder renews it from a thread and
releases it by expiring it; a holder that dies simply stops renewing, and the lease can be taken over once it
has expired. Expiry compares wall clocks, so machines sharing a store need clocks in step (NTP) to well within
the lease's length.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from .errors import LockedError
from .store import Store, sql_eq, sql_quote

log = logging.getLogger(__name__)

TABLE = "leases"
EXPIRED = "1970-01-01T00:00:00.000+00:00"
RENEWALS_PER_LEASE = 3  # renew three times per lease length, so two missed renewals still keep it


class Lease:
    """One holder's claim on a named lease in a store."""

    def __init__(self, store: Store, name: str, *, ttl_s: float, what: str = "run") -> None:
        self.store, self.name, self.ttl_s, self.what = store, name, ttl_s, what
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.expires_at = EXPIRED
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> None:
        """Take the lease if it is free or expired; LockedError naming the holder otherwise."""
        now, until = _stamp(), _stamp(self.ttl_s)
        row = {"name": self.name, "owner": self.owner, "expires_at": until, "taken_at": now}
        self.store.upsert(TABLE, [row], update_where=f"target.expires_at < {sql_quote(now)}")
        holder = self._holder()
        if holder is None or holder["owner"] != self.owner:
            who = f"{holder['owner']}, until {holder['expires_at']}" if holder else "unknown"
            raise LockedError(
                f"Another {self.what} ({who}) is working on {self.store.uri}. Wait for it to finish; a run that "
                f"crashed lets its lease lapse within {self.ttl_s:g} s."
            )
        self.expires_at = until
        self._renewer = threading.Thread(target=self._renew_until_stopped, name=f"lease-{self.name}", daemon=True)
        self._renewer.start()

    def check(self) -> None:
        """Raise LockedError if the lease was lost (not renewed in time, and maybe taken over)."""
        if self._lost.is_set():
            raise LockedError(
                f"This {self.what} lost its lease on {self.store.uri} (it could not be renewed within {self.ttl_s:g} s, "
                "so another run may have taken over). It stopped; the work it finished is kept. Run it again."
            )

    def release(self) -> None:
        """Stop renewing and expire the lease now, if it is still ours."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        try:
            self._set_expiry(EXPIRED)
        except Exception as exc:  # the work is done; an unreleased lease only lapses later
            log.warning("Could not release the lease %r on %s (%s); it lapses at %s", self.name, self.store.uri, exc,
                        self.expires_at)

    def renew(self) -> bool:
        """Extend the lease by its length if it is still ours; False (and lost) if another holder has it."""
        until = _stamp(self.ttl_s)
        holder = self._set_expiry(until)
        if holder is None or holder["owner"] != self.owner:
            self._lost.set()
            return False
        self.expires_at = until
        return True

    def _renew_until_stopped(self) -> None:
        while not self._stop.wait(self.ttl_s / RENEWALS_PER_LEASE):
            try:
                if not self.renew():
                    log.error("The lease %r on %s was taken over by another holder", self.name, self.store.uri)
                    return
            except Exception as exc:  # whatever the store raised, this thread must live on: only expiry loses the lease
                log.warning("Could not renew the lease %r on %s (%s); retrying", self.name, self.store.uri, exc)
                if _stamp() >= self.expires_at:
                    self._lost.set()
                    return

    def _set_expiry(self, expires_at: str) -> dict | None:
        """Set our row's expiry only while we own it, in one conditional merge; the row as it stands after."""
        row = {"name": self.name, "expires_at": expires_at}
        self.store.update_many(TABLE, [row], where=f"target.owner = {sql_quote(self.owner)}")
        return self._holder()

    def _holder(self) -> dict | None:
        rows = self.store.rows(TABLE, sql_eq("name", self.name))
        return rows[0] if rows else None


@contextmanager
def hold_lease(store: Store, name: str, *, ttl_s: float, what: str = "run") -> Iterator[Lease]:
    """Hold a named lease in the store while the block runs; LockedError if someone else holds it."""
    lease = Lease(store, name, ttl_s=ttl_s, what=what)
    lease.acquire()
    try:
        yield lease
    finally:
        lease.release()


def _stamp(seconds_from_now: float = 0.0) -> str:
    """A UTC time as ISO 8601 to the millisecond: one fixed format, so times compare as strings in SQL."""
    return (datetime.now(UTC) + timedelta(seconds=seconds_from_now)).isoformat(timespec="milliseconds")
