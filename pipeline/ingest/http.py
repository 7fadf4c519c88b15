"""All network I/O: fetch a feed or transcript into memory, stream an audio enclosure to disk.

The only module that opens URLs. Every fetch states what it may reach (`reach.Access`): each URL and
redirect hop is checked by `reach.check`, and the connection goes to exactly the addresses that check
resolved (no second DNS lookup to rebind). Every fetch has a `Budget`: a size cap counted on the
decompressed body while it streams, and an overall deadline that no slow drip of bytes can stretch.
Local paths and file:// URLs go through the same rule, so the offline samples take the same path.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import os
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..config import Settings, get_settings
from ..errors import DownloadError, RefusedURLError
from . import reach
from .pinning import Deadline, PinnedBackend, PinnedTransport
from .sniff import check_declared_type, media_type, plausible_audio

log = logging.getLogger(__name__)

USER_AGENT = "Podbrief/0.1 (podcast insight reader)"
MAX_REDIRECTS = 10
PERMANENT_REDIRECTS = {301, 308}
CHUNK_BYTES = 64 * 1024
SNIFF_BYTES = 16
MB = 1024 * 1024
GB = 1024 * MB
ACCEPT_ENCODING = "gzip, deflate"  # the codings `_inflate` can cap while streaming; nothing else is asked for
AUDIO_SUFFIXES = {".mp3", ".m4a", ".mp4", ".m4v", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wav", ".webm", ".mkv", ".mka"}


@dataclass(frozen=True)
class Budget:
    """What one fetch may take: bytes (decompressed) and seconds, and the settings that raise them."""

    max_bytes: int
    seconds: float  # overall deadline, from the first byte sent to the last one read
    timeout: float  # to connect, and between two reads
    bytes_setting: str
    seconds_setting: str = "PODBRIEF_FETCH_DEADLINE_S"
    seconds_per_gb: float = 0.0  # audio: the deadline grows with the declared size

    @classmethod
    def feed(cls, settings: Settings) -> Budget:
        """The budget of fetching a feed."""
        return cls(settings.podbrief_max_feed_mb * MB, settings.podbrief_fetch_deadline_s, settings.podbrief_http_timeout,
                   "PODBRIEF_MAX_FEED_MB")

    @classmethod
    def transcript(cls, settings: Settings) -> Budget:
        """The budget of fetching a publisher transcript."""
        return cls(settings.podbrief_max_transcript_mb * MB, settings.podbrief_fetch_deadline_s,
                   settings.podbrief_http_timeout, "PODBRIEF_MAX_TRANSCRIPT_MB")

    @classmethod
    def audio(cls, settings: Settings) -> Budget:
        """The budget of downloading an enclosure: its deadline grows with its size (at least the feed deadline)."""
        return cls(settings.podbrief_max_audio_mb * MB, settings.podbrief_fetch_deadline_s, settings.podbrief_http_timeout,
                   "PODBRIEF_MAX_AUDIO_MB", "PODBRIEF_AUDIO_S_PER_GB", settings.podbrief_audio_s_per_gb)

    def seconds_for(self, size: int | None) -> float:
        """The deadline for a body of `size` bytes (the cap when unknown)."""
        if not self.seconds_per_gb:
            return self.seconds
        return max(self.seconds, min(size or self.max_bytes, self.max_bytes) / GB * self.seconds_per_gb)


@dataclass
class FetchResult:
    """What one fetch returned; content is empty on 304 Not Modified."""

    url: str
    status: int
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    permanent_url: str | None = None  # where an unbroken run of 301/308 from the start led: the new address to keep


def fetch(
    url: str,
    *,
    access: reach.Access,
    budget: Budget | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """Fetch a URL, file:// URL or local path into memory, conditionally when etag/last_modified are given."""
    budget = budget or Budget.feed(get_settings())
    deadline = Deadline(budget.seconds_for(None))  # from the first DNS lookup on
    target = _check(url, access, budget, deadline)
    if target.path is not None:
        data = _read_local(target.path, url, budget)
        return FetchResult(url, 200, data, mimetypes.guess_type(target.path.name)[0], None, None)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with _open(target, access, headers, budget, deadline) as (response, permanent_url):
        content = b"" if response.status_code == 304 else b"".join(_body(response, url, budget, deadline))
        return FetchResult(
            url=str(response.url),
            status=response.status_code,
            content=content,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag") or (etag if response.status_code == 304 else None),
            last_modified=response.headers.get("Last-Modified") or (last_modified if response.status_code == 304 else None),
            permanent_url=permanent_url,
        )


