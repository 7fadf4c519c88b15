"""All network I/O: fetch a feed or transcript into memory, stream an audio enclosure to disk.

The only module that talks to httpx. Both functions also take plain local paths and
file:// URLs, so the offline samples go through the same code as real feeds. `timeout` is
httpx's: the seconds allowed to connect and between two reads, not for the whole body.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from ..config import get_settings
from ..errors import DownloadError

log = logging.getLogger(__name__)

USER_AGENT = "Podbrief/0.1 (podcast insight reader)"
MAX_FETCH_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 10
PERMANENT_REDIRECTS = {301, 308}
CHUNK_BYTES = 64 * 1024
SNIFF_BYTES = 16
AUDIO_TYPE_PREFIXES = ("audio/", "video/")
AUDIO_TYPES = {"application/ogg", "application/mp4"}
# Types that can be audio under a generic label; the first bytes decide.
SNIFFED_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/x-octet-stream", "application/binary"}
AUDIO_SUFFIXES = {".mp3", ".m4a", ".mp4", ".m4v", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wav", ".webm", ".mkv", ".mka"}


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
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = MAX_FETCH_BYTES,
    timeout: float | None = None,
) -> FetchResult:
    """Fetch a URL, file:// URL or local path into memory, conditionally when etag/last_modified are given."""
    path = _local_path(url)
    if path is not None:
        _check_local(path, url, max_bytes)
        return FetchResult(url, 200, path.read_bytes(), mimetypes.guess_type(path.name)[0], None, None)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    with _open(url, headers, timeout) as (response, permanent_url):
        content = b"" if response.status_code == 304 else b"".join(_read_capped(response, url, max_bytes))
        return FetchResult(
            url=str(response.url),
            status=response.status_code,
            content=content,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag") or (etag if response.status_code == 304 else None),
            last_modified=response.headers.get("Last-Modified") or (last_modified if response.status_code == 304 else None),
            permanent_url=permanent_url,
        )


