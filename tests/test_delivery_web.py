"""The delivery routes on a real uvicorn server on 127.0.0.1: RFC 8058 one-click unsubscribe and the Atom feeds."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from defusedxml import ElementTree
from starlette.applications import Starlette

from pipeline.delivery import readers
from pipeline.delivery.source import published_brief
from pipeline.delivery.web import routes
from tests.delivery_fixtures import PUBLIC_URL, published_engine  # noqa: F401  (the `published` fixture)
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)
from tests.smtpserver import free_port

ATOM = "{http://www.w3.org/2005/Atom}"
START_TIMEOUT_S = 30


@pytest.fixture
def web(published: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The delivery routes served by uvicorn over the published store; yields the base URL."""
    monkeypatch.setenv("PODBRIEF_DB", published.store.uri)
    monkeypatch.setenv("PODBRIEF_PUBLIC_URL", PUBLIC_URL)
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes()), host="127.0.0.1", port=free_port(),
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_one_click_post_unsubscribes_and_a_get_only_opens_the_confirm_page(published: Engine, web: str) -> None:
    ana = readers.add_reader(published.store, "ana@example.com")
    url = f"{web}/delivery/unsubscribe/{ana.token}"

    scanner = httpx.get(url, follow_redirects=False)
    assert scanner.status_code == 303
    assert scanner.headers["location"] == f"{PUBLIC_URL}/reader?token={ana.token}&action=unsubscribe"
    assert httpx.post(url, data={"something": "else"}).status_code == 400
    assert readers.get_reader(published.store, "ana@example.com").status == "active"

    # What a mail client sends for RFC 8058: a form POST with exactly this body.
    done = httpx.post(url, content=b"List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (done.status_code, done.text) == (200, "You are unsubscribed. You will not get the brief again.")
    ana = readers.get_reader(published.store, "ana@example.com")
    assert ana.status == "unsubscribed" and ana.status_note.startswith("unsubscribed by one-click at ")
    assert httpx.post(url, content=b"List-Unsubscribe=One-Click").status_code == 200  # again: still fine
    assert httpx.post(f"{web}/delivery/unsubscribe/not-a-token", content=b"List-Unsubscribe=One-Click").status_code == 404


def test_the_public_feed_has_each_published_brief_in_full(published: Engine, web: str) -> None:
    reply = httpx.get(f"{web}/delivery/briefs.atom")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ElementTree.fromstring(reply.content)
    assert feed.find(f"{ATOM}title").text == "Podbrief"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{PUBLIC_URL}/delivery/briefs.atom"
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text.startswith("Podbrief · Friday 10 May 2024: ")
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    for pick in published_brief(published.store, published.date).picks:
        assert html.escape(pick.text, quote=False) in content.text
    assert "token=" not in content.text and "Unsubscribe" not in content.text


def test_a_readers_private_feed_is_their_own_brief_at_their_token(published: Engine, web: str) -> None:
    ana = readers.add_reader(published.store, "ana@example.com", size=3, name="Ana")
    reply = httpx.get(f"{web}/delivery/feed/{ana.token}.atom")
    assert reply.status_code == 200 and "private" in reply.headers["cache-control"]
    feed = ElementTree.fromstring(reply.content)
    assert feed.find(f"{ATOM}title").text == "Podbrief for Ana"
    [entry] = feed.findall(f"{ATOM}entry")
    content = entry.find(f"{ATOM}content").text
    assert content.count('class="num"') == 3 and f"token={ana.token}&amp;action=vote" in content
    assert "ana@example.com" not in reply.text
    assert httpx.get(f"{web}/delivery/feed/{ana.token[:-2]}xx.atom").status_code == 404
    readers.unsubscribe(published.store, ana.token, how="test")
    assert httpx.get(f"{web}/delivery/feed/{ana.token}.atom").status_code == 404