def download(url: str, dest_dir: Path, *, access: reach.Access, budget: Budget | None = None) -> Path:
    """Stream an audio enclosure (URL, file:// URL or local path) to a new temp file in dest_dir and return its path.

    Local files are copied too, so the caller may always delete the result after ASR.
    """
    budget = budget or Budget.audio(get_settings())
    dest_dir.mkdir(parents=True, exist_ok=True)
    deadline = Deadline(budget.seconds_for(None))
    target = _check(url, access, budget, deadline)
    if target.path is not None:
        _check_local(target.path, url, budget)
        with target.path.open("rb") as src:
            return _save_audio(iter(lambda: src.read(CHUNK_BYTES), b""), dest_dir, url, target.path.suffix, "")
    with _open(target, access, {}, budget, deadline) as (response, _):
        if response.status_code != 200:
            raise DownloadError(f"Downloading {url} got HTTP {response.status_code} instead of the audio file.")
        content_type = media_type(response.headers.get("Content-Type"))
        check_declared_type(content_type, url)
        suffix = Path(urlsplit(str(response.url)).path).suffix or mimetypes.guess_extension(content_type) or ""
        return _save_audio(_body(response, url, budget, deadline), dest_dir, url, suffix, content_type)


def playable_audio(url_or_path: str | None, settings: Settings) -> str | None:
    """What may be handed to `st.audio`: an http(s) URL as is, or a file under the audio folder; else None.

    `st.audio` given a path reads that file on the server and serves it to whoever views the page, so
    nothing outside PODBRIEF_AUDIO_DIR is ever passed to it.
    """
    if not url_or_path:
        return None
    try:
        parts = urlsplit(url_or_path)
        if parts.scheme.lower() in reach.WEB_SCHEMES:
            return url_or_path if parts.hostname else None
        path = reach.local_path(url_or_path)
        real = path.resolve() if path is not None else None  # a NUL byte or a bad path raises here too
    except (ValueError, OSError):
        return None
    folder = Path(settings.podbrief_audio_dir).resolve()
    return str(real) if real is not None and real.is_relative_to(folder) and real.is_file() else None


def _check(url: str, access: reach.Access, budget: Budget, deadline: Deadline) -> reach.Target:
    """reach.check within the fetch's deadline (a host name lookup included)."""
    left = deadline.left()
    if left <= 0:
        raise DownloadError(_too_slow(url, deadline.seconds, budget))
    return reach.check(url, access, timeout=min(budget.timeout, left))


@contextlib.contextmanager
def _open(
    target: reach.Target, access: reach.Access, headers: dict[str, str], budget: Budget, deadline: Deadline
) -> Iterator[tuple[httpx.Response, str | None]]:
    """Send a GET, follow redirects by hand (each hop checked by the rule) and yield the open streaming response."""
    url = target.url
    hop_access = reach.for_hops(url, access)
    backend = PinnedBackend(deadline)
    seen = [url]
    permanent_url = None
    moved_for_good = True  # only an unbroken run of 301/308 from the start makes a new address official
    try:
        with httpx.Client(transport=PinnedTransport(backend), timeout=budget.timeout,
                          headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING}) as client:
            request = client.build_request("GET", url, headers=headers)
            while True:
                backend.pins[target.host] = target.addresses
                response = client.send(request, stream=True, follow_redirects=False)
                try:
                    if response.next_request is None:
                        _check_status(response, url)
                        yield response, permanent_url
                        return
                    request = response.next_request
                    hop = str(request.url)
                    moved_for_good = moved_for_good and response.status_code in PERMANENT_REDIRECTS
                    if moved_for_good:
                        permanent_url = hop
                    if hop in seen:
                        raise DownloadError(f"Redirect loop fetching {url}: {' -> '.join([*seen, hop])}. Fix the URL.")
                    seen.append(hop)
                    if len(seen) > MAX_REDIRECTS + 1:
                        raise DownloadError(f"Too many redirects (over {MAX_REDIRECTS}) fetching {url}. Fix the URL.")
                    target = _check(hop, hop_access, budget, deadline)
                finally:
                    response.close()
    except httpx.TimeoutException as exc:
        if deadline.left() <= 0:
            raise DownloadError(_too_slow(url, deadline.seconds, budget)) from exc
        raise DownloadError(
            f"Timed out after {budget.timeout:g} s fetching {url}. Try again later or raise PODBRIEF_HTTP_TIMEOUT."
        ) from exc
    except httpx.ConnectError as exc:
        raise DownloadError(f"Could not connect to fetch {url} ({exc}). Check the URL.") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise RefusedURLError(f"Refused a redirect from {url}: {exc}. Only http(s) addresses are fetched.") from exc
    except httpx.HTTPError as exc:
        raise DownloadError(f"Network error fetching {url}: {exc}. Try again later.") from exc


