"""pipeline.http against a real HTTP server on 127.0.0.1: fetch, conditional GET, redirects, caps, audio downloads."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pipeline.errors import DownloadError
from pipeline.ingest import http
from pipeline.ingest.http import USER_AGENT, Budget
from pipeline.ingest.reach import operator_access
from tests.httpserver import LocalHTTPServer

AUDIO = Path(__file__).parent / "fixtures" / "audio"
FLAC = AUDIO / "jfk.flac"
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
HTML = b"<!doctype html><html><body>Episode page</body></html>"


@pytest.fixture
def audio_dir(http_server: LocalHTTPServer) -> Path:
    http_server.serve_dir(AUDIO, prefix="/audio/")
    return AUDIO


def budget(max_bytes: int = 5_000_000, *, timeout: float = 5.0, seconds: float = 30.0) -> Budget:
    """A budget for one test fetch; the error names a made-up setting."""
    return Budget(max_bytes, seconds, timeout, "PODBRIEF_TEST_MB")


def fetch(url: str, *, max_bytes: int = 5_000_000, timeout: float = 5.0, **kwargs: object) -> http.FetchResult:
    """Fetch as a feed the operator added (the test servers are on 127.0.0.1)."""
    return http.fetch(url, access=operator_access(), budget=budget(max_bytes, timeout=timeout), **kwargs)  # type: ignore[arg-type]


def download(url: str, dest: Path, *, max_bytes: int) -> Path:
    """Download as an enclosure of a feed the operator added."""
    return http.download(url, dest, access=operator_access(), budget=budget(max_bytes))


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


# fetch


def test_fetch_returns_body_type_and_validators(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/feed.xml", body="<rss/>", etag='"v1"', last_modified=LAST_MODIFIED)
    result = fetch(url)
    assert (result.status, result.content, result.url) == (200, b"<rss/>", url)
    assert result.content_type == "application/xml"
    assert (result.etag, result.last_modified, result.permanent_url) == ('"v1"', LAST_MODIFIED, None)
    assert http_server.requests("/feed.xml")[0].headers["user-agent"] == USER_AGENT


def test_fetch_conditional_get_by_etag_gets_304(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/feed.xml", body="<rss/>", etag='"v1"')
    result = fetch(url, etag='"v1"')
    assert (result.status, result.content, result.etag) == (304, b"", '"v1"')
    assert http_server.requests("/feed.xml")[0].headers["if-none-match"] == '"v1"'


def test_fetch_conditional_get_by_last_modified_gets_304(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/feed.xml", body="<rss/>", last_modified=LAST_MODIFIED)
    result = fetch(url, last_modified=LAST_MODIFIED)
    assert (result.status, result.last_modified) == (304, LAST_MODIFIED)


def test_fetch_with_stale_etag_gets_new_body(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/feed.xml", body="<rss>new</rss>", etag='"v2"')
    result = fetch(url, etag='"v1"')
    assert (result.status, result.content, result.etag) == (200, b"<rss>new</rss>", '"v2"')


def test_fetch_served_file_round_trips_its_validators(http_server: LocalHTTPServer, audio_dir: Path) -> None:
    first = fetch(http_server.url("/audio/SOURCES.md"))
    assert first.content == (audio_dir / "SOURCES.md").read_bytes()
    again = fetch(first.url, etag=first.etag, last_modified=first.last_modified)
    assert again.status == 304
    assert http_server.hits("/audio/SOURCES.md") == 2


@pytest.mark.parametrize(("status", "hint"), [(404, "Check that the URL"), (410, "Check that the URL"), (503, "Try again later")])
def test_fetch_http_error_names_status_and_url(http_server: LocalHTTPServer, status: int, hint: str) -> None:
    url = http_server.route("/feed.xml", status=status, body="nope")
    with pytest.raises(DownloadError, match=rf"HTTP {status} .*{url}.*{hint}"):
        fetch(url)


def test_fetch_timeout(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/slow.xml", body="<rss/>", delay=5)
    with pytest.raises(DownloadError, match=r"Timed out after 0.2 s fetching .*/slow.xml"):
        fetch(url, timeout=0.2)


def test_fetch_follows_temporary_redirect_without_permanent_url(http_server: LocalHTTPServer) -> None:
    new = http_server.route("/new.xml", body="<rss/>")
    result = fetch(http_server.redirect("/old.xml", "/new.xml", status=302))
    assert (result.url, result.content, result.permanent_url) == (new, b"<rss/>", None)


@pytest.mark.parametrize("status", [301, 308])
def test_fetch_records_permanent_redirect(http_server: LocalHTTPServer, status: int) -> None:
    new = http_server.route("/new.xml", body="<rss/>")
    result = fetch(http_server.redirect("/old.xml", "/new.xml", status=status))
    assert (result.url, result.permanent_url) == (new, new)


def test_permanent_url_stops_at_first_temporary_hop(http_server: LocalHTTPServer) -> None:
    http_server.route("/final.xml", body="<rss/>")
    http_server.redirect("/moved.xml", "/final.xml", status=302)
    result = fetch(http_server.redirect("/old.xml", "/moved.xml", status=301))
    assert result.permanent_url == http_server.url("/moved.xml")


def test_permanent_hop_after_temporary_one_is_not_official(http_server: LocalHTTPServer) -> None:
    http_server.route("/final.xml", body="<rss/>")
    http_server.redirect("/moved.xml", "/final.xml", status=301)
    result = fetch(http_server.redirect("/old.xml", "/moved.xml", status=302))
    assert (result.url, result.permanent_url) == (http_server.url("/final.xml"), None)


def test_fetch_redirect_loop(http_server: LocalHTTPServer) -> None:
    http_server.redirect("/b.xml", "/a.xml")
    url = http_server.redirect("/a.xml", "/b.xml")
    with pytest.raises(DownloadError, match=r"Redirect loop fetching .*/a.xml -> .*/b.xml -> .*/a.xml"):
        fetch(url)


def test_fetch_too_many_redirects(http_server: LocalHTTPServer) -> None:
    for i in range(15):
        http_server.redirect(f"/r{i}", f"/r{i + 1}")
    with pytest.raises(DownloadError, match="Too many redirects"):
        fetch(http_server.url("/r0"))
    assert http_server.hits("/r11") == 0


def test_fetch_connection_refused() -> None:
    with pytest.raises(DownloadError, match=r"Could not connect to fetch http://127\.0\.0\.1:"):
        fetch(_closed_port_url(), timeout=5)


def test_fetch_unknown_host() -> None:
    with pytest.raises(DownloadError, match=r"Could not find the server podbrief-no-such-host\.invalid"):
        fetch("http://podbrief-no-such-host.invalid/feed.xml", timeout=5)


def test_fetch_unsupported_scheme() -> None:
    with pytest.raises(DownloadError, match="Use an http"):
        fetch("ftp://example.org/feed.xml")


@pytest.mark.parametrize("content_length", [True, False])
def test_fetch_enforces_max_bytes(http_server: LocalHTTPServer, content_length: bool) -> None:
    url = http_server.route("/big.xml", body=b"x" * 300_000, content_length=content_length)
    why = "it declares 300,000 bytes" if content_length else "the body kept coming"
    with pytest.raises(DownloadError, match=rf"over the 1,000-byte limit \({why}\)"):
        fetch(url, max_bytes=1000)


def test_fetch_body_without_content_length_under_cap(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/feed.xml", body=b"y" * 5000, content_length=False)
    assert fetch(url, max_bytes=5000).content == b"y" * 5000


def test_fetch_local_path_and_file_url() -> None:
    source = AUDIO / "SOURCES.md"
    for url in (str(source), source.as_uri()):
        result = fetch(url)
        assert (result.status, result.content, result.etag) == (200, source.read_bytes(), None)


def test_fetch_local_file_over_cap() -> None:
    with pytest.raises(DownloadError, match="over the 10-byte limit"):
        fetch(str(FLAC), max_bytes=10)


def test_fetch_missing_local_file(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"Local file .*missing.xml does not exist"):
        fetch((tmp_path / "missing.xml").as_uri())


# download


def test_download_streams_audio_to_a_temp_file(http_server: LocalHTTPServer, audio_dir: Path, tmp_path: Path) -> None:
    path = download(http_server.url("/audio/jfk.flac"), tmp_path / "dl", max_bytes=5_000_000)
    assert path.parent == tmp_path / "dl"
    assert path.suffix == ".flac"
    assert path.read_bytes() == FLAC.read_bytes()


def test_download_accepts_video_type(http_server: LocalHTTPServer, tmp_path: Path) -> None:
    url = http_server.route("/episode", body=b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100, content_type="video/mp4")
    assert download(url, tmp_path, max_bytes=1000).suffix == ".mp4"


@pytest.mark.parametrize(
    "head",
    [
        b"ID3\x04\x00\x00\x00\x00\x00\x00",
        b"\xff\xfb\x90\x64\x00\x00\x00\x00",  # bare MPEG-1 layer III frame
        b"\xff\xf1\x50\x80\x00\x1f\xfc\x00",  # AAC ADTS
        b"fLaC\x00\x00\x00\x22",
        b"RIFF\x24\x08\x00\x00WAVEfmt ",
        b"OggS\x00\x02\x00\x00",
        b"\x00\x00\x00\x20ftypM4A \x00\x00",
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81",  # WebM / Matroska EBML
    ],
)
@pytest.mark.parametrize("content_type", ["application/octet-stream", ""])
def test_download_sniffs_generic_types(http_server: LocalHTTPServer, tmp_path: Path, head: bytes, content_type: str) -> None:
    body = head + b"\x00" * 200
    url = http_server.route("/enclosure", body=body, content_type=content_type)
    assert download(url, tmp_path, max_bytes=1000).read_bytes() == body


def test_download_rejects_html_page(http_server: LocalHTTPServer, tmp_path: Path) -> None:
    url = http_server.route("/episode.mp3", body=HTML, content_type="text/html; charset=utf-8")
    with pytest.raises(DownloadError, match=r"/episode.mp3 is text/html, not audio"):
        download(url, tmp_path, max_bytes=100_000)
    assert list(tmp_path.iterdir()) == []


def test_download_rejects_octet_stream_that_is_not_audio(http_server: LocalHTTPServer, tmp_path: Path) -> None:
    url = http_server.route("/episode.mp3", body=HTML, content_type="application/octet-stream")
    with pytest.raises(DownloadError, match="labelled application/octet-stream and its first bytes are no known audio"):
        download(url, tmp_path, max_bytes=100_000)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content_length", [True, False])
def test_download_enforces_max_bytes_and_removes_partial_file(
    http_server: LocalHTTPServer, tmp_path: Path, content_length: bool
) -> None:
    url = http_server.route("/big.mp3", body=b"ID3" + b"\x00" * 1_000_000, content_length=content_length)
    with pytest.raises(DownloadError, match=r"big.mp3 is over the 200,000-byte limit"):
        download(url, tmp_path, max_bytes=200_000)
    assert list(tmp_path.iterdir()) == []


def test_download_http_error(http_server: LocalHTTPServer, tmp_path: Path) -> None:
    url = http_server.route("/gone.mp3", status=404)
    with pytest.raises(DownloadError, match=r"HTTP 404 Not Found for .*/gone.mp3"):
        download(url, tmp_path, max_bytes=1000)


def test_download_follows_redirects(http_server: LocalHTTPServer, audio_dir: Path, tmp_path: Path) -> None:
    url = http_server.redirect("/track/123", "/audio/jfk.flac")
    assert download(url, tmp_path, max_bytes=5_000_000).read_bytes() == FLAC.read_bytes()


@pytest.mark.parametrize("as_uri", [False, True])
def test_download_copies_local_audio(tmp_path: Path, as_uri: bool) -> None:
    path = download(FLAC.as_uri() if as_uri else str(FLAC), tmp_path, max_bytes=5_000_000)
    assert path != FLAC and path.parent == tmp_path
    assert path.read_bytes() == FLAC.read_bytes()
    path.unlink()
    assert FLAC.exists()


def test_download_rejects_local_non_audio(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"SOURCES\.md has no Content-Type and its first bytes are no known audio"):
        download(str(AUDIO / "SOURCES.md"), tmp_path / "dl", max_bytes=100_000)
    assert list((tmp_path / "dl").iterdir()) == []


def test_download_local_over_cap(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="over the 1,000-byte limit"):
        download(str(FLAC), tmp_path, max_bytes=1000)
