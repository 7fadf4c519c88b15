"""Store locks: one ingestion run and one sending run at a time per store, released by the OS if the process dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import LockedError
from .store import Store


@contextmanager
def ingest_lock(store: Store) -> Iterator[None]:
    """Hold the store's ingestion lock; the OS releases it if the process dies."""
    with _store_lock(store, ".ingest.lock", "ingestion run"):
        yield


@contextmanager
def send_lock(store: Store) -> Iterator[None]:
    """Hold the store's sending lock, so two `send` runs never deliver the same message twice at once."""
    with _store_lock(store, ".send.lock", "sending run"):
        yield


@contextmanager
def _store_lock(store: Store, filename: str, what: str) -> Iterator[None]:
    path = store.path / filename
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise LockedError(
            f"Another {what} (pid {holder}) is working on {store.path}. Wait for it to finish; "
            "a run that crashed releases the lock by itself."
        ) from exc
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
