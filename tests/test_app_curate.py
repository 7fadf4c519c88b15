"""The editor's morning under AppTest, on a real seeded store: Curate shows exactly what goes out, and publishes it.

Editing needs sign-in (an empty password means editing is off), so every test here sets a password and signs in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.engine import briefs, export
from pipeline.engine.presets import list_presets
from pipeline.engine.rank import rank
from pipeline.store import open_store
from tests.app_fixtures import run_pipeline
from tests.test_app import assert_clean, click, latest_day, open_app

PASSWORD = "morning-coffee"
STALE = re.compile(r"changed by someone else at \d\d:\d\d(?: UTC)?: reload")


@pytest.fixture
def editor_db(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeded store, with editing behind a password."""
    monkeypatch.setenv("EDITOR_PASSWORD", PASSWORD)
    return app_db


def signed_in(page: str, name: str = "ana") -> AppTest:
    """A new session signed in as `name`, on `page`."""
    at = open_app(page, editor=None)
    next(t for t in at.text_input if t.label == "Your name").input(name)
    next(t for t in at.text_input if t.label == "Editor password").input(PASSWORD)
    click(at, "Sign in")
    assert_clean(at)
    return at


def shown_ids(at: AppTest) -> list[str]:
    """The insight ids of Curate's list, in the order shown."""
    return [b.key.removeprefix("up_") for b in at.button if (b.key or "").startswith("up_")]


def press(at: AppTest, key: str) -> AppTest:
    """Click the button with this key and rerun, with no error shown."""
    at.button(key=key).click().run()
    assert_clean(at)
    return at


def test_the_editors_morning(editor_db: Path) -> None:
    store = open_store(str(editor_db))
    day = latest_day(editor_db)
    automatic = [p.insight_id for p in rank(store, day).picks]

    at = signed_in("curate")
    assert shown_ids(at) == automatic  # nobody saved the day: the automatic picks, exactly
    press(at, f"down_{automatic[0]}")  # reorder
    press(at, f"exclude_{automatic[2]}")  # exclude one
    expected = [automatic[1], automatic[0], automatic[3], automatic[4]]
    assert shown_ids(at) == expected

    # Add one from Search: the "Add to today's brief" button on an insight's detail.
    at.switch_page("pages/search.py").run()
    at.text_input(key="search_query").input("Docker developer tools").run()
    first = next(n for n, m in enumerate(m for m in at.markdown if m.value.startswith((":blue-badge", ":gray-badge")))
                 if m.value.startswith(":blue-badge[insight]"))
    at.button(key=f"hit_{first}").click().run()
    added = next(b.key.removeprefix("add_to_brief_") for b in at.button if (b.key or "").startswith("add_to_brief_"))
    if added in expected:  # the search found one already on the list: it says so instead of offering it
        pytest.fail(f"pick a query whose first insight is not an automatic pick ({added})")
    assert at.button(key=f"add_to_brief_{added}").label == "Add to today's brief"
    press(at, f"add_to_brief_{added}")
    assert any(f"In the brief for {day}, number 5" in c.value for c in at.caption)
    at.switch_page("pages/curate.py").run()
    expected.append(added)
    assert shown_ids(at) == expected

    # Rewrite a line, a note for readers and one for editors only; then undo a slip.
    rev = at.session_state["curate_drafts"][day]["rev"]
    at.text_area(key=f"line_{automatic[1]}_{rev}").input("A line rewritten by the editor & checked.").run()
    rev += 1
    at.text_area(key=f"note_{automatic[1]}_{rev}").input("Worth the whole episode.").run()
    rev += 1
    at.text_area(key=f"internal_{automatic[1]}_{rev}").input("Ask the host about the figures.").run()
    assert_clean(at)
    press(at, f"remove_{automatic[3]}")
    assert automatic[3] not in shown_ids(at)
    click(at, "Undo")
    assert shown_ids(at) == expected

    # What changed from the automatic picks, and the preview readers would get.
    tabs = {tab.label: tab for tab in at.tabs}
    changes = " ".join(m.value for m in tabs["Changes"].markdown)
    assert "Added by you" in changes and "Moved" in changes and "(excluded)" in changes and "Reworded" in changes
    preview = tabs["Markdown"].code[0].value + "\n"  # the code block drops the file's final newline
    assert "## 1\\. A line rewritten by the editor & checked." in preview and "&amp;" not in preview
    assert "Worth the whole episode." in preview and "Ask the host" not in preview
    email = tabs["Email"].get("html")[0].proto.body  # the email a reader with no interests gets
    assert "A line rewritten by the editor &amp; checked." in email and "Ask the host" not in email

    click(at, "Publish")
    assert any("Published the brief" in s.value for s in at.success)
    published = briefs.published_brief(store, day)
    assert [p.insight_id for p in published.picks] == expected and published.editor == "ana"
    assert export.brief(store, day) == preview  # exactly what the preview showed
    assert published.picks[-1].insight_id == added and published.picks[-1].pinned

    run_pipeline(editor_db, "ingest")  # ingestion beside the dashboard never changes a published brief
    assert export.brief(store, day) == preview

    at.switch_page("pages/archive.py").run()
    assert_clean(at)
    assert at.subheader[0].value == f"The brief for {day}" and at.download_button[0].label == "Download Markdown"
    assert any("A line rewritten by the editor & checked." in m.value for m in at.markdown)


