"""The editor's briefs: saved overrides per date (pins, excludes, order, edits, notes), drafts and publishing.

A saved brief lives in the `briefs` table keyed by date; ingestion never writes there. Assembling a date uses
the saved overrides (and, once published, the saved picks exactly as published).
"""

from __future__ import annotations

import json
import logging

import pyarrow.compute as pc

from ..config import Settings
from ..errors import PodbriefError
from ..store import Store, now_iso, sql_eq
from .rank import Brief, parse_date, rank
from .weights import Weights

log = logging.getLogger(__name__)

BRIEF_NOTE = "_brief"  # the key of the note on the whole brief, beside per-insight notes
STATUSES = ("draft", "published")


def get_brief(store: Store, date: str) -> dict | None:
    """The saved brief for a date, with edits, notes and weights decoded; None if there is none."""
    parse_date(date)
    rows = store.rows("briefs", sql_eq("date", date))
    if not rows:
        return None
    row = rows[0]
    for key in ("edits", "notes"):
        row[key] = json.loads(row[key]) if row[key] else {}
    row["weights"] = Weights.from_json(row["weights"])
    for key in ("insight_ids", "pins", "excludes", "order"):
        row[key] = list(row[key] or [])
    return row


def list_briefs(store: Store) -> list[dict]:
    """Every saved brief, newest date first: date, status, editor, picks, updated_at, published_at."""
    rows = store.rows("briefs", columns=["date", "status", "editor", "insight_ids", "updated_at", "published_at"])
    return sorted(({**r, "picks": len(r.pop("insight_ids") or [])} for r in rows), key=lambda r: r["date"], reverse=True)


def save_brief(store: Store, date: str, *, pins: list[str] | None = None, excludes: list[str] | None = None,
               order: list[str] | None = None, edits: dict[str, str] | None = None, notes: dict[str, str] | None = None,
               weights: Weights | str | dict | None = None, status: str = "draft", editor: str | None = None,
               force: bool = False, settings: Settings | None = None) -> Brief:
    """Save the editor's version of a date (its overrides and the picks they give); a published one needs force.

    Example: `python -m pipeline brief --date 2024-05-10` then shows this version.
    """
    if status not in STATUSES:
        raise PodbriefError(f"Brief status {status!r} is not one of {', '.join(STATUSES)}.")
    existing = get_brief(store, date)
    if existing and existing["status"] == "published" and not force:
        raise PodbriefError(f"The brief for {date} is already published (by {existing['editor'] or 'unknown'} at "
                            f"{existing['published_at']}). Pass force=True (--force) to change it.")
    w = Weights.from_json(weights) if weights is not None else (existing["weights"] if existing else Weights())
    edits = {k: v for k, v in (edits or {}).items() if v and v.strip()}
    notes = {k: v for k, v in (notes or {}).items() if v and v.strip()}
    brief = rank(store, date, weights=w, pins=pins, excludes=excludes, order=order, edits=edits, settings=settings)
    stamp = now_iso()
    store.upsert("briefs", [{
        "date": date, "insight_ids": [p.insight_id for p in brief.picks], "pins": list(pins or []),
        "excludes": list(excludes or []), "order": list(order or []), "edits": json.dumps(edits, sort_keys=True),
        "notes": json.dumps(notes, sort_keys=True), "weights": w.to_json(), "status": status, "editor": editor,
        "updated_at": stamp, "published_at": stamp if status == "published" else None,
    }])
    log.info("Saved the %s brief for %s (%d picks)", status, date, len(brief.picks))
    return assemble_brief(store, date, settings=settings)


def publish_brief(store: Store, date: str, *, editor: str | None = None, force: bool = False,
                  settings: Settings | None = None) -> Brief:
    """Publish a date's brief as it now stands (the saved draft, or the automatic picks); again only with force.

    Example: `python -m pipeline publish --date 2024-05-10 --force`
    """
    existing = get_brief(store, date) or {}
    return save_brief(store, date, pins=existing.get("pins"), excludes=existing.get("excludes"),
                      order=existing.get("order"), edits=existing.get("edits"), notes=existing.get("notes"),
                      weights=existing.get("weights"), status="published", editor=editor or existing.get("editor"),
                      force=force, settings=settings)


def assemble_brief(store: Store, date: str, *, weights: Weights | str | dict | None = None,
                   settings: Settings | None = None) -> Brief:
    """A date's brief: the published picks as published, else a ranking under the saved overrides.

    Weights given here replace the saved ones (a published brief then shows what they would pick).
    Example: `python -m pipeline brief --date 2024-05-10`
    """
    saved = get_brief(store, date)
    if not saved:
        return rank(store, date, weights=Weights.from_json(weights), settings=settings)
    w = Weights.from_json(weights) if weights is not None else saved["weights"]
    frozen = saved["status"] == "published" and weights is None
    brief = rank(store, date, weights=w, pins=None if frozen else saved["pins"], excludes=saved["excludes"],
                 order=saved["order"], edits=saved["edits"], fixed=saved["insight_ids"] if frozen else None,
                 settings=settings)
    brief.status, brief.editor = saved["status"], saved["editor"]
    brief.updated_at, brief.published_at = saved["updated_at"], saved["published_at"]
    brief.notes = {k: v for k, v in saved["notes"].items() if k != BRIEF_NOTE}
    brief.note = saved["notes"].get(BRIEF_NOTE)
    pinned = set(saved["pins"])
    for pick in [*brief.picks, *brief.alternates]:
        pick.note = brief.notes.get(pick.insight_id)
        pick.pinned = pick.insight_id in pinned
    return brief


def latest_brief_date(store: Store) -> str | None:
    """The most recent publication date (YYYY-MM-DD) among stored insights, or None when there are none."""
    table = store.arrow("insights", "published IS NOT NULL", columns=["published"])
    if table.num_rows == 0:
        return None
    return str(pc.max(table.column("published")).as_py())[:10]