def _check_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    if status < 300 or status == 304:
        return
    where = url if str(response.url) == url else f"{url} (redirected to {response.url})"
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    if status >= 500:
        raise DownloadError(f"{reason} from {where}: the server failed. Try again later.")
    if status >= 400:
        raise DownloadError(f"{reason} for {where}. Check that the URL is still right.")
    raise DownloadError(f"{reason} without a usable Location for {where}. Check the URL.")


def _body(response: httpx.Response, url: str, budget: Budget, deadline: Deadline) -> Iterator[bytes]:
    """Yield the decompressed body in chunks, raising as soon as it grows past the cap or the deadline passes."""
    length = response.headers.get("Content-Length")
    declared = int(length) if length and length.isdigit() else None
    if declared is not None and declared > budget.max_bytes:
        raise DownloadError(_too_big(url, budget, f"it declares {declared:,} bytes"))
    deadline.seconds = budget.seconds_for(declared)
    total = 0
    try:
        for chunk in _inflate(response.iter_raw(), response.headers.get("Content-Encoding", ""), url):
            total += len(chunk)
            if total > budget.max_bytes:
                raise DownloadError(_too_big(url, budget, "the body kept coming"))
            yield chunk
    except httpx.TimeoutException as exc:
        if deadline.left() <= 0:
            raise DownloadError(_too_slow(url, deadline.seconds, budget, total)) from exc
        raise DownloadError(f"Timed out after {budget.timeout:g} s waiting for more of {url}. Try again later.") from exc
    except httpx.HTTPError as exc:
        raise DownloadError(f"The connection broke while reading {url} ({exc}). Try again later.") from exc


def _inflate(raw: Iterator[bytes], encoding: str, url: str) -> Iterator[bytes]:
    """Decompress gzip or deflate a chunk at a time, never more than CHUNK_BYTES out per step (no bomb in memory)."""
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip().lower() not in ("", "identity")]
    if not codings:
        yield from raw
        return
    if len(codings) > 1 or codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise DownloadError(f"{url} is compressed as {encoding!r}, which Podbrief does not read. Tell the publisher.")
    inflater = None
    try:
        for chunk in raw:
            if inflater is None:
                inflater = zlib.decompressobj(_wbits(codings[0], chunk))
            data = chunk
            while data:
                out = inflater.decompress(data, CHUNK_BYTES)
                if out:
                    yield out
                data = inflater.unconsumed_tail
        if inflater is not None:
            yield inflater.flush()
    except zlib.error as exc:
        raise DownloadError(f"{url} sent a corrupt {codings[0]} body ({exc}). Try again later.") from exc


def _wbits(coding: str, first: bytes) -> int:
    if coding != "deflate":
        return 16 + zlib.MAX_WBITS
    # "deflate" is meant to be zlib-wrapped, but some servers send a raw deflate stream.
    wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS


def _save_audio(chunks: Iterator[bytes], dest_dir: Path, url: str, suffix: str, content_type: str) -> Path:
    """Write chunks to a temp file after checking that the first bytes look like audio; remove it on any failure."""
    suffix = suffix.lower() if suffix.lower() in AUDIO_SUFFIXES else ".audio"
    fd, name = tempfile.mkstemp(prefix="podbrief-", suffix=suffix, dir=dest_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            head = b""
            while len(head) < SNIFF_BYTES:
                chunk = next(chunks, b"")
                if not chunk:
                    break
                out.write(chunk)
                head += chunk
            if not plausible_audio(head, content_type):
                kind = f"is labelled {content_type}" if content_type else "has no Content-Type"
                raise DownloadError(
                    f"{url} {kind} and its first bytes are no known audio format ({head[:8]!r}). Check the enclosure URL."
                )
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    log.info("downloaded %s to %s", url, name)
    return Path(name)


def _read_local(path: Path, url: str, budget: Budget) -> bytes:
    _check_local(path, url, budget)
    # O_NOFOLLOW: the file checked is the file read, even if a link is put in its place meanwhile.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        return fh.read(budget.max_bytes + 1)[: budget.max_bytes]


def _check_local(path: Path, url: str, budget: Budget) -> None:
    if not path.is_file():
        raise DownloadError(f"Local file {url} does not exist (or is not a file). Check the path.")
    size = path.stat().st_size
    if size > budget.max_bytes:
        raise DownloadError(_too_big(url, budget, f"it has {size:,} bytes"))


def _too_big(url: str, budget: Budget, why: str) -> str:
    return (f"{url} is over the {budget.max_bytes:,}-byte limit ({why}); it is skipped. "
            f"To take bigger files, raise {budget.bytes_setting}.")


def _too_slow(url: str, seconds: float, budget: Budget, received: int | None = None) -> str:
    got = f" (it had sent {received:,} bytes)" if received is not None else ""
    return (f"Gave up on {url} after {seconds:g} s in all{got}: the server sends too slowly. It is tried again on the "
            f"next run; if this server is always this slow, raise {budget.seconds_setting}.")

