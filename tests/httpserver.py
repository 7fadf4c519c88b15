"""A real HTTP server on 127.0.0.1 for tests: static files, scripted routes, redirects, slow and odd replies.

Use the `http_server` fixture (a fresh server on an ephemeral port per test):

    def test_feed(http_server, tmp_path):
        http_server.serve_dir(FIXTURES / "feeds", prefix="/feeds/")    # ETag, Last-Modified and 304 for free
        http_server.route("/gone", status=404, body="no such feed")
        http_server.route("/slow.mp3", body=b"ID3...", delay=2.0)      # sleeps before answering
        http_server.route("/drip.xml", body=xml, drip=0.5)             # sends the body a byte every 0.5 s
        http_server.route("/page.mp3", body="<html>", content_type="text/html")
        http_server.route("/nolen", body=b"x" * 5000, content_length=False)  # body ends when the connection closes
        http_server.route("/feed.xml", body=xml, etag='"v1"', last_modified="Wed, 01 Jan 2025 00:00:00 GMT")
        http_server.redirect("/old", "/feeds/a.xml", status=301)
        http_server.route("/echo", handler=lambda req: Response(body=req.body))  # computed per request
        ...
        assert http_server.hits("/feed.xml") == 1
        assert http_server.requests("/feed.xml")[0].headers["user-agent"].startswith("Podbrief")

Routes win over served directories; anything else is a 404. Query strings are ignored for matching.
The server speaks HTTP/1.0 (one request per connection), so a reply without Content-Length simply ends at close.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_TYPE = "application/octet-stream"
POLL_S = 0.02  # how often serve_forever checks for shutdown; the default 0.5 s would slow every teardown


@dataclass
class RecordedRequest:
    """One request the server received; header names are lower case."""

    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Response:
    """What a route answers: status, body, headers, and how to misbehave.

    content_type None guesses from the path's extension (else application/octet-stream); "" sends none.
    With etag and/or last_modified set, matching If-None-Match / If-Modified-Since requests get a 304.
    """

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0  # seconds to sleep before sending anything
    drip: float = 0.0  # seconds to sleep between bytes of the body (a server that holds a client forever)
    content_length: bool = True
    etag: str | None = None
    last_modified: str | None = None
    ranges: bool = False  # answer "Range: bytes=..." with 206 and that slice (served files do, as real hosts do)


Handler = Callable[[RecordedRequest], Response]


class LocalHTTPServer:
    """A threaded HTTP server on 127.0.0.1 and an ephemeral port, scripted by the test."""

    def __init__(self) -> None:
        self._routes: dict[str, Handler] = {}
        self._dirs: list[tuple[str, Path]] = []
        self._requests: list[RecordedRequest] = []
        self._dripped: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _Server((HOST, 0), _RequestHandler)
        self._httpd.app = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(POLL_S,), name="test-http-server", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT, without a trailing slash."""
        return f"http://{HOST}:{self._httpd.server_address[1]}"

    def url(self, path: str = "/") -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def route(self, path: str, *, handler: Handler | None = None, **response: object) -> str:
        """Answer `path` with a fixed Response(**response), or with handler(request) per request; returns its URL."""
        if handler is None:
            fixed = Response(**response)  # type: ignore[arg-type]

            def handler(_request: RecordedRequest) -> Response:
                return fixed

        with self._lock:
            self._routes[path] = handler
        return self.url(path)

    def redirect(self, path: str, to: str, *, status: int = 302) -> str:
        """Redirect `path` to `to` (a path on this server or an absolute URL); returns the URL of `path`."""
        location = self.url(to) if to.startswith("/") else to
        return self.route(path, status=status, headers={"Location": location}, body="moved")

    def serve_dir(self, directory: Path, prefix: str = "/") -> None:
        """Serve the files under `directory` at `prefix`, with ETag, Last-Modified and 304s."""
        with self._lock:
            self._dirs.append((prefix if prefix.endswith("/") else prefix + "/", Path(directory)))

    def requests(self, path: str | None = None) -> list[RecordedRequest]:
        """The requests received so far, for one path or all."""
        with self._lock:
            return [r for r in self._requests if path is None or r.path == path]

    def hits(self, path: str) -> int:
        """How many requests `path` received."""
        return len(self.requests(path))

    def dripped(self, path: str, count: int = 0) -> int:
        """Bytes of `path` sent so far by drip routes (adds count first)."""
        with self._lock:
            self._dripped[path] = self._dripped.get(path, 0) + count
            return self._dripped[path]

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once when the server closes."""
        self._stop.wait(seconds)

    def close(self) -> None:
        """Stop serving and free the port; sleeping replies give up."""
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LocalHTTPServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _answer(self, request: RecordedRequest) -> Response:
        with self._lock:
            self._requests.append(request)
            handler = self._routes.get(request.path)
            dirs = list(self._dirs)
        if handler is not None:
            return handler(request)
        for prefix, directory in dirs:
            if request.path.startswith(prefix):
                file = (directory / request.path[len(prefix) :]).resolve()
                if file.is_file() and file.is_relative_to(directory.resolve()):
                    return _file_response(file)
        return Response(status=404, body=f"{request.path} not found", content_type="text/plain")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: LocalHTTPServer

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hangs up early (size caps, timeouts) is part of the tests, not a server failure.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._handle(send_body=True)

    def do_POST(self) -> None:
        self._handle(send_body=True)

    def do_PUT(self) -> None:
        self._handle(send_body=True)

    def do_DELETE(self) -> None:
        self._handle(send_body=True)

    def do_HEAD(self) -> None:
        self._handle(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _handle(self, *, send_body: bool) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        app = self.server.app
        response = app._answer(request)
        if response.delay:
            app.sleep(response.delay)
        if _not_modified(response, request.headers):
            response = replace(response, status=304, body=b"", content_type="")
        body = response.body.encode() if isinstance(response.body, str) else response.body
        if response.ranges and response.status == 200:
            response, body = _byte_range(response, body, request.headers.get("range"))
        self.send_response(response.status)
        content_type = response.content_type
        if content_type is None:
            content_type = mimetypes.guess_type(request.path)[0] or DEFAULT_TYPE
        headers = {"Content-Type": content_type, "ETag": response.etag, "Last-Modified": response.last_modified}
        if response.content_length:
            headers["Content-Length"] = str(len(body))
        for name, value in {**headers, **response.headers}.items():
            if value:
                self.send_header(name, value)
        self.end_headers()
        if send_body and body and response.drip:
            self._drip(body, response.drip, request.path)
        elif send_body and body:
            self.wfile.write(body)

    def _drip(self, body: bytes, every: float, path: str) -> None:
        app = self.server.app
        self.wfile.flush()
        for i in range(len(body)):
            if app._stop.is_set():
                return
            self.wfile.write(body[i : i + 1])
            self.wfile.flush()
            app.dripped(path, 1)
            app.sleep(every)


def _not_modified(response: Response, headers: dict[str, str]) -> bool:
    """Conditional GET as RFC 9110 orders it: If-None-Match first, else If-Modified-Since."""
    if response.status != 200:
        return False
    if "if-none-match" in headers:
        tags = {t.strip() for t in headers["if-none-match"].split(",")}
        return response.etag is not None and ("*" in tags or response.etag in tags)
    if "if-modified-since" in headers and response.last_modified:
        try:
            return parsedate_to_datetime(response.last_modified) <= parsedate_to_datetime(headers["if-modified-since"])
        except (TypeError, ValueError):
            return False
    return False


def _byte_range(response: Response, body: bytes, asked: str | None) -> tuple[Response, bytes]:
    """The part of a body a `Range: bytes=START-END` header asks for (206), or all of it; a player seeks this way."""
    headers = {**response.headers, "Accept-Ranges": "bytes"}
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (asked or "").strip())
    if not match or not body or match.groups() == ("", ""):
        return replace(response, headers=headers), body
    first, last = match.groups()
    start = int(first) if first else max(len(body) - int(last), 0)
    end = min(int(last), len(body) - 1) if first and last else len(body) - 1
    if start > end:
        return replace(response, status=416, headers={**headers, "Content-Range": f"bytes */{len(body)}"}), b""
    headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
    return replace(response, status=206, headers=headers), body[start:end + 1]


def _file_response(file: Path) -> Response:
    data = file.read_bytes()
    return Response(
        body=data,
        etag='"' + hashlib.sha1(data).hexdigest()[:16] + '"',
        last_modified=formatdate(int(file.stat().st_mtime), usegmt=True),
        content_type=mimetypes.guess_type(file.name)[0] or DEFAULT_TYPE,
        ranges=True,
    )


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A fresh LocalHTTPServer for one test, closed afterwards."""
    with LocalHTTPServer() as server:
        yield server
