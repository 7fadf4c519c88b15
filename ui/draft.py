"""The editor's working copy of a brief: the exact list Curate shows, changed on screen and saved in one go.

The copy lives in session state as plain ids and texts: the date, the version it started from (`base`), the
ordered items, pins, excludes, rewritten lines, public and internal notes, and the content it was loaded with
(`origin`, to tell unsaved changes). Every change goes through `change`, which keeps the copy before it for Undo.
Nothing here writes to the store: Save and Publish on the Curate page do, from `content`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import streamlit as st

from pipeline.engine.briefs import BRIEF_NOTE

DRAFT_KEY = "curate_drafts"  # date -> the working copy of that date's brief
UNDO_KEY = "curate_undo"  # date -> earlier working copies, oldest first
UNDO_LIMIT = 30
FIELDS = ("items", "pins", "excludes", "edits", "notes", "internal_notes")
Draft = dict


# -- building and comparing ------------------------------------------------------------------------------------


def from_saved(date: str, saved: dict | None, automatic: list[str]) -> Draft:
    """A working copy of a date's current version (its automatic picks when nobody saved one)."""
    if saved is None:
        content = {"items": list(automatic), "pins": [], "excludes": [], "edits": {}, "notes": {}, "internal_notes": {}}
    else:
        content = {key: saved[key] for key in FIELDS}
    return {"date": date, "base": saved["version"] if saved else None, **json.loads(json.dumps(content)),
            "origin": json.dumps(content, sort_keys=True), "rev": 0}


def content(draft: Draft) -> dict:
    """What Save and Publish store: the keyword arguments of `save_brief` besides who, when and weights."""
    return {key: draft[key] for key in FIELDS}


def unsaved(draft: Draft) -> bool:
    """True when the copy differs from the version it was loaded from."""
    return json.dumps(content(draft), sort_keys=True) != draft["origin"]


def key_of(draft: Draft) -> str:
    """The copy's content as JSON, a cache key for its preview."""
    return json.dumps(content(draft), sort_keys=True)


def differences(automatic: list[str], items: list[str], excludes: list[str]) -> list[tuple[str, str, str]]:
    """How an editor's list differs from the automatic picks: (kind, insight id, detail), in list order.

    Kinds: added (not an automatic pick), moved (detail: "3 → 1"), left out (an automatic pick not in the list;
    detail "excluded" when the editor excluded it).
    """
    where = {insight_id: n for n, insight_id in enumerate(automatic, start=1)}
    out = []
    for n, insight_id in enumerate(items, start=1):
        if insight_id not in where:
            out.append(("added", insight_id, f"at {n}"))
        elif where[insight_id] != n:
            out.append(("moved", insight_id, f"{where[insight_id]} → {n}"))
    out += [("left out", i, "excluded" if i in excludes else "") for i in automatic if i not in items]
    return out


# -- changes (pure: each returns a new copy) -------------------------------------------------------------------


def move(draft: Draft, insight_id: str, step: int) -> Draft:
    """Move an item up (-1) or down (+1) the list."""
    items = list(draft["items"])
    at = items.index(insight_id)
    to = min(max(at + step, 0), len(items) - 1)
    items.insert(to, items.pop(at))
    return {**draft, "items": items}


def add(draft: Draft, insight_id: str) -> Draft:
    """Put an insight at the end of the list, pinned (an editor's own choice), and no longer excluded."""
    if insight_id in draft["items"]:
        return draft
    return {**draft, "items": [*draft["items"], insight_id], "pins": [*draft["pins"], insight_id],
            "excludes": [i for i in draft["excludes"] if i != insight_id]}


def remove(draft: Draft, insight_id: str, exclude: bool = False) -> Draft:
    """Take an item off the list; excluded, it also stays out of the candidates and of readers' personal briefs."""
    return {**draft, "items": [i for i in draft["items"] if i != insight_id],
            "pins": [i for i in draft["pins"] if i != insight_id],
            "excludes": [*draft["excludes"], insight_id] if exclude and insight_id not in draft["excludes"]
            else draft["excludes"]}


def allow(draft: Draft, insight_id: str) -> Draft:
    """Make an excluded insight a candidate again."""
    return {**draft, "excludes": [i for i in draft["excludes"] if i != insight_id]}


