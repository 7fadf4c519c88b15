"""The real dashboard in a real browser: `streamlit run app.py` on 127.0.0.1 and Debian's headless Chromium.

Every page must show its content and no exception; an ingestion run started on Feeds must be seen to finish; the
Brief's Markdown download must equal the export the CLI prints; a screenshot of each page lands in docs/screenshots/
for the README. Under CI (CI=true) a missing browser fails the test instead of skipping it; the browser is never
downloaded.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from pipeline.engine import briefs, export
from pipeline.store import open_store
from tests.browser_fixtures import JOB_TIMEOUT_MS, PAGE_TIMEOUT_MS, VIEWPORT, settle, sign_in, start_job

pytestmark = pytest.mark.browser

PAGES = [  # url path, text that must appear, screenshot name, signed in; the fresh server's first visit is to a page's URL
    ("explore", "Topics over time", "explore", False),
    ("", "Why is this here?", "brief", False),
    ("search", "Search insights and transcripts", "search", False),
    ("curate", "Saved briefs", "curate", True),
    ("feeds", "Ingestion", "feeds", True),
]
SEARCH_QUERY = "open source developers"


def _search_and_open_a_result(page: object) -> None:
    page.get_by_role("textbox", name="Search insights and transcripts").fill(SEARCH_QUERY)  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.get_by_text("result(s) for").wait_for(timeout=PAGE_TIMEOUT_MS)  # type: ignore[attr-defined]
    settle(page)
    page.get_by_role("button", name="Details").first.click()  # type: ignore[attr-defined]
    page.get_by_text("Related insights from other podcasts").wait_for(timeout=PAGE_TIMEOUT_MS)  # type: ignore[attr-defined]


def test_every_page_in_chromium(browser: Browser, shots: Path, dashboard: str, app_db: Path, tmp_path: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
    for path, expected, name, signed_in in PAGES:
        page.goto(dashboard + path)
        if signed_in:
            page.get_by_label("Editor password").wait_for(timeout=PAGE_TIMEOUT_MS)
            sign_in(page)
        page.get_by_text(expected).first.wait_for(timeout=PAGE_TIMEOUT_MS)
        settle(page)
        if name == "search":
            _search_and_open_a_result(page)
            settle(page)
        nav = page.locator('[data-testid="stSidebarNav"]')
        assert nav.count() == 1 and "Explore" in nav.inner_text() and "app" not in nav.inner_text().split()
        page.screenshot(path=str(shots / f"{name}.png"))

    page.goto(dashboard + "feeds")  # the page polls the background run and shows when it is done
    settle(page)
    sign_in(page)
    start_job(page, page.get_by_role("button", name="Start ingestion run"), app_db, "ingest")
    page.get_by_text(re.compile(r"Ingestion run \d+ finished")).wait_for(timeout=JOB_TIMEOUT_MS)
    settle(page)

    page.goto(dashboard)
    settle(page)
    button = page.get_by_role("button", name="Download Markdown")
    button.wait_for(timeout=PAGE_TIMEOUT_MS)
    with page.expect_download() as download:
        button.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    store = open_store(str(app_db))
    day = briefs.latest_brief_date(store)
    assert saved.name == f"podbrief-{day}.md"
    assert saved.read_text(encoding="utf-8") == export.brief(store, day)
