"""The researcher's morning in a real browser: filter Search, play a passage from its timestamp, rename a topic,
re-cluster, and the name stays. `streamlit run app.py` on 127.0.0.1 and Debian's headless Chromium, over a copy of
the seeded store plus one real feed whose audio is on the web (a local HTTP server). Screenshots of Search and
Explore land in docs/screenshots/ with PODBRIEF_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from pipeline.engine.topic_views import topic_list
from pipeline.store import open_store
from tests.app_fixtures import ROOT, run_pipeline
from tests.browser_fixtures import JOB_TIMEOUT_MS, PAGE_TIMEOUT_MS, VIEWPORT, reveal, settle, sign_in, start_job

pytestmark = pytest.mark.browser

WEB_FEED_TITLE = "Speech Clips on the Web"
QUERY = "ask what you can do for your country"
NEW_NAME = "Docker and open source"
ONLY_FROM = """title => {
  const sources = [...document.querySelectorAll('[data-testid=stCaptionContainer]')]
    .filter(c => c.innerText.includes('matched by'));
  return sources.length > 0 && sources.every(c => c.innerText.includes(title));
}"""


@pytest.fixture
def web_audio_feed(app_db: Path, http_server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A feed with a real clip as an http(s) enclosure, ingested (speech recognition included) into the store."""
    http_server.serve_dir(ROOT / "data" / "samples" / "audio", prefix="/audio/")
    feed = http_server.route("/web-clips.xml", content_type="application/rss+xml", body=(
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<title>{WEB_FEED_TITLE}</title><link>https://example.com/clips</link>"
        "<item><title>Inaugural address, from the web</title><guid>web-clip-jfk</guid>"
        "<pubDate>Wed, 11 Feb 2026 08:00:00 GMT</pubDate><link>https://example.com/clips/jfk</link>"
        f'<enclosure url="{http_server.url("/audio/jfk.flac")}" type="audio/flac" length="1152693"/>'
        "</item></channel></rss>"))
    monkeypatch.setenv("PODBRIEF_ALLOW_PRIVATE_URLS", "1")  # the test server is on 127.0.0.1
    run_pipeline(app_db, "ingest", "--feed", feed)
    return http_server.url("/audio/jfk.flac")


def test_researchers_morning(web_audio_feed: str, browser: Browser, shots: Path, dashboard: str,
                             app_db: Path) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(dashboard + "search")
    settle(page)
    page.get_by_role("textbox", name="Search insights and transcripts").fill(QUERY)
    page.keyboard.press("Enter")
    page.get_by_text("result(s) for").wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(page)
    # Filter to the podcast whose audio is on the web.
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="Podcasts").click()
    page.keyboard.type(WEB_FEED_TITLE)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    settle(page)
    page.wait_for_function(ONLY_FROM, arg=WEB_FEED_TITLE, timeout=PAGE_TIMEOUT_MS)  # the filter applied
    settle(page)
    assert page.get_by_text("Public Domain Speech Clips").count() == 0  # the same speech, filtered out
    assert page.locator('[data-testid="stMarkdownContainer"] span').filter(has_text=re.compile("^country$")).count()
    play = page.get_by_role("button", name=re.compile(r"^Play from \d+:\d\d$")).first
    stamp = play.inner_text().split()[-1]
    play.click()
    audio = page.locator("audio")
    audio.wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(page)
    assert audio.get_attribute("src") == web_audio_feed  # the browser fetches it from the web, not the server
    minutes, seconds = stamp.split(":")
    page.wait_for_function("s => document.querySelector('audio').currentTime === s",
                           arg=int(minutes) * 60 + int(seconds), timeout=PAGE_TIMEOUT_MS)
    page.screenshot(path=str(shots / "search.png"))

    page.goto(dashboard + "explore")
    page.get_by_text("Topics over time").wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(page)
    store = open_store(str(app_db))
    renamed = topic_list(store)[0]  # the first in the form's list, the largest topic
    page.get_by_text("Rename or merge topics", exact=True).click()
    sign_in(page)  # renaming is an editor's change
    reveal(page, "Rename or merge topics", page.get_by_label("New name"))
    page.get_by_label("New name").fill(NEW_NAME)
    page.get_by_role("button", name="Rename").click()
    page.get_by_text(f"Renamed the topic to “{NEW_NAME}”").wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(page)
    start_job(page, page.get_by_role("button", name="Re-cluster topics now"), app_db, "topics",
              expander="Rename or merge topics")
    page.get_by_text("Re-clustering finished").wait_for(timeout=JOB_TIMEOUT_MS)
    settle(page)
    page.locator(".legendtext").filter(has_text=NEW_NAME).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.goto(dashboard + "explore")  # a fresh visit: the name is in the stored topics, not only this session
    page.get_by_text("Topics over time").wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(page)
    page.locator(".legendtext").filter(has_text=NEW_NAME).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.screenshot(path=str(shots / "explore.png"))
    after = {t["topic_id"]: t for t in topic_list(store)}
    assert after[renamed["topic_id"]]["label"] == NEW_NAME and after[renamed["topic_id"]]["label_source"] == "editor"
