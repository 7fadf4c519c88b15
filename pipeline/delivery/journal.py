"""The outbox's write-ahead journal: each message's `sending` and `sent` marks made durable in milliseconds.

A LanceDB commit per mark costs tens of milliseconds; an fsync'd line in a file costs a few. A sending run
appends each row's new state here (flushed and fsynced before the message goes, and again right after),
folds the journal into the outbox table every so often and at the end, then empties it. A run that was killed
leaves its journal behind; the next run folds it in first (under the same lock), so the table always ends up
with the last state of every row. A half-written last line (a kill mid-write) is ignored: it was either a
`sending` mark for a message not yet handed over, or a `sent` mark whose message is then repeated once.
"""

from __future__ import annotations

import json
import logging
import os

from ..store import Store

log = logging.getLogger(__name__)

FILENAME = "outbox.journal"


class Journal:
    """Append-only states of outbox rows, folded into the table in batches."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.work_dir.mkdir(parents=True, exist_ok=True)
        self.path = store.work_dir / FILENAME
        self._handle = self.path.open("ab")
        self.pending = 0

    def record(self, outbox_id: str, state: dict) -> None:
        """Make a row's new state durable now (it reaches the table at the next fold)."""
        self._handle.write(json.dumps({"outbox_id": outbox_id, **state}).encode() + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.pending += 1

    def fold(self) -> int:
        """Write the last state of every journaled row into the outbox table, then empty the journal."""
        latest: dict[str, dict] = {}
        with self.path.open("rb") as handle:
            for line in handle:
                try:
                    state = json.loads(line)
                except ValueError:
                    log.warning("Ignoring a half-written outbox journal line (the run writing it was killed).")
                    continue
                latest[state["outbox_id"]] = state
        if latest:
            self.store.update_many("outbox", list(latest.values()))
        self._handle.truncate(0)
        os.fsync(self._handle.fileno())
        self.pending = 0
        return len(latest)

    def close(self) -> None:
        """Fold what is left and close the file."""
        try:
            self.fold()
        finally:
            self._handle.close()
