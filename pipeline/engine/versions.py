"""The storage under the editors' briefs: one row per saved version of a date's brief, never changed once written.

Every save or publish inserts a new row keyed "DATE#vN" into `brief_versions`; no row is ever updated or deleted,
so the table is the history. Inserting is the compare-and-set: a writer that read version N inserts
"DATE#v(N+1)", and the store's primary-key check lets exactly one of two racing writers in, across threads and
processes (see `Store.upsert`). A date's current brief is its highest version.

Stores made by v1 kept one row per date in a `briefs` table. Those rows are copied in as version 1 the first
time a process reads briefs (insert-only, so racing or repeated copies change nothing) and the old table is
left as it was.
"""

from __future__ import annotations

import json
import logging

from ..store import Store, sql_eq
from .weights import Weights

log = logging.getLogger(__name__)

TABLE = "brief_versions"
LEGACY_TABLE = "briefs"
JSON_FIELDS = ("edits", "notes", "internal_notes")
LIST_FIELDS = ("insight_ids", "pins", "excludes")
_migrated: set[str] = set()  # store folders whose v1 briefs this process has already copied in


def brief_id(date: str, version: int) -> str:
    """The key of one version of a date's brief."""
    return f"{date}#v{version}"


def versions(store: Store, date: str) -> list[dict]:
    """Every stored version of a date's brief, decoded, newest first."""
    _migrate_legacy(store)
    rows = [_decode(row) for row in store.rows(TABLE, sql_eq("date", date))]
    return sorted(rows, key=lambda r: r["version"], reverse=True)


def latest(store: Store, date: str) -> dict | None:
    """The current (highest) version of a date's brief, or None when nobody saved one."""
    found = versions(store, date)
    return found[0] if found else None


def insert(store: Store, row: dict) -> bool:
    """Store a new version; False when another writer stored that version number first."""
    encoded = {**row, "brief_id": brief_id(row["date"], row["version"]), "weights": row["weights"].to_json(),
               **{key: json.dumps(row.get(key) or {}, sort_keys=True) for key in JSON_FIELDS}}
    return store.upsert(TABLE, [encoded], insert_only=True) == 1


def latest_per_date(store: Store, where: str | None = None, *, columns: list[str] | None = None) -> list[dict]:
    """The current version of each date matching an SQL filter (raw columns), newest date first."""
    _migrate_legacy(store)
    wanted = None if columns is None else list(dict.fromkeys(["date", "version", *columns]))
    newest: dict[str, dict] = {}
    for row in store.rows(TABLE, where, columns=wanted):
        if row["date"] not in newest or row["version"] > newest[row["date"]]["version"]:
            newest[row["date"]] = row
    return [newest[d] for d in sorted(newest, reverse=True)]


def _decode(row: dict) -> dict:
    for key in JSON_FIELDS:
        row[key] = json.loads(row[key]) if row.get(key) else {}
    for key in LIST_FIELDS:
        row[key] = list(row.get(key) or [])
    row["weights"] = Weights.from_json(row["weights"])
    return row


def _migrate_legacy(store: Store) -> None:
    """Copy v1's one-row-per-date briefs in as version 1 of each date (once per store and process)."""
    if store.uri in _migrated:
        return
    old = store.rows(LEGACY_TABLE)
    if old:
        rows = [{
            "brief_id": brief_id(r["date"], 1), "date": r["date"], "version": 1, "status": r["status"] or "draft",
            "insight_ids": r["insight_ids"], "pins": r["pins"], "excludes": r["excludes"], "edits": r["edits"],
            "notes": r["notes"], "internal_notes": None, "weights": r["weights"], "editor": r["editor"],
            "updated_at": r["updated_at"], "snapshot": None,
        } for r in old]
        copied = store.upsert(TABLE, rows, insert_only=True)
        if copied:
            log.info("Copied %d brief(s) saved by an older version in as version 1", copied)
    _migrated.add(store.uri)
