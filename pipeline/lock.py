"""Store locks: one ingestion run and one sending run at a time per store, however the store is reached.

A local store gets an fcntl lock on a file in its folder, which the OS releases the moment the holder dies. An
object store has no such file, so its lock is a lease row in the store itself (pipeline/lease.py), renewed
while the run lasts and taken over once it lapses; that works across machines.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from .config import Settings, get_settings
from .errors import LockedError
from .lease import hold_lease
from .store import Store


class Held(Protocol):
    """A lock being held."""

    def check(self) -> None:
        """Raise LockedError if the lock was lost while held."""


class FileLock:
    """An fcntl lock: the OS keeps it until the holder lets go or dies, so it is never lost while held."""

    def check(self) -> None:
        """Nothing to check: a file lock cannot be taken away."""


@contextmanager
def ingest_lock(store: Store, settings: Settings | None = None) -> Iterator[Held]:
    """Hold the store's ingestion lock (a file lock for a folder, a lease in the store for an object store)."""
    with store_lock(store, "ingest", "ingestion run", settings or get_settings()) as held:
        yield held


@contextmanager
def send_lock(store: Store, settings: Settings | None = None) -> Iterator[Held]:
    """Hold the store's sending lock, so two `send` runs never deliver the same message twice at once."""
    with store_lock(store, "send", "sending run", settings or get_settings()) as held:
        yield held


@contextmanager
def store_lock(store: Store, name: str, what: str, settings: Settings) -> Iterator[Held]:
    """Hold the lock called `name` on the store; LockedError naming the holder if another process has it."""
    if store.local_dir is None:
        with hold_lease(store, name, ttl_s=settings.podbrief_lease_s, what=what) as lease:
            yield lease
        return
    path = store.local_dir / f".{name}.lock"
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise LockedError(
            f"Another {what} (pid {holder}) is working on {store.uri}. Wait for it to finish; "
            "a run that crashed releases the lock by itself."
        ) from exc
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield FileLock()
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