def download(url: str, dest_dir: Path, *, max_bytes: int, timeout: float | None = None) -> Path:
    """Stream an audio enclosure (URL, file:// URL or local path) to a new temp file in dest_dir and return its path.

    Local files are copied too, so the caller may always delete the result after ASR.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = _local_path(url)
    if path is not None:
        _check_local(path, url, max_bytes)
        with path.open("rb") as src:
            return _save_audio(iter(lambda: src.read(CHUNK_BYTES), b""), dest_dir, url, path.suffix, "")
    with _open(url, {}, timeout) as (response, _):
        if response.status_code != 200:
            raise DownloadError(f"Downloading {url} got HTTP {response.status_code} instead of the audio file.")
        content_type = _media_type(response.headers.get("Content-Type"))
        _check_declared_type(content_type, url)
        suffix = Path(urlsplit(str(response.url)).path).suffix or mimetypes.guess_extension(content_type) or ""
        return _save_audio(_read_capped(response, url, max_bytes), dest_dir, url, suffix, content_type)


@contextlib.contextmanager
def _open(url: str, headers: dict[str, str], timeout: float | None) -> Iterator[tuple[httpx.Response, str | None]]:
    """Send a GET, follow redirects by hand (to spot loops and permanent moves) and yield the open streaming response."""
    timeout = get_settings().podbrief_http_timeout if timeout is None else timeout
    seen = [url]
    permanent_url = None
    moved_for_good = True  # only an unbroken run of 301/308 from the start makes a new address official
    try:
        with httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=timeout) as client:
            request = client.build_request("GET", url, headers=headers)
            while True:
                response = client.send(request, stream=True, follow_redirects=False)
                try:
                    if response.next_request is None:
                        _check_status(response, url)
                        yield response, permanent_url
                        return
                    request = response.next_request
                    target = str(request.url)
                    moved_for_good = moved_for_good and response.status_code in PERMANENT_REDIRECTS
                    if moved_for_good:
                        permanent_url = target
                    if target in seen:
                        raise DownloadError(f"Redirect loop fetching {url}: {' -> '.join([*seen, target])}. Fix the URL.")
                    seen.append(target)
                    if len(seen) > MAX_REDIRECTS + 1:
                        raise DownloadError(f"Too many redirects (over {MAX_REDIRECTS}) fetching {url}. Fix the URL.")
                finally:
                    response.close()
    except httpx.TimeoutException as exc:
        raise DownloadError(
            f"Timed out after {timeout:g} s fetching {url}. Try again later or raise PODBRIEF_HTTP_TIMEOUT."
        ) from exc
    except httpx.ConnectError as exc:
        raise DownloadError(
            f"Could not connect to fetch {url} (connection refused or unknown host: {exc}). Check the URL."
        ) from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise DownloadError(f"Cannot fetch {url!r}: {exc}. Use an http(s) URL, a file:// URL or a local path.") from exc
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


def _read_capped(response: httpx.Response, url: str, max_bytes: int) -> Iterator[bytes]:
    """Yield the body in chunks, raising as soon as it grows past max_bytes (Content-Length or not)."""
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise DownloadError(_too_big(url, max_bytes, f"it declares {int(length):,} bytes"))
    total = 0
    for chunk in response.iter_bytes(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise DownloadError(_too_big(url, max_bytes, "the body kept coming"))
        yield chunk


def _save_audio(chunks: Iterator[bytes], dest_dir: Path, url: str, suffix: str, content_type: str) -> Path:
    """Write chunks to a temp file after checking that the first bytes look like audio; remove it on any failure."""
    suffix = suffix.lower() if suffix.lower() in AUDIO_SUFFIXES else ".audio"
    fd, name = tempfile.mkstemp(prefix="podbrief-", suffix=suffix, dir=dest_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            head = _write_head(chunks, out)
            if content_type in SNIFFED_TYPES and not _looks_like_audio(head):
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


def _write_head(chunks: Iterator[bytes], out: BinaryIO) -> bytes:
    """Write chunks until at least SNIFF_BYTES are out (or the body ends); return them."""
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = next(chunks, b"")
        if not chunk:
            break
        out.write(chunk)
        head += chunk
    return head


def _looks_like_audio(head: bytes) -> bool:
    """True when the first bytes open a container or stream that ASR can decode."""
    return (
        head.startswith((b"ID3", b"fLaC", b"OggS", b"\x1a\x45\xdf\xa3", b"#!AMR", b"caff"))
        or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # MPEG audio / ADTS frame sync
        or (head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "))
        or (head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"))
        or head[4:8] == b"ftyp"  # MP4 / M4A / MOV
    )


def _check_declared_type(content_type: str, url: str) -> None:
    if content_type.startswith(AUDIO_TYPE_PREFIXES) or content_type in AUDIO_TYPES or content_type in SNIFFED_TYPES:
        return
    raise DownloadError(f"{url} is {content_type}, not audio (probably a web page or an error page). Check the enclosure URL.")


def _media_type(header: str | None) -> str:
    return (header or "").split(";")[0].strip().lower()


def _too_big(url: str, max_bytes: int, why: str) -> str:
    return f"{url} is over the {max_bytes:,}-byte limit ({why}); skip it or raise the limit (PODBRIEF_MAX_AUDIO_MB for audio)."


def _local_path(url: str) -> Path | None:
    """The filesystem path for file:// URLs and plain paths; None for anything with another scheme."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(url2pathname(unquote(parts.path)))
    if parts.scheme == "":
        return Path(url).expanduser()
    return None


def _check_local(path: Path, url: str, max_bytes: int) -> None:
    if not path.is_file():
        raise DownloadError(f"Local file {url} does not exist (or is not a file). Check the path.")
    size = path.stat().st_size
    if size > max_bytes:
        raise DownloadError(_too_big(url, max_bytes, f"it has {size:,} bytes"))
