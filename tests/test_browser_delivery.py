"""A sent brief in a real browser: the email as it renders (the README's screenshot), its unsubscribe link opening
the confirm page of `streamlit run app.py`, a thumb, and the one-click POST and the feed on the same port."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from pipeline.delivery import feedback, readers
from pipeline.delivery.send import send
from pipeline.engine import briefs
from pipeline.store import open_store
from tests.browser_fixtures import PAGE_TIMEOUT_MS, settle
from tests.delivery_fixtures import delivery_settings

pytestmark = pytest.mark.browser

EMAIL_VIEWPORT = {"width": 760, "height": 900}


def _link(html: str, pattern: str) -> str:
    """The first href in the email's HTML that matches `pattern`, unescaped."""
    hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]
    return next(h for h in hrefs if re.search(pattern, h))


def test_the_emails_links_work_in_chromium(browser: Browser, shots: Path, dashboard: str, app_db: Path,
                                           tmp_path: Path) -> None:
    base = dashboard
    store = open_store(str(app_db))
    day = briefs.latest_brief_date(store)
    briefs.publish_brief(store, day, editor="test editor")
    ana = readers.add_reader(store, "ana@example.com", name="Ana", keywords=["open source"])
    ben = readers.add_reader(store, "ben@example.com")
    report = send(store, date=day, settings=delivery_settings(tmp_path, podbrief_public_url=base.rstrip("/")))
    assert report.sent == 2
    message = BytesParser(policy=policy.default).parsebytes((tmp_path / "outbox" / day / "ana@example.com.eml").read_bytes())
    html = message.get_body(("html",)).get_content()

    page = browser.new_page(viewport=EMAIL_VIEWPORT)
    page.set_content(html)  # the email exactly as sent: inline CSS, nothing fetched
    page.screenshot(path=str(shots / "email.png"), full_page=True)

    page.goto(_link(html, r"action=unsubscribe"))
    page.get_by_text("Stop sending the brief to").wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(page)
    assert readers.get_reader(store, "ana@example.com").status == "active"  # opening the link is not enough
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("you will not get the brief again").wait_for(timeout=PAGE_TIMEOUT_MS)
    assert readers.get_reader(store, "ana@example.com").status == "unsubscribed"

    up = _link(html, r"action=vote.*vote=up")
    page.goto(up)
    page.get_by_text("Thanks: you will see more like this.").wait_for(timeout=PAGE_TIMEOUT_MS)
    settle(page)
    voted = re.search(r"insight=([^&]+)", up).group(1)
    assert [(r["insight_id"], r["up"]) for r in feedback.pick_feedback(store)] == [(voted, 1)]

    one_click = httpx.post(f"{base}delivery/unsubscribe/{ben.token}", content=b"List-Unsubscribe=One-Click")
    assert one_click.status_code == 200  # a Streamlit page would answer 405: this is the st.App route
    assert readers.get_reader(store, "ben@example.com").status == "unsubscribed"
    feed = httpx.get(f"{base}delivery/briefs.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    assert ana.token not in feed.text
