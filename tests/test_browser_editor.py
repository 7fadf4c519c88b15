"""The editor's morning in a real browser: `streamlit run app.py` on 127.0.0.1 and Debian's headless Chromium.

Ana signs in, opens Curate, reorders, excludes one, adds one from Search, rewrites a line, previews and publishes;
the published brief and the Markdown export are exactly the list and the preview she saw. Ben, who opened the day
before she published, is refused when he saves, and keeps what he typed. With PODBRIEF_SCREENSHOTS=1 the Curate
and Archive screenshots of the README are retaken here.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pipeline.engine import briefs, export
from pipeline.engine.search import search
from pipeline.store import open_store
from tests.browser_fixtures import PAGE_TIMEOUT_MS, VIEWPORT, settle

pytestmark = pytest.mark.browser

PASSWORD = "morning-coffee"
QUERY = "Docker developer tools"
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
RUN_START_MS = 5_000
ITEM_ORDER = """() => Array.from(document.querySelectorAll('[class*="st-key-item_"]'))
    .map(e => [...e.classList].find(c => c.startsWith('st-key-item_')).slice('st-key-item_'.length))"""


@pytest.fixture
def editor_dashboard(app_db: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[str]:
    """The dashboard over a copy of the seeded store, with editing behind a password."""
    monkeypatch.setenv("EDITOR_PASSWORD", PASSWORD)  # before the server starts: it inherits the environment
    yield request.getfixturevalue("dashboard")


def _sign_in(page: object, url: str, name: str) -> None:
    page.goto(url + "curate")  # type: ignore[attr-defined]
    page.get_by_label("Your name").fill(name)  # type: ignore[attr-defined]
    page.get_by_label("Editor password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Publish").wait_for(timeout=PAGE_TIMEOUT_MS)  # type: ignore[attr-defined]
    settle(page)


def _rerun(page: object, action: Callable[[], object]) -> None:
    """Do something that reruns the script, then wait for that run to finish (not for the one before it)."""
    action()
    with contextlib.suppress(PlaywrightTimeout):  # a timeout: it ran and finished before we looked
        page.wait_for_selector(RUNNING, timeout=RUN_START_MS)  # type: ignore[attr-defined]
    settle(page)


def _press(page: object, key: str) -> None:
    """Click the button with this Streamlit key and wait for the run it starts."""
    # .first: a button with a tooltip matches twice (the button and its tooltip target)
    _rerun(page, page.locator(f".st-key-{key} button").first.click)  # type: ignore[attr-defined]


def _go(page: object, title: str) -> None:
    """Open a page from the sidebar (same session: a new URL would start a new one)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=PAGE_TIMEOUT_MS)  # type: ignore[attr-defined]
    settle(page)


def test_the_editors_morning_in_chromium(browser: Browser, shots: Path, editor_dashboard: str, app_db: Path,
                                         tmp_path: Path) -> None:
    store = open_store(str(app_db))
    day = briefs.latest_brief_date(store)
    first_insight = next(n for n, hit in enumerate(search(store, QUERY)) if hit["kind"] == "insight")
    ana = browser.new_context(viewport=VIEWPORT, accept_downloads=True).new_page()
    ben = browser.new_context(viewport=VIEWPORT).new_page()  # a second editor, in another browser session
    _sign_in(ana, editor_dashboard, "ana")
    _sign_in(ben, editor_dashboard, "ben")
    automatic = ana.evaluate(ITEM_ORDER)
    assert automatic == [p.insight_id for p in briefs.assemble_brief(store, day).picks]

    _press(ana, f"down_{automatic[0]}")
    _press(ana, f"exclude_{automatic[2]}")
    _go(ana, "Search")
    ana.get_by_role("textbox", name="Search insights and transcripts").fill(QUERY)
    ana.keyboard.press("Enter")
    ana.get_by_text("result(s) for").wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(ana)
    _press(ana, f"hit_{first_insight}")
    _rerun(ana, ana.get_by_role("button", name="Add to today's brief").click)
    ana.get_by_text(f"In the brief for {day}").wait_for(timeout=PAGE_TIMEOUT_MS)
    _go(ana, "Curate")
    shown = ana.evaluate(ITEM_ORDER)
    added = shown[-1]
    assert shown == [automatic[1], automatic[0], automatic[3], automatic[4], added]
    ana.screenshot(path=str(shots / "curate.png"))

    editing = ana.locator(f".st-key-item_{automatic[1]}")
    editing.get_by_text("Edit the line and notes").click()
    line = editing.get_by_label("Line readers see")
    line.fill("Reworded by Ana for readers & friends.")
    _rerun(ana, lambda: line.press("Tab"))  # a text area sends its value when it loses focus
    assert "Reworded by Ana for readers & friends." in editing.inner_text()

    ben_note = ben.get_by_label("Note to readers at the top of the brief")
    ben_note.fill("Ben was here first")
    _rerun(ben, lambda: ben_note.press("Tab"))

    ana.get_by_role("tab", name="Preview").click()
    with ana.expect_download() as download:
        ana.get_by_role("button", name="Download this Markdown").click()
    preview = tmp_path / "preview.md"
    download.value.save_as(preview)
    ana.get_by_role("tab", name="The brief").click()
    ana.get_by_role("button", name="Publish").click()
    ana.get_by_text("Published the brief").wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(ana)

    ben.get_by_role("button", name="Save draft").click()
    ben.get_by_text(re.compile(r"changed by someone else at \d\d:\d\d(?: UTC)?: reload")).wait_for(
        timeout=PAGE_TIMEOUT_MS)
    assert ben.get_by_label("Note to readers at the top of the brief").input_value() == "Ben was here first"

    _go(ana, "Archive")
    ana.get_by_text(f"The brief for {day}").wait_for(timeout=PAGE_TIMEOUT_MS)
    assert "Reworded by Ana for readers & friends." in ana.locator('[data-testid="stMain"]').inner_text()
    ana.screenshot(path=str(shots / "archive.png"))

    published = briefs.published_brief(store, day)
    assert [p.insight_id for p in published.picks] == shown and published.editor == "ana"
    assert export.brief(store, day) == preview.read_text(encoding="utf-8")
    current = briefs.get_brief(store, day)
    assert (current["version"], current["status"]) == (1, "published")  # ben's stale save stored nothing
