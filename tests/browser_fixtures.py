"""The browser tests' shared parts: Debian's headless Chromium through playwright, and `streamlit run app.py` on
127.0.0.1 over a copy of the seeded store. Under CI (CI=true) a missing browser fails a test instead of skipping it;
the browser is never downloaded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.app_fixtures import APP, EDITOR_PASSWORD, ROOT
from ui.jobs import JOBS_FOLDER

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
# The README's screenshots are retaken only on request (read at import: the tests clear PODBRIEF_* variables).
RETAKE_README_SCREENSHOTS = os.environ.get("PODBRIEF_SCREENSHOTS") == "1"
VIEWPORT = {"width": 1280, "height": 860}
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 90_000
JOB_TIMEOUT_MS = 300_000
# Opening an expander: on a loaded machine (CI, 2 cores, a browser, the app and a job) a rerun after signing in can
# re-mount it closed well after the click, so the content is looked for this many times, this long each time.
REVEAL_TRIES, REVEAL_WAIT_MS = 8, 10_000
JOB_START_S = 60  # from a click to its background job's log file, on a loaded machine
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
SETTLED = "() => !document.querySelector('[data-testid=stSkeleton], [data-testid=stSkeletonElement]')"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chromium() -> Path:
    """Debian's Chromium; missing is a skip on a workstation and a failure under CI."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing. Install Debian's chromium (apt-get install chromium); .ci/run does."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def browser(chromium: Path) -> Iterator[Browser]:
    """Headless Chromium driven by playwright, closed after the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where a test's screenshots go: the README's folder with PODBRIEF_SCREENSHOTS=1, else the test's own."""
    folder = README_SCREENSHOTS if RETAKE_README_SCREENSHOTS else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def dashboard(app_db: Path, tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free local port over a copy of the seeded store; yields its URL."""
    port = free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env={**os.environ, "PODBRIEF_DB": str(app_db)}, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert proc.poll() is None, (tmp_path / "streamlit.log").read_text()
            try:
                if httpx.get(url + "_stcore/health", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"streamlit did not start: {(tmp_path / 'streamlit.log').read_text()}"
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def settle(page: object) -> None:
    """Wait until the script run ended and every element has rendered; fail on any exception shown."""
    page.wait_for_selector(IDLE, timeout=PAGE_TIMEOUT_MS)  # type: ignore[attr-defined]
    page.wait_for_function(SETTLED, timeout=PAGE_TIMEOUT_MS)  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stException"]').count() == 0, f"an exception on {page.url}"  # type: ignore[attr-defined]


def reveal(page: object, header: str, target: object) -> None:
    """Open the expander titled `header` until `target` in it can be used.

    A rerun can re-mount the expander closed just after a click (signing in changes what it holds), so this checks
    again once the page has settled rather than trusting one click. It clicks the header only while the expander is
    closed (its content inert): on a loaded machine the content can lag the opening, and a second click shuts it.
    """
    expander = page.locator('[data-testid="stExpander"]').filter(  # type: ignore[attr-defined]
        has=page.get_by_text(header, exact=True)).last  # type: ignore[attr-defined]
    for _ in range(REVEAL_TRIES):
        settle(page)
        if target.is_visible() and target.is_enabled():  # type: ignore[attr-defined]
            return
        if expander.locator('[data-testid="stExpanderDetails"]').first.get_attribute("inert") is not None:
            page.get_by_text(header, exact=True).click()  # type: ignore[attr-defined]
        try:
            target.wait_for(state="visible", timeout=REVEAL_WAIT_MS)  # type: ignore[attr-defined]
        except PlaywrightTimeout:
            continue
    settle(page)
    assert target.is_visible(), f"{header!r} did not open"  # type: ignore[attr-defined]


def start_job(page: object, button: object, db: Path, job: str, *, expander: str | None = None) -> None:
    """Click `button` (in the expander titled `expander`, if any) until the background job it starts has a log file.

    On a loaded machine a click can land while a rerun re-mounts the page around the button and be lost; the job's
    log, written as the job starts, tells whether the click was taken (a second click would find the button disabled).
    """
    for _ in range(3):
        if expander:
            reveal(page, expander, button)
        else:
            settle(page)
        button.click()  # type: ignore[attr-defined]
        deadline = time.monotonic() + JOB_START_S
        while time.monotonic() < deadline:
            if any((db / JOBS_FOLDER).glob(f"{job}-*.log")):
                return
            time.sleep(0.5)
    raise AssertionError(f"three clicks never started the {job} job")


def sign_in(page: object) -> None:
    """Sign in as an editor on the page shown (each page load is a new session: editing is off without a sign-in)."""
    page.get_by_label("Editor password").fill(EDITOR_PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    settle(page)
