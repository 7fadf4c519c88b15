"""The rule on what feeds may reach, end to end: real ingestion, real servers on 127.0.0.1, a "private" server with a secret.

A feed the operator adds may live on 127.0.0.1 (these tests' feeds do: `ingest(feeds=...)` is the operator); what
its links and redirects may reach is the point of every test here.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

from pipeline.config import Settings, get_settings
from pipeline.errors import DownloadError, RefusedURLError
from pipeline.ingest import reach
from pipeline.ingest.catalog import add_feeds
from pipeline.ingest.http import Budget, fetch, playable_audio
from pipeline.ingest.poll import poll_feed
from pipeline.ingest.run import ingest
from pipeline.store import Store
from tests.feed_builder import Item, rss
from tests.httpserver import LocalHTTPServer

SECRET = "TOP-SECRET-5f3c"
VTT = "WEBVTT\n\n00:00.000 --> 00:03.000\nA perfectly ordinary sentence about podcasts and their listeners.\n"
FROM_THE_WEB = "a feed fetched from the web may never point at a file on this machine"
PUBLIC_IP = "93.184.216.34"  # a global address; nothing here can reach it, which is the point


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(podbrief_db=str(tmp_path / "db"), podbrief_audio_dir=str(tmp_path / "audio"),
                        podbrief_http_timeout=2.0, podbrief_retry_base_s=3600.0, podbrief_max_audio_mb=5)


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store(settings.podbrief_db)


@pytest.fixture
def private() -> LocalHTTPServer:
    """A second server, standing for a private service (an admin panel, a metadata service): it holds a secret."""
    with LocalHTTPServer() as server:
        server.route("/secret.vtt", body=VTT.replace("ordinary", SECRET), content_type="text/vtt")
        yield server


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secrets.toml"
    path.write_text(f'editor_password = "{SECRET}"\n')
    return path


def _stored_text(store: Store) -> str:
    return " ".join(s["text"] for s in store.rows("segments"))


def _errors(store: Store) -> dict[str, str]:
    return {e["guid"]: e["error"] or "" for e in store.rows("episodes")}


def test_links_in_a_web_feed_never_reach_local_files(http_server: LocalHTTPServer, store: Store, settings: Settings,
                                                      secret_file: Path) -> None:
    http_server.route("/ok.vtt", body=VTT, content_type="text/vtt")
    feed = rss("Hostile", [
        Item("passwd", "passwd", transcripts=[("file:///etc/passwd", "text/plain")]),
        Item("secrets", "secrets", transcripts=[(secret_file.as_uri(), "text/plain")]),
        Item("audio", "audio", audio=secret_file.as_uri()),
        Item("ok", "ok", transcripts=[(http_server.url("/ok.vtt"), "text/vtt")]),
    ])
    ingest(store, feeds=[http_server.route("/feed.xml", body=feed)], settings=settings)
    errors = _errors(store)
    assert f"Refused file:///etc/passwd: {FROM_THE_WEB}" in errors["passwd"]
    assert f"Refused {secret_file.as_uri()}: {FROM_THE_WEB}" in errors["secrets"]
    assert f"Refused {secret_file.as_uri()}: {FROM_THE_WEB}" in errors["audio"]
    assert errors["ok"] == ""
    text = _stored_text(store)
    assert "perfectly ordinary" in text and SECRET not in text and "root:" not in text


def test_links_in_a_web_feed_reach_only_public_addresses_or_the_feeds_own_server(
        http_server: LocalHTTPServer, private: LocalHTTPServer, store: Store, settings: Settings) -> None:
    http_server.route("/ok.vtt", body=VTT, content_type="text/vtt")
    same_port_other_name = http_server.url("/ok.vtt").replace("127.0.0.1", "localhost")
    feed = rss("Hostile", [
        Item("loopback", "loopback", transcripts=[(private.url("/secret.vtt"), "text/vtt")]),
        Item("by-name", "by name", transcripts=[(same_port_other_name, "text/vtt")]),
        Item("lan", "lan", transcripts=[("http://10.20.30.40/secret.vtt", "text/vtt")]),
        Item("metadata", "metadata", transcripts=[("http://169.254.169.254/latest/meta-data/", "text/plain")]),
        Item("mapped", "mapped", transcripts=[(f"http://[::ffff:127.0.0.1]:{private.url().rsplit(':', 1)[1]}", "text/vtt")]),
        Item("own-server", "own server", transcripts=[(http_server.url("/ok.vtt"), "text/vtt")]),
    ])
    ingest(store, feeds=[http_server.route("/feed.xml", body=feed)], settings=settings)
    errors = _errors(store)
    assert "127.0.0.1 is a loopback address (this machine). Links inside a feed, and redirects" in errors["loopback"]
    assert "is a loopback address" in errors["by-name"], "same port, other host name: not the feed's origin"
    assert "10.20.30.40 is a private address" in errors["lan"]
    assert "169.254.169.254 is a link-local address" in errors["metadata"]
    assert "127.0.0.1 is a loopback address" in errors["mapped"]
    assert errors["own-server"] == ""
    assert private.hits("/secret.vtt") == 0 and SECRET not in _stored_text(store)


def test_private_addresses_for_an_intranet_but_never_link_local(
        http_server: LocalHTTPServer, private: LocalHTTPServer, store: Store, tmp_path: Path) -> None:
    intranet = get_settings(podbrief_db=str(tmp_path / "db"), podbrief_allow_private_urls=True, podbrief_http_timeout=2.0,
                            podbrief_retry_base_s=3600.0)
    feed = rss("Intranet", [
        Item("lan", "lan", transcripts=[(private.url("/secret.vtt"), "text/vtt")]),
        Item("metadata", "metadata", transcripts=[("http://169.254.169.254/latest/meta-data/", "text/plain")]),
        Item("file", "file", transcripts=[("file:///etc/passwd", "text/plain")]),
    ])
    ingest(store, feeds=[http_server.route("/feed.xml", body=feed)], settings=intranet)
    errors = _errors(store)
    assert errors["lan"] == "" and private.hits("/secret.vtt") == 1
    assert "link-local address" in errors["metadata"]
    assert FROM_THE_WEB in errors["file"], "the setting opens private addresses, never local files"


def test_every_redirect_hop_is_checked(http_server: LocalHTTPServer, private: LocalHTTPServer, store: Store,
                                       settings: Settings) -> None:
    http_server.redirect("/to-private.vtt", private.url("/secret.vtt"))
    http_server.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    http_server.redirect("/to-file", "file:///etc/passwd")
    http_server.redirect("/hop1", "/hop2")
    http_server.redirect("/hop2", private.url("/secret.vtt"), status=301)
    feed = rss("Redirects", [
        Item("private", "private", transcripts=[(http_server.url("/to-private.vtt"), "text/vtt")]),
        Item("metadata", "metadata", transcripts=[(http_server.url("/to-metadata"), "text/plain")]),
        Item("file", "file", transcripts=[(http_server.url("/to-file"), "text/plain")]),
        Item("chain", "chain", transcripts=[(http_server.url("/hop1"), "text/vtt")]),
    ])
    ingest(store, feeds=[http_server.route("/feed.xml", body=feed)], settings=settings)
    errors = _errors(store)
    assert f"Refused {private.url('/secret.vtt')}: 127.0.0.1 is a loopback address" in errors["private"]
    assert "169.254.169.254 is a link-local address" in errors["metadata"]
    assert FROM_THE_WEB in errors["file"]
    assert "loopback address" in errors["chain"]
    assert private.hits("/secret.vtt") == 0 and SECRET not in _stored_text(store)


def test_a_feed_that_redirects_or_moves_to_a_private_server_is_not_followed(
        http_server: LocalHTTPServer, private: LocalHTTPServer, store: Store, settings: Settings) -> None:
    private.route("/feed.xml", body=rss("Inside", [Item("x", "x", transcripts=[("/secret.vtt", "text/vtt")])]))
    http_server.redirect("/moved.xml", private.url("/feed.xml"), status=301)
    feed = add_feeds(store, [http_server.url("/moved.xml")])[0]
    assert poll_feed(store, feed, max_new=10, settings=settings) is None
    row = store.rows("feeds")[0]
    assert "loopback address" in row["last_error"] and row["url"] == http_server.url("/moved.xml")
    assert private.hits("/feed.xml") == 0

    for target in ("file:///etc/passwd", private.url("/feed.xml")):
        mover = rss("Mover", [], extra_channel=f"<itunes:new-feed-url>{target}</itunes:new-feed-url>")
        http_server.route("/mover.xml", body=mover)
        feed = add_feeds(store, [http_server.url("/mover.xml")])[0]
        assert poll_feed(store, feed, max_new=10, settings=settings) == 0
        moved = store.rows("feeds", f"feed_id = '{feed['feed_id']}'")[0]
        if target.startswith("file:"):
            assert moved["url"] == http_server.url("/mover.xml"), "a web feed never moves to a local file"
            assert FROM_THE_WEB in moved["last_error"]
        else:  # another server: the move is kept, and the next poll holds it to public addresses
            assert moved["added_via"] == "moved"
            assert poll_feed(store, moved, max_new=10, settings=settings) is None
            assert "loopback address" in store.rows("feeds", f"feed_id = '{feed['feed_id']}'")[0]["last_error"]
    assert private.hits("/feed.xml") == 0


def test_a_local_feed_reaches_only_files_inside_its_root(tmp_path: Path, store: Store, settings: Settings,
                                                         secret_file: Path) -> None:
    show = tmp_path / "shows" / "one"
    (show / "t").mkdir(parents=True)
    (show / "t" / "ok.vtt").write_text(VTT)
    (show / "t" / "link.vtt").symlink_to(secret_file)
    (tmp_path / "shows" / "shared.vtt").write_text(VTT.replace("ordinary", "shared"))
    feed = show / "feed.xml"
    feed.write_bytes(rss("Local", [
        Item("inside", "inside", transcripts=[("t/ok.vtt", "text/vtt")]),
        Item("dotdot", "dotdot", transcripts=[("../../secrets.toml", "text/plain")]),
        Item("symlink", "symlink", transcripts=[("t/link.vtt", "text/vtt")]),
        Item("absolute", "absolute", transcripts=[("/etc/passwd", "text/plain")]),
        Item("above", "above", transcripts=[("../shared.vtt", "text/vtt")]),
    ]))
    ingest(store, feeds=[str(feed)], settings=settings)
    errors = _errors(store)
    assert errors["inside"] == ""
    for guid in ("dotdot", "symlink", "absolute", "above"):
        assert f"it is outside the folder of the feed that names it ({show})" in errors[guid], guid
    assert SECRET not in _stored_text(store)

    (tmp_path / "shows" / reach.ROOT_MARKER).write_text("")  # the operator makes shows/ the root of the feeds below it
    assert reach.feed_root(feed) == tmp_path / "shows"
    from pipeline.ingest.catalog import retry_failed

    retry_failed(store)
    ingest(store, settings=settings)
    errors = _errors(store)
    assert errors["above"] == "" and "outside the folder" in errors["symlink"] and "outside" in errors["dotdot"]


def test_the_address_checked_is_the_address_connected(http_server: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    """A name is resolved once; the connection goes to that address, with the name kept in the Host header."""
    lookups: list[str] = []
    real = socket.getaddrinfo

    def resolver(host: str, port: object, *args: object, **kwargs: object) -> list:
        lookups.append(host)
        if host == "feeds.example.test":
            return real("127.0.0.1", port, *args, **kwargs) if lookups.count(host) == 1 else real(PUBLIC_IP, port)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    url = http_server.route("/feed.xml", body="<rss/>").replace("127.0.0.1", "feeds.example.test")
    got = fetch(url, access=reach.operator_access(), budget=Budget(1000, 10, 2, "X"))
    assert got.content == b"<rss/>"
    assert lookups.count("feeds.example.test") == 1, "the HTTP client must not look the name up again"
    assert http_server.requests("/feed.xml")[0].headers["host"] == url.split("/")[2]


def test_a_name_that_rebinds_to_a_private_address_never_reaches_it(
        http_server: LocalHTTPServer, private: LocalHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: public when checked, loopback when the client would look again. The check's answer wins."""
    real = socket.getaddrinfo
    answers = iter([PUBLIC_IP])

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> list:
        if host == "rebind.example.test":
            return real(next(answers, "127.0.0.1"), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = private.url("/secret.vtt").replace("127.0.0.1", "rebind.example.test")
    access = reach.inside(http_server.url("/feed.xml"), reach.operator_access())
    with pytest.raises(DownloadError, match=f"Could not connect to fetch {url}|Gave up on {url}|Timed out"):
        fetch(url, access=access, budget=Budget(100_000, 5, 1, "X"))  # it tried PUBLIC_IP, which nothing here reaches
    assert private.hits("/secret.vtt") == 0


@pytest.mark.parametrize(("address", "private_ok", "problem"), [
    ("8.8.8.8", False, None),
    ("2606:4700:4700::1111", False, None),
    ("127.0.0.1", False, "loopback"),
    ("127.0.0.1", True, None),
    ("::1", False, "loopback"),
    ("::ffff:127.0.0.1", False, "loopback"),
    ("64:ff9b::7f00:1", False, "loopback"),  # NAT64 carrying 127.0.0.1
    ("10.0.0.1", False, "private"),
    ("172.16.0.1", False, "private"),
    ("192.168.1.1", False, "private"),
    ("100.64.0.1", False, "private"),  # carrier-grade NAT
    ("fc00::1", False, "private"),
    ("169.254.169.254", True, "link-local"),
    ("fe80::1", True, "link-local"),
    ("0.0.0.0", True, "not the address of a server"),
    ("224.0.0.1", True, "not the address of a server"),
])
def test_which_addresses_count_as_public(address: str, private_ok: bool, problem: str | None) -> None:
    found = reach.address_problem(ipaddress.ip_address(address), private_ok=private_ok)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_the_feeds_page_rule_and_the_operators(tmp_path: Path) -> None:
    editor, operator = reach.editor_access(get_settings()), reach.operator_access()
    for url in ("file:///etc/passwd", "/etc/passwd", "etc/passwd"):
        with pytest.raises(RefusedURLError, match="only web addresses"):
            reach.check(url, editor, timeout=1)
        assert reach.check(url, operator, timeout=1).path == Path("/etc/passwd") if url.startswith(("/", "file")) else True
    with pytest.raises(RefusedURLError, match="not gopher: URLs"):
        reach.check("gopher://example.org/", operator, timeout=1)
    with pytest.raises(RefusedURLError, match=r"127\.0\.0\.1 is a loopback address .* Feeds added on the Feeds page"):
        reach.check("http://127.0.0.1/feed.xml", editor, timeout=1)
    assert reach.check("http://127.0.0.1/feed.xml", operator, timeout=1).addresses == ("127.0.0.1",)


def test_only_web_audio_or_files_in_the_audio_folder_are_playable(tmp_path: Path, secret_file: Path) -> None:
    audio = tmp_path / "audio"
    audio.mkdir()
    (audio / "ep.mp3").write_bytes(b"ID3")
    (audio / "link.mp3").symlink_to(secret_file)
    settings = get_settings(podbrief_audio_dir=str(audio))
    assert playable_audio("https://cdn.example.org/ep.mp3", settings) == "https://cdn.example.org/ep.mp3"
    assert playable_audio(str(audio / "ep.mp3"), settings) == str(audio / "ep.mp3")
    assert playable_audio((audio / "ep.mp3").as_uri(), settings) == str(audio / "ep.mp3")
    for refused in ("/etc/passwd", "file:///etc/passwd", str(secret_file), str(audio / "link.mp3"),
                    str(audio / ".." / "secrets.toml"), str(audio / "missing.mp3"), "javascript:alert(1)", "~nobody0/x.mp3",
                    "data:audio/mp3;base64,SUQz", "ftp://example.org/ep.mp3", "", None):
        assert playable_audio(refused, settings) is None, refused
    assert os.path.exists(secret_file)
