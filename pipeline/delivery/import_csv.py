"""Bulk import of readers from CSV: one reader per row; a bad row is reported with its line and skipped.

Columns (only `email` is required): email, name, tz, hour, cadence, day, size, and the lists topics,
podcasts, keywords, muted, channels, with items separated by `;`. A row for an address that is already a
reader updates their preferences (never their status: an unsubscribed reader stays unsubscribed).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ..errors import DeliveryError
from ..store import Store
from .readers import LIST_FIELDS, PREFERENCES, add_reader, find_reader, normalise_email, update_reader

NUMBERS = ("hour", "size")


@dataclass
class ImportReport:
    """What a CSV import did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: what is wrong"


def import_readers(store: Store, data: bytes | str) -> ImportReport:
    """Add or update readers from CSV text. Example: `python -m pipeline readers import readers.csv`"""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    rows = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in rows.fieldnames or []}
    if "email" not in columns:
        raise DeliveryError("The CSV file has no `email` column. Its first line must name the columns, e.g. "
                            "email,name,tz,hour,size,keywords.")
    unknown = sorted(columns - {"email", *PREFERENCES})
    if unknown:
        raise DeliveryError(f"Unknown CSV column(s): {', '.join(unknown)}. Known: email, {', '.join(PREFERENCES)}.")
    report = ImportReport()
    for line, raw in enumerate(rows, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            email = normalise_email(row.get("email", ""))
            values = _preferences(row)
            if find_reader(store, email):
                update_reader(store, email, **values)
                report.updated.append(email)
            else:
                add_reader(store, email, **values)
                report.added.append(email)
        except DeliveryError as exc:
            report.errors.append(f"line {line}: {exc}")
    return report


def _preferences(row: dict[str, str]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name in PREFERENCES:
        raw = row.get(name, "")
        if not raw:
            continue
        if name in LIST_FIELDS:
            values[name] = [part.strip() for part in raw.split(";") if part.strip()]
        elif name in NUMBERS:
            try:
                values[name] = int(raw)
            except ValueError as exc:
                raise DeliveryError(f"{name} {raw!r} is not a whole number.") from exc
        else:
            values[name] = raw
    return values
