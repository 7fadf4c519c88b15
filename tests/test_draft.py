"""The editor's working copy (ui/draft.py): its list operations and how it differs from the automatic picks."""

from __future__ import annotations

from ui import draft

SAVED = {"version": 3, "items": ["a", "b", "c"], "pins": ["b"], "excludes": ["x"], "edits": {"a": "A!"},
         "notes": {"_brief": "Hi"}, "internal_notes": {}}


def test_a_copy_of_a_saved_version_knows_its_base_and_its_unsaved_changes() -> None:
    copy = draft.from_saved("2026-02-11", SAVED, ["z"])
    assert (copy["base"], copy["items"], draft.unsaved(copy)) == (3, ["a", "b", "c"], False)
    assert draft.from_saved("2026-02-11", None, ["z", "y"])["items"] == ["z", "y"]
    moved = draft.move(copy, "c", -1)
    assert moved["items"] == ["a", "c", "b"] and draft.unsaved(moved) and copy["items"] == ["a", "b", "c"]
    assert draft.move(copy, "a", -1)["items"] == ["a", "b", "c"]  # the top stays the top
    assert draft.move(copy, "c", 1)["items"] == ["a", "b", "c"]


def test_add_remove_exclude_pin_and_texts() -> None:
    copy = draft.from_saved("2026-02-11", SAVED, [])
    added = draft.add(copy, "x")
    assert added["items"][-1] == "x" and "x" in added["pins"] and "x" not in added["excludes"]
    excluded = draft.remove(copy, "b", True)
    assert excluded["items"] == ["a", "c"] and excluded["pins"] == [] and excluded["excludes"] == ["x", "b"]
    assert draft.remove(copy, "b")["excludes"] == ["x"]
    assert draft.toggle_pin(copy, "a")["pins"] == ["b", "a"] and draft.toggle_pin(copy, "b")["pins"] == []
    assert draft.set_text(copy, "edits", "a", "  as it was ", "as it was")["edits"] == {}  # the original clears it
    assert draft.set_text(copy, "notes", "_brief", "  ")["notes"] == {}
    assert draft.set_text(copy, "internal_notes", "c", " check ")["internal_notes"] == {"c": "check"}
    assert draft.replace_items(copy, ["c", "x"]) | {"edits": None} == {
        **copy, "items": ["c", "x"], "pins": [], "excludes": [], "edits": None}


def test_differences_from_the_automatic_picks_in_words() -> None:
    assert draft.differences(["a", "b", "c"], ["b", "a", "d"], ["c"]) == [
        ("moved", "b", "2 → 1"), ("moved", "a", "1 → 2"), ("added", "d", "at 3"), ("left out", "c", "excluded")]
    assert draft.differences(["a", "b"], ["a"], []) == [("left out", "b", "")]
    assert draft.differences(["a"], ["a"], []) == []
