"""The editors' briefs: an exact, ordered list of insights per date, saved as numbered versions and published frozen.

A saved brief is exactly the list the editor saw, in that order: saving never re-ranks. Each save or publish
makes a new version (see versions.py); a save names the version it started from and is refused with
StaleBriefError when someone else saved since, so no change is ever lost silently. A published version stores
its picks as they went out (snapshot.py), so later ingestion and re-clustering never change it; publishing again
makes a new version and keeps the history. Ingestion never writes here.

Notes come in two kinds: public notes (`notes`, shown to readers) and internal notes (`internal_notes`, for other
editors only). Both map insight ids to text, and the key BRIEF_NOTE holds the note on the whole brief.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pyarrow.compute as pc

from ..config import Settings
from ..errors import PodbriefError, StaleBriefError
from ..store import Store, now_iso, sql_in, sql_quote
from . import versions
from .presets import default_weights, resolve_weights
from .rank import Brief, parse_date, rank
from .snapshot import freeze, thaw
from .weights import Weights

log = logging.getLogger(__name__)

BRIEF_NOTE = "_brief"  # the key of the note on the whole brief, beside per-insight notes
STATUSES = ("draft", "published")
LATEST_WITHIN_DAYS = (7, 30, 90, 365, 730, 1461, None)  # latest_brief_date's slices back from now (None: the rest)


def get_brief(store: Store, date: str) -> dict | None:
    """The current (latest) version of a date's brief, decoded; None while nobody saved one.

    Keys: date, version, status, items (the ordered insight ids that go out), pins, excludes, edits, notes,
    internal_notes, weights (Weights), editor, updated_at, and published_version / published_at (the date's
    latest published version, maybe older than a later draft; None if never published).
    """
    parse_date(date)
    rows = versions.versions(store, date)
    return _describe(rows[0], rows) if rows else None


def brief_history(store: Store, date: str) -> list[dict]:
    """Every version of a date's brief, newest first: version, status, editor, when, items, and the rest of its
    content (pins, excludes, edits, notes, internal_notes, weights) to restore it from."""
    parse_date(date)
    return [{"version": r["version"], "status": r["status"], "editor": r["editor"], "when": r["updated_at"],
             **_content_of(r)} for r in versions.versions(store, date)]


def list_briefs(store: Store) -> list[dict]:
    """Each saved date's current version, newest date first: date, version, status, editor, picks, updated_at,
    and that date's latest published version and time (None if never published)."""
    columns = ["status", "editor", "insight_ids", "updated_at"]
    published = {r["date"]: r for r in versions.latest_per_date(store, "status = 'published'", columns=["updated_at"])}
    return [{"date": r["date"], "version": r["version"], "status": r["status"], "editor": r["editor"],
             "picks": len(r["insight_ids"] or []), "updated_at": r["updated_at"],
             "published_version": published[r["date"]]["version"] if r["date"] in published else None,
             "published_at": published[r["date"]]["updated_at"] if r["date"] in published else None}
            for r in versions.latest_per_date(store, columns=columns)]


def save_brief(store: Store, date: str, *, items: Iterable[str], excludes: Iterable[str] = (),
               edits: dict[str, str] | None = None, notes: dict[str, str] | None = None,
               internal_notes: dict[str, str] | None = None, weights: Weights | str | dict | None = None,
               pins: Iterable[str] | None = None, editor: str | None, expected_version: int | None,
               publish: bool = False, settings: Settings | None = None) -> Brief:
    """Save a draft (or with publish, a published version) that is exactly `items` in that order.

    `expected_version` is the version the editor started from (None: nobody had saved this date); when another
    version was saved since, nothing is saved and StaleBriefError says who changed it and when. `pins` are the
    items every reader keeps whatever their interests (None: the current version's pins still in the list);
    `weights` rank the candidates left out (None: the current version's, else the default).
    Example: `python -m pipeline publish --date 2024-05-10` then publishes this list.
    """
    parse_date(date)
    current = versions.latest(store, date)
    if weights is None:
        chosen = current["weights"] if current else default_weights(store)
    else:
        chosen = resolve_weights(store, weights)
    content = _content(list(items), list(excludes), edits, notes, internal_notes, chosen,
                       pins=(current["pins"] if current else []) if pins is None else list(pins))
    return _commit(store, date, content, status="published" if publish else "draft", editor=editor,
                   expected_version=expected_version, settings=settings)