def toggle_pin(draft: Draft, insight_id: str) -> Draft:
    """Pin an item (every reader gets it) or unpin it."""
    pins = [i for i in draft["pins"] if i != insight_id]
    return {**draft, "pins": pins if insight_id in draft["pins"] else [*pins, insight_id]}


def set_text(draft: Draft, field: str, insight_id: str, text: str, original: str = "") -> Draft:
    """Set a rewritten line (`edits`; the original text clears it) or a public or internal note (blank clears it)."""
    texts = dict(draft[field])
    text = text.strip()
    if text and text != original.strip():
        texts[insight_id] = text
    else:
        texts.pop(insight_id, None)
    return {**draft, field: texts}


def replace_items(draft: Draft, items: list[str]) -> Draft:
    """Start the list again from these items (the automatic picks), keeping pins, notes and rewrites of those kept."""
    return {**draft, "items": list(items), "pins": [p for p in draft["pins"] if p in items],
            "excludes": [e for e in draft["excludes"] if e not in items]}


def restore(draft: Draft, version: dict) -> Draft:
    """The content of an earlier version (from the history), to be saved as a new one."""
    return {**draft, **{key: json.loads(json.dumps(version[key])) for key in FIELDS}}


# -- session state ---------------------------------------------------------------------------------------------
# One working copy (and Undo list) per date, so opening another date never throws away unsaved work.


def current(day: str) -> Draft | None:
    """This session's working copy of a date's brief, if one is open."""
    return st.session_state[DRAFT_KEY].get(day)


def load(draft: Draft, *, keep_undo: bool = False) -> None:
    """Make `draft` the working copy of its date; with keep_undo (after saving it) earlier changes can still be undone."""
    day, previous = draft["date"], current(draft["date"])
    rev = previous["rev"] + 1 if previous else 0
    st.session_state[DRAFT_KEY] = {**st.session_state[DRAFT_KEY], day: {**draft, "rev": rev}}
    if not keep_undo:
        st.session_state[UNDO_KEY] = {**st.session_state[UNDO_KEY], day: []}


def follow(day: str, saved: dict | None, automatic: list[str]) -> bool:
    """Keep the date's working copy in step with the store and the ranking where that loses nothing typed on screen.

    Opens the date's current version when there is no copy yet; takes a newer version someone else saved when the
    copy has no unsaved changes (True: say so); and, while nobody saved the date, follows the automatic picks as the
    weights change until the editor changes something.
    """
    draft = current(day)
    version = saved["version"] if saved else None
    if draft is None:
        load(from_saved(day, saved, automatic))
        return False
    if unsaved(draft):
        return False
    if draft["base"] != version:
        load(from_saved(day, saved, automatic))
        return True
    if saved is None and draft["items"] != automatic:
        load(from_saved(day, None, automatic), keep_undo=True)
    return False


def change(day: str, operation: Callable[..., Draft], *args: object) -> None:
    """Apply one change to a date's working copy, keeping the copy before it for Undo (usable as a widget callback)."""
    before = current(day)
    after = operation(before, *args)
    if after == before:
        return
    st.session_state[UNDO_KEY] = {**st.session_state[UNDO_KEY],
                                  day: [*st.session_state[UNDO_KEY].get(day, []), before][-UNDO_LIMIT:]}
    st.session_state[DRAFT_KEY] = {**st.session_state[DRAFT_KEY], day: {**after, "rev": before["rev"] + 1}}


def change_text(day: str, field: str, insight_id: str, widget_key: str, original: str = "") -> None:
    """Widget callback: take a text input's value into the working copy."""
    change(day, set_text, field, insight_id, st.session_state[widget_key], original)


def can_undo(day: str) -> bool:
    """True when the date's working copy has a change to undo."""
    return bool(st.session_state[UNDO_KEY].get(day))


def undo(day: str) -> None:
    """Go back to the copy before the last change (widget callback)."""
    *rest, last = st.session_state[UNDO_KEY][day]
    st.session_state[UNDO_KEY] = {**st.session_state[UNDO_KEY], day: rest}
    # a new revision gives the text widgets new keys, so they show the restored texts
    st.session_state[DRAFT_KEY] = {**st.session_state[DRAFT_KEY], day: {**last, "rev": current(day)["rev"] + 1}}


def note(draft: Draft, field: str, insight_id: str = BRIEF_NOTE) -> str:
    """A public (`notes`) or internal (`internal_notes`) note of an item, or of the whole brief."""
    return draft[field].get(insight_id, "")
