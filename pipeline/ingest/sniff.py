"""Is it audio? The declared media type of an enclosure and the first bytes of its body."""

from __future__ import annotations

from ..errors import DownloadError

AUDIO_TYPE_PREFIXES = ("audio/", "video/")
AUDIO_TYPES = {"application/ogg", "application/mp4"}
# Types that can be audio under a generic label; the first bytes decide.
SNIFFED_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/x-octet-stream", "application/binary"}


def media_type(header: str | None) -> str:
    """The bare media type of a Content-Type header, lower case ("" when there is none)."""
    return (header or "").split(";")[0].strip().lower()


def check_declared_type(content_type: str, url: str) -> None:
    """Raise DownloadError when the server says the enclosure is something other than audio (a web page, say)."""
    if content_type.startswith(AUDIO_TYPE_PREFIXES) or content_type in AUDIO_TYPES or content_type in SNIFFED_TYPES:
        return
    raise DownloadError(f"{url} is {content_type}, not audio (probably a web page or an error page). Check the enclosure URL.")


def plausible_audio(head: bytes, content_type: str) -> bool:
    """True when a body declared as content_type, starting with head, may be audio (generic types must look like it)."""
    return content_type not in SNIFFED_TYPES or looks_like_audio(head)


def looks_like_audio(head: bytes) -> bool:
    """True when the first bytes open a container or stream that ASR can decode."""
    return (
        head.startswith((b"ID3", b"fLaC", b"OggS", b"\x1a\x45\xdf\xa3", b"#!AMR", b"caff"))
        or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)  # MPEG audio / ADTS frame sync
        or (head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "))
        or (head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"))
        or head[4:8] == b"ftyp"  # MP4 / M4A / MOV
    )