def publish_brief(store: Store, date: str, *, editor: str | None, expected_version: int | None = None,
                  settings: Settings | None = None) -> Brief:
    """Publish what Curate shows for a date, as a new version: the current draft's list, else the automatic top five.

    With `expected_version`, publishing is refused (StaleBriefError) unless that is still the current version;
    without it, the version read here is the one published, and a change that lands meanwhile is refused too.
    Example: `python -m pipeline publish --date 2024-05-10`
    """
    parse_date(date)
    current = versions.latest(store, date)
    have = current["version"] if current else None
    if expected_version is not None and have != expected_version:
        raise _stale(date, current, expected_version)
    if current is None:
        weights = default_weights(store)
        content = _content([p.insight_id for p in rank(store, date, weights=weights, settings=settings).picks], [],
                           None, None, None, weights, pins=[])
    else:
        content = _content_of(current)
    return _commit(store, date, content, status="published", editor=editor, expected_version=have, settings=settings)


def published_brief(store: Store, date: str, *, settings: Settings | None = None) -> Brief | None:
    """The latest published version of a date's brief exactly as it went out; None if it was never published."""
    parse_date(date)
    rows = versions.versions(store, date)
    row = next((r for r in rows if r["status"] == "published"), None)
    return None if row is None else _stamp(_brief_of(store, row, settings), row, rows)


def assemble_brief(store: Store, date: str, *, weights: Weights | str | dict | None = None,
                   settings: Settings | None = None) -> Brief:
    """A date's brief as Curate shows it: the current version (published ones as published), else the automatic picks.

    Weights other than the saved ones (JSON, a dict or a preset name) show what they would pick automatically,
    leaving out the saved excludes. Example: `python -m pipeline brief --date 2024-05-10 --weights default`
    """
    parse_date(date)
    rows = versions.versions(store, date)
    other = resolve_weights(store, weights)
    if rows and (other is None or other == rows[0]["weights"]):
        return _stamp(_brief_of(store, rows[0], settings), rows[0], rows)
    brief = rank(store, date, weights=other or default_weights(store), excludes=rows[0]["excludes"] if rows else None,
                 settings=settings)
    return _stamp(brief, rows[0], rows) if rows else brief


def compose_brief(store: Store, date: str, *, items: Iterable[str], pins: Iterable[str] = (),
                  excludes: Iterable[str] = (), edits: dict[str, str] | None = None, notes: dict[str, str] | None = None,
                  internal_notes: dict[str, str] | None = None, weights: Weights | str | dict | None = None,
                  settings: Settings | None = None) -> Brief:
    """A brief of exactly `items` in that order, scored and explained, with the best of the rest as alternates.

    Nothing is saved: this is the preview of an editor's list, and what saving or publishing that list stores.
    Items no longer in the store (their episode was processed again) are left out and listed in `missing`.
    """
    listed = list(dict.fromkeys(items))
    found = set(store.arrow("insights", sql_in("insight_id", listed), columns=["insight_id"])
                .column("insight_id").to_pylist()) if listed else set()
    kept = [i for i in listed if i in found]
    w = resolve_weights(store, weights) or default_weights(store)
    brief = rank(store, date, weights=w, pins=[p for p in pins if p in found], fixed=kept, edits=edits,
                 excludes=[e for e in excludes if e not in kept], settings=settings)
    brief.missing = [i for i in listed if i not in found]
    return _annotate(brief, notes or {}, internal_notes or {})


def latest_brief_date(store: Store) -> str | None:
    """The most recent publication date (YYYY-MM-DD) among stored insights up to now, or None when there are none.

    Ingestion clamps future dates to the fetch time; a store filled before that may still hold some, so they are
    ignored here rather than becoming everyone's default date."""
    now = datetime.now(UTC).replace(microsecond=0)
    until = sql_quote(now.isoformat())
    for days in LATEST_WITHIN_DAYS:  # newest slice first: the published index reads only that slice's rows, not 1M
        since = f" AND published >= {sql_quote((now - timedelta(days=days)).isoformat())}" if days else ""
        table = store.arrow("insights", f"published IS NOT NULL AND published <= {until}{since}", columns=["published"])
        if table.num_rows:
            return str(pc.max(table.column("published")).as_py())[:10]
        until = sql_quote((now - timedelta(days=days)).isoformat()) if days else until
    return None


# -- saving ----------------------------------------------------------------------------------------------------


def _content(items: list[str], excludes: list[str], edits: dict[str, str] | None, notes: dict[str, str] | None,
             internal_notes: dict[str, str] | None, weights: Weights, *, pins: list[str]) -> dict:
    """A brief's editable content, checked and tidied: notes and edits only for listed insights, blanks dropped."""
    twice = sorted({i for i in items if items.count(i) > 1})
    if twice:
        raise PodbriefError(f"Insight(s) {', '.join(twice)} are in the brief more than once. Keep one of each.")
    clash = sorted(set(items) & set(excludes))
    if clash:
        raise PodbriefError(f"Insight(s) {', '.join(clash)} are both in the brief and excluded. Remove one or the other.")
    keys = {*items, BRIEF_NOTE}

    def tidy(texts: dict[str, str] | None, allowed: set[str]) -> dict[str, str]:
        return {k: v.strip() for k, v in (texts or {}).items() if k in allowed and v and v.strip()}

    return {"items": items, "pins": [p for p in dict.fromkeys(pins) if p in set(items)],
            "excludes": list(dict.fromkeys(excludes)), "edits": tidy(edits, set(items)), "notes": tidy(notes, keys),
            "internal_notes": tidy(internal_notes, keys), "weights": weights}