def test_a_second_editors_stale_save_is_refused_and_their_input_stays(editor_db: Path) -> None:
    day = latest_day(editor_db)
    ana, ben = signed_in("curate", "ana"), signed_in("curate", "ben")  # both open the same day
    ids = shown_ids(ana)
    press(ana, f"down_{ids[0]}")
    click(ana, "Save draft")
    assert any("Saved a draft" in s.value for s in ana.success)

    rev = ben.session_state["curate_drafts"][day]["rev"]
    ben.text_area(key=f"brief_note_{rev}").input("Ben's welcome to readers").run()
    click(ben, "Save draft")
    refused = " ".join(e.value for e in ben.error)
    assert STALE.search(refused) and "version 1 by ana" in refused
    assert any("ana saved version 1" in w.value for w in ben.warning)
    assert briefs.get_brief(open_store(str(editor_db)), day)["version"] == 1  # nothing of ben's was written
    assert any(t.value == "Ben's welcome to readers" for t in ben.text_area)  # and his input is still on screen
    assert shown_ids(ben) == ids

    press(ben, "keep_mine")  # he read the warning and keeps his version as the next one
    click(ben, "Save draft")
    saved = briefs.get_brief(open_store(str(editor_db)), day)
    assert (saved["version"], saved["editor"], saved["items"]) == (2, "ben", ids)
    assert saved["notes"][briefs.BRIEF_NOTE] == "Ben's welcome to readers"

    ana.run()  # ana had no unsaved changes: her page follows to ben's version
    assert shown_ids(ana) == ids and any("ben saved version 2" in i.value for i in ana.info)


def test_history_puts_an_old_version_back(editor_db: Path) -> None:
    day = latest_day(editor_db)
    at = signed_in("curate")
    ids = shown_ids(at)
    press(at, f"remove_{ids[4]}")
    click(at, "Save draft")
    press(at, f"remove_{ids[3]}")
    click(at, "Publish")
    assert len(shown_ids(at)) == 3
    at.session_state["brief_history_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    click(at, "Put version 1 back in the list")
    assert shown_ids(at) == ids[:4]
    click(at, "Save draft")
    history = briefs.brief_history(open_store(str(editor_db)), day)
    assert [(h["version"], h["status"], len(h["items"])) for h in history] == [(3, "draft", 4), (2, "published", 3),
                                                                               (1, "draft", 4)]


def test_weights_saved_as_a_preset_and_as_everyones_default(editor_db: Path) -> None:
    store = open_store(str(editor_db))
    at = signed_in("curate")
    at.switch_page("pages/brief.py").run()
    at.sidebar.slider(key="w_novelty").set_value(2.0).run()
    at.sidebar.text_input(key="preset_name").input("Newest first").run()
    click(at, "Save the weights above as a preset")
    click(at, "Make them everyone's default")
    assert_clean(at)
    assert {p["name"]: p["weights"].novelty for p in list_presets(store)} == {"default": 2.0, "Newest first": 2.0}
    run_pipeline(editor_db, "brief", "--weights", "Newest first")

    visitor = open_app("brief", editor=None)  # not signed in: sees the ranking, not the presets
    assert not any(b.label == "Make them everyone's default" for b in visitor.button)
    assert visitor.sidebar.slider(key="w_novelty").value == 2.0  # everyone now starts from the default


def test_why_speaks_plainly(editor_db: Path) -> None:
    at = open_app("brief")
    why = at.expander[0]
    assert why.label == "Why is this here?" and why.markdown[0].value.startswith(("Picked automatically", "In this"))
    words = " ".join([why.markdown[0].value, *(s.label for s in at.sidebar.slider)])
    assert "MMR" not in words and "λ" not in words and "_" not in words
    assert "Matches your interests" in words and why.get("vega_lite_chart")