def _content_of(row: dict) -> dict:
    """The editable content of a stored version."""
    return {"items": row["insight_ids"], "pins": row["pins"], "excludes": row["excludes"], "edits": row["edits"],
            "notes": row["notes"], "internal_notes": row["internal_notes"], "weights": row["weights"]}


def _commit(store: Store, date: str, content: dict, *, status: str, editor: str | None,
            expected_version: int | None, settings: Settings | None) -> Brief:
    """Store `content` as the next version, if `expected_version` is still the current one; else StaleBriefError."""
    prior = versions.versions(store, date)
    have = prior[0]["version"] if prior else None
    if have != expected_version:
        raise _stale(date, prior[0] if prior else None, expected_version)
    if status == "published" and not content["items"]:
        raise PodbriefError(f"The brief for {date} has no insights. Add at least one before publishing.")
    brief = compose_brief(store, date, **content, settings=settings)
    if brief.missing:
        raise PodbriefError(f"Insight(s) {', '.join(brief.missing)} are not in the store. "
                            f"Remove them from the brief for {date}.")
    row = {"date": date, "version": (have or 0) + 1, "status": status, "insight_ids": content["items"],
           "pins": content["pins"], "excludes": content["excludes"], "edits": content["edits"],
           "notes": content["notes"], "internal_notes": content["internal_notes"], "weights": content["weights"],
           "editor": editor, "updated_at": now_iso(),
           "snapshot": freeze(store, brief) if status == "published" else None}
    if not versions.insert(store, row):
        raise _stale(date, versions.latest(store, date), expected_version)
    log.info("Saved version %d (%s) of the brief for %s: %d insight(s)", row["version"], status, date, len(brief.picks))
    return _stamp(brief, row, [row, *prior])


def _stale(date: str, current: dict | None, expected: int | None) -> StaleBriefError:
    """The refusal of a save that started from an older version than the current one."""
    if current is None:
        return StaleBriefError(f"The brief for {date} has no saved version {expected} any more: reload it.",
                               date=date, version=None, editor=None, changed_at=None)
    when = datetime.fromisoformat(current["updated_at"]).astimezone().strftime("%H:%M")
    who = current["editor"] or "another editor"
    return StaleBriefError(f"The brief for {date} was changed by someone else at {when}: reload to see version "
                           f"{current['version']} by {who}, then make your change again.",
                           date=date, version=current["version"], editor=current["editor"],
                           changed_at=current["updated_at"])


# -- reading ---------------------------------------------------------------------------------------------------


def _describe(row: dict, rows: list[dict]) -> dict:
    """A stored version as get_brief returns it; `rows` are the date's versions, newest first."""
    published = next((r for r in rows if r["status"] == "published" and r["version"] <= row["version"]), None)
    return {"date": row["date"], "version": row["version"], "status": row["status"], **_content_of(row),
            "editor": row["editor"], "updated_at": row["updated_at"],
            "published_version": published["version"] if published else None,
            "published_at": published["updated_at"] if published else None}


def _brief_of(store: Store, row: dict, settings: Settings | None) -> Brief:
    """A stored version as a Brief: a published one as frozen, a draft scored now."""
    if row["status"] == "published" and row["snapshot"]:
        return thaw(row["snapshot"], Brief(row["date"], "", "", [], [], 0, 0, row["weights"]))
    content = _content_of(row)
    content.pop("weights")
    return compose_brief(store, row["date"], **content, weights=row["weights"], settings=settings)


def _annotate(brief: Brief, notes: dict[str, str], internal_notes: dict[str, str]) -> Brief:
    """Put the public and internal notes on the brief and on each of its insights."""
    brief.note, brief.internal_note = notes.get(BRIEF_NOTE), internal_notes.get(BRIEF_NOTE)
    brief.notes = {k: v for k, v in notes.items() if k != BRIEF_NOTE}
    for pick in [*brief.picks, *brief.alternates]:
        pick.note, pick.internal_note = notes.get(pick.insight_id), internal_notes.get(pick.insight_id)
    return brief


def _stamp(brief: Brief, row: dict, rows: list[dict]) -> Brief:
    """Mark the brief with the version it shows (status, number, who and when, the latest publication) and its notes."""
    info = _describe(row, rows)
    brief.status, brief.version, brief.editor = row["status"], row["version"], row["editor"]
    brief.updated_at = row["updated_at"]
    brief.published_version, brief.published_at = info["published_version"], info["published_at"]
    return _annotate(brief, row["notes"], row["internal_notes"])
