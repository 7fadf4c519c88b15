"""Parse publisher transcripts (WebVTT, SRT, Podcast-Index or a recogniser's JSON, Podcasting-2.0 HTML, plain text)."""

from __future__ import annotations

import codecs
import html
import json
import logging
import re
from bisect import bisect_right
from dataclasses import replace
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from ..errors import TranscriptError
from ..models import CAPTION_TURN, MARKDOWN_BLOCK, Segment, Transcript, TranscriptLink
from .json_transcripts import MAX_TIME_S, json_pieces

log = logging.getLogger(__name__)

TRANSCRIPT_PREFERENCE = ("vtt", "srt", "json", "html", "text")
CONTENT_TYPES = {
    "text/vtt": "vtt",
    "text/webvtt": "vtt",
    "application/x-subrip": "srt",
    "application/srt": "srt",
    "application/x-srt": "srt",
    "text/srt": "srt",
    "application/json": "json",
    "text/json": "json",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
}
SUFFIXES = {".vtt": "vtt", ".webvtt": "vtt", ".srt": "srt", ".json": "json", ".html": "html", ".htm": "html", ".txt": "text"}
FORMAT_NAMES = {"vtt": "WebVTT", "srt": "SRT", "json": "JSON transcript", "html": "HTML", "text": "plain text"}
WORDS_PER_SECOND = 150 / 60  # typical speaking rate, used where a transcript has no times
MAX_MERGED_WORDS = 60  # word-level JSON is merged into sentences, but never past this many words
MAX_MERGE_GAP_S = 2.0  # a pause this long ends a merged segment
MAX_CONTROL_RATIO = 0.01  # more control characters than this means binary junk
NEXT_STEP = "Use another transcript link, or transcribe the episode from its audio."

_TIMING = re.compile(r"^\s*(\S+)\s*-->\s*(\S+)")
_TIMESTAMP = re.compile(r"^(?:(\d{1,4}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$")
_TAG = re.compile(r"<[^>]*>")
_ASS_TAG = re.compile(r"\{\\[^}]*\}")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_NAME = r"[A-Z][\w'.\-]*(?: [A-Z][\w'.\-]*){0,2}"  # "Jane Doe", "SPEAKER_00"
# a numbered role, as recognisers and transcription services write it ("Speaker 1", "Guest 2"; not "Step 1")
_LABEL = r"(?i:speaker|guest|host|co-?host|interviewer|interviewee|caller|participant|person|voice|reporter)[ _]?\d{1,3}"
# "Jane Doe:", "Speaker 1:", "[SPEAKER_00]:", and a bare "[Speaker 2]" (not "[Music]": a stage direction)
_SPEAKER_PREFIX = re.compile(rf"^(?:({_LABEL}|{_NAME}):|\[({_LABEL}|{_NAME})\]:|\[({_LABEL})\])(?:\s+|$)")
# words that often start a sentence with a colon but are not speakers (also in capitals: "SO:" in broadcast captions)
_NOT_SPEAKER = re.compile(
    r"(?:Notes?|Update|Warning|Example|Edit|Source|Summary|Tip|Transcript|So|Well|Now|And|But|Yes|No|Okay|Here|This"
    r"|That|The|Also|Remember|Bonus)$", re.IGNORECASE
)
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# a time stamp heading a plain-text paragraph: "[00:01:15] ...", "(01:15) ...", "00:01:15 - ..."
_LEADING_STAMP = re.compile(rf"^[\[(]?({_CLOCK})[\])]?(?!\s*-->)(?:\s*[-–—|]\s+|\s+)")  # not a cue's timing
# a heading line of a speaker and a stamp: "Jane Doe (01:15):" (Rev), "Jane Doe  1:15" (Otter), "[01:15] Jane Doe:"
_TEXT_HEADING = re.compile(rf"^(?:({_LABEL}|{_NAME})\s*[\[(]?({_CLOCK})[\])]?:?|[\[(]?({_CLOCK})[\])]?\s*({_LABEL}|{_NAME}):?)$")
MIN_TEXT_STAMPS = 2  # a plain-text transcript's stamps count when at least this many paragraphs (and half) carry one
_JSON_START = re.compile(r'\{|\[\s*[{\["\]]')
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?%])")
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]?$")
# YouTube's captions open a cue's text on a line of one space: in WebVTT that line is text, not the blank line ending it
# (in SRT, where files use such lines as blank ones, it stays one)
_PADDED_CUE = re.compile(r"(-->[^\n]*)\n[ \t]+(?=\n[^\s])")
ROLL_UP_SHARE = 0.3  # of the cues with text: captions where this many repeat the line before them roll up
_LETTERS = re.compile(r"[^\W\d_]{2,}")  # words of two or more letters
SHOUTED_SHARE = 0.95  # of those words, in capitals only: a transcript in capitals (broadcast captions), not acronyms
MIN_SHOUTED_WORDS = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_DIALOGUE_DASH = re.compile(r"^[-‐–]\s*(?=[^\W\d_]|[\"'“‘(\[])")  # "-Why?": subtitles' new speaker; not "--", "-5"
_EMPTY_QUOTE = re.compile(r"^(?:>\s*)+$")  # "> " between two quoted paragraphs


def transcript_format(link_type: str | None, url: str) -> str | None:
    """Name the format ("vtt", "srt", "json", "html", "text") a MIME type or URL suffix stands for, else None."""
    by_type = CONTENT_TYPES.get((link_type or "").split(";")[0].strip().lower())
    by_name = SUFFIXES.get(PurePosixPath(urlsplit(url or "").path).suffix.lower())
    # text/plain is what many servers say for any text file, so a telling suffix wins over it
    if by_type == "text" and by_name:
        return by_name
    return by_type or by_name


def pick_transcript(links: list[TranscriptLink]) -> list[TranscriptLink]:
    """Order a feed item's transcript links best first: VTT, SRT, JSON, HTML, plain text, then unknown types."""

    def rank(link: TranscriptLink) -> int:
        fmt = transcript_format(link.type, link.url)
        return TRANSCRIPT_PREFERENCE.index(fmt) if fmt else len(TRANSCRIPT_PREFERENCE)

    return sorted(links, key=rank)


def parse_transcript(
    data: bytes | str,
    *,
    fmt: str | None = None,
    filename: str | None = None,
    content_type: str | None = None,
) -> Transcript:
    """Parse a publisher transcript into timed segments; the format comes from fmt, content_type, filename or content."""
    label = f"Transcript {filename}" if filename else "The transcript"
    text = _decode(data, label)
    if fmt is not None and fmt not in FORMAT_NAMES:
        raise TranscriptError(f"Unknown transcript format {fmt!r}; use one of {', '.join(FORMAT_NAMES)}.")
    chosen = fmt or transcript_format(content_type, filename or "")
    if fmt is None and chosen in (None, "text"):
        chosen = _sniff(text)
    parser = {"vtt": _parse_cues, "srt": _parse_cues, "json": _parse_json, "html": _parse_html, "text": _parse_text}
    try:
        segments, language = parser[chosen](text, chosen)
    except _Malformed as exc:
        raise TranscriptError(f"{label} is not valid {FORMAT_NAMES[chosen]}: {exc}. {NEXT_STEP}") from exc
    if not segments:
        raise TranscriptError(f"{label} has no {FORMAT_NAMES[chosen]} segments with text. {NEXT_STEP}")
    log.debug("parsed %s as %s: %d segments", label, chosen, len(segments))
    return Transcript(segments=_unshouted(segments), source="publisher", format=chosen, language=language)


def _unshouted(segments: list[Segment]) -> list[Segment]:
    """Captions in capitals only (broadcast TV's) in lower case, as lower-casing recognisers write them: in capitals
    every word reads as a name and every "THE" as a misheard fragment. Speaker names in capitals get them only at the
    start of each word ("JANE DOE" reads "Jane Doe"). Other transcripts are returned as they are."""
    words = [w for s in segments for w in _LETTERS.findall(s.text)]
    if len(words) < MIN_SHOUTED_WORDS or sum(w.isupper() for w in words) < SHOUTED_SHARE * len(words):
        return segments
    return [replace(s, text=s.text.lower(), speaker=s.speaker.title() if s.speaker and s.speaker.isupper() else s.speaker)
            for s in segments]


class _Malformed(ValueError):
    """Raised inside the format parsers; parse_transcript turns it into a TranscriptError."""


def _decode(data: bytes | str, label: str) -> str:
    if isinstance(data, bytes):
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16", errors="replace")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
    else:
        text = data.removeprefix("\ufeff")
    if not text.strip():
        raise TranscriptError(f"{label} is empty. {NEXT_STEP}")
    if "\x00" in text or len(_CONTROL.findall(text)) > MAX_CONTROL_RATIO * len(text):
        raise TranscriptError(f"{label} looks like binary data, not a transcript. {NEXT_STEP}")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _sniff(text: str) -> str:
    head = text.lstrip()[:2000]
    if head.startswith("WEBVTT"):
        return "vtt"
    if _JSON_START.match(head):  # an object, or an array of objects, lists or strings; not "[00:00:15] Jane: ..."
        return "json"
    if re.search(r"^\s*\d[\d:.,]*\s*-->\s*\d", head, re.MULTILINE):
        return "srt"
    if re.search(r"<(?:html|body|p|cite|time|div)\b", head, re.IGNORECASE):
        return "html"
    return "text"


def _normalise(text: str) -> str:
    return _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split()))


def _clean(text: str) -> str:
    return _normalise(html.unescape(_ASS_TAG.sub("", _TAG.sub(" ", text))))


def _split_speaker(text: str) -> tuple[str | None, str]:
    """Split a short leading "Name:" (or "[Speaker 2]") off a cue; longer or common-word prefixes stay text."""
    match = _SPEAKER_PREFIX.match(text)
    name = _speaker(next((g for g in match.groups() if g), None)) if match else None
    return (name, text[match.end() :]) if match and name else (None, text)


def _speaker(name: str | None) -> str | None:
    """The name, unless it is a common word that leads in with a colon ("Note", "SO") or too long for a name."""
    return None if not name or _NOT_SPEAKER.match(name) or len(name) > 32 else name


def _seconds(stamp: str, where: str) -> float:
    match = _TIMESTAMP.match(stamp)
    if not match:
        raise _Malformed(f"timestamp {stamp!r} {where} is not HH:MM:SS.mmm")
    hours, minutes, seconds, fraction = match.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + float(f"0.{fraction or 0}")
    if int(seconds) > 59 or (hours is not None and int(minutes) > 59) or total > MAX_TIME_S:
        raise _Malformed(f"timestamp {stamp!r} {where} is out of range")
    return total


def _parse_cues(text: str, fmt: str) -> tuple[list[Segment], str | None]:
    """Parse WebVTT or SRT: blank-line separated blocks of an optional id, a timing line and text."""
    blocks, language = _cue_blocks(text, fmt)
    voices = [_VOICE.search(" ".join(lines)) for _, _, lines in blocks]
    cues = [(start, end, [clean for line in lines if (clean := _clean(line))]) for start, end, lines in blocks]
    segments: list[Segment] = []
    speaker: str | None = None
    for (start, end, lines), voice in zip(_unrolled(cues), voices, strict=True):
        if voice:
            speaker = _clean(voice.group(1))
        for part, a, b in _caption_turns(lines, start, end):
            if not voice:
                turn = part.startswith(CAPTION_TURN)
                prefixed, text = _split_speaker(part.removeprefix(CAPTION_TURN).lstrip() if turn else part)
                speaker = prefixed or (None if turn else speaker)
                part = f"{CAPTION_TURN} {text}" if turn and not prefixed else text  # the marker keeps the turn
            if part:
                segments.append(Segment(start_s=a, end_s=b, text=part, speaker=speaker))
    return segments, language


def _cue_blocks(text: str, fmt: str) -> tuple[list[tuple[float, float, list[str]]], str | None]:
    """Every cue of a WebVTT or SRT text as (start, end, its text lines as written), and the WebVTT language."""
    if fmt == "vtt":
        text = _PADDED_CUE.sub(r"\1", text)
    text = re.sub(r"[ \t]+\n", "\n", text)  # other whitespace-only lines still separate blocks (sloppy SRT)
    language = None
    cues: list[tuple[float, float, list[str]]] = []
    line_no = 1
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        first_line = line_no + len(block) - len(block.lstrip("\n"))
        line_no += block.count("\n") + 2
        if not lines[0].strip():
            continue
        if lines[0].startswith("WEBVTT"):
            language = next((ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("language:")), None)
            # a sloppy file may start its first cue right under the header, without a blank line
            timed = [i for i, ln in enumerate(lines) if "-->" in ln]
            if not timed:
                continue
            first_line, lines = first_line + timed[0], lines[timed[0] :]
        if fmt == "vtt" and lines[0].split(" ")[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing_at = next((i for i, ln in enumerate(lines[:2]) if "-->" in ln), None)
        if timing_at is None:
            log.debug("skipping a block without a timing line at line %d", first_line)
            continue
        where = f"on line {first_line + timing_at}"
        match = _TIMING.match(lines[timing_at])
        if not match:
            raise _Malformed(f"timing line {lines[timing_at]!r} {where} is not 'start --> end'")
        start, end = _seconds(match.group(1), where), _seconds(match.group(2), where)
        if end < start:
            raise _Malformed(f"the cue {where} ends ({match.group(2)}) before it starts ({match.group(1)})")
        cues.append((start, end, lines[timing_at + 1 :]))
    return cues, language


def _unrolled(cues: list[tuple[float, float, list[str]]]) -> list[tuple[float, float, list[str]]]:
    """The cues (their lines cleaned), each without the lines it repeats from the cue before when the captions roll
    up; a cue that only repeats is left with no line.

    Roll-up captions (YouTube's automatic ones, broadcast TV's) show the previous line again above the new words,
    often with a 10 ms cue between that holds the finished line alone, so read cue by cue every line would be read
    two or three times. A transcript where fewer than ROLL_UP_SHARE of the cues repeat so is taken as written: there
    a cue that opens on the line the last one ended on ("Yeah." twice) is speech.
    """
    repeats = [_repeated(before[2], after[2]) for before, after in zip([(0.0, 0.0, []), *cues], cues, strict=False)]
    if sum(n > 0 for n in repeats) < ROLL_UP_SHARE * sum(bool(lines) for _, _, lines in cues):
        return cues
    return [(start, end, lines[n:]) for (start, end, lines), n in zip(cues, repeats, strict=True)]


def _repeated(before: list[str], after: list[str]) -> int:
    """How many of a cue's first lines (`after`, cleaned) repeat the last lines of the cue before it (`before`)."""
    return next((n for n in range(min(len(before), len(after)), 0, -1) if after[:n] == before[-n:]), 0)


def _answered(before: str, line: str) -> str:
    """A subtitle line as a ">>" turn when a dash opens it on a new sentence after a line that ended one, else as it is."""
    dash = _DIALOGUE_DASH.match(line)
    rest = line[dash.end():] if dash else ""
    if dash and rest.lstrip("\"'“‘([")[:1].isupper() and before.rstrip("\"'”’)]").endswith((".", "?", "!", "…")):
        return f"{CAPTION_TURN} {rest}"
    return line


def _caption_turns(lines: list[str], start: float, end: float) -> list[tuple[str, float, float]]:
    """A cue's cleaned lines, cut where a line opens on broadcast captions' ">>" (a new speaker; not a ">>" inside a
    line, as in "x >> 2"), each part with its share of the cue's time.

    Subtitles put two speakers in one cue with a dash before each ("-Why that order?" / "-Because ..."): a cue of two
    or more lines that all open so is read as one ">>" turn a line. Some put the dash before the second speaker
    only ("Why that order?" / "-Because ..."): a later line opening on a dash and a capital, after a line that ends a
    sentence, is a turn too; one that goes on from an unfinished line ("the tool" / "- the one I said") is text.
    A publisher's Markdown puts a list or a quotation of several paragraphs in one cue: each quoted line ("> ...") and
    list item ("2. ...") is a part of its own, so the sentences of one never run into the next.
    """
    if len(lines) > 1 and all(_DIALOGUE_DASH.match(line) for line in lines):
        lines = [f"{CAPTION_TURN} {_DIALOGUE_DASH.sub('', line, count=1)}" for line in lines]
    else:
        lines = lines[:1] + [_answered(before, line) for before, line in pairwise(lines)]
    groups: list[list[str]] = []
    for line in lines:
        if _EMPTY_QUOTE.match(line):
            continue
        if not groups or line.startswith(CAPTION_TURN) or MARKDOWN_BLOCK.match(line):
            groups.append([])
        groups[-1].append(line)
    parts = [_normalise(" ".join(group)) for group in groups]  # "word\n, more" reads "word, more"
    step, clock, out = (end - start) / max(sum(len(p) for p in parts), 1), start, []
    for part in parts:
        out.append((part, round(clock, 3), round(clock + step * len(part), 3)))
        clock += step * len(part)
    return out


def _parse_json(text: str, fmt: str) -> tuple[list[Segment], str | None]:
    """Parse Podcast-Index JSON or a recogniser's (`json_transcripts`), merging word-level pieces of one speaker into
    sentences."""
    try:
        pieces, language = json_pieces(json.loads(text))
    except json.JSONDecodeError as exc:
        raise _Malformed(f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
    except RecursionError as exc:
        raise _Malformed("its JSON is nested too deeply to be a transcript") from exc
    except ValueError as exc:
        raise _Malformed(str(exc)) from exc
    return _merge_words([replace(p, text=body, speaker=_clean(p.speaker) if p.speaker else None)
                         for p in pieces if (body := _clean(p.text))]), language


def _merge_words(pieces: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    current: list[Segment] = []
    for piece in pieces:
        if current and (
            piece.speaker != current[-1].speaker
            or piece.start_s - current[-1].end_s > MAX_MERGE_GAP_S
            or _ENDS_SENTENCE.search(current[-1].text)
            or sum(len(p.text.split()) for p in current) >= MAX_MERGED_WORDS
        ):
            merged.append(_join(current))
            current = []
        current.append(piece)
    if current:
        merged.append(_join(current))
    return merged


def _join(pieces: list[Segment]) -> Segment:
    """One segment of consecutive pieces; its confidence the mean of theirs (None when they carry none)."""
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(p.text for p in pieces))
    known = [p.confidence for p in pieces if p.confidence is not None]
    return Segment(pieces[0].start_s, max(p.end_s for p in pieces), text, pieces[0].speaker,
                   round(sum(known) / len(known), 4) if known else None)


class _HTMLTranscript(HTMLParser):
    """Collect (speaker, time text, paragraph text) from Podcasting-2.0 HTML: <cite>, <time>, <p>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[str | None, str | None, str]] = []
        self._speaker: str | None = None
        self._time: str | None = None
        self._open: str | None = None
        self._buffer: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in ("cite", "time", "p"):
            self._flush()
            self._open = tag

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag == self._open:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._open and not self._skip:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()

    def _flush(self) -> None:
        value = " ".join("".join(self._buffer).split())
        if self._open == "cite":
            self._speaker = value.rstrip(":").strip() or None
        elif self._open == "time":
            self._time = value
        elif self._open == "p" and value:
            self.paragraphs.append((self._speaker, self._time, value))
            self._time = None
        self._open, self._buffer = None, []


def _parse_html(text: str, fmt: str) -> tuple[list[Segment], str | None]:
    """Parse <cite>Speaker:</cite><time>M:SS</time><p>text</p>; a paragraph ends where the next starts."""
    parser = _HTMLTranscript()
    parser.feed(text)
    parser.close()
    if not any(time for _, time, _ in parser.paragraphs):
        log.warning("HTML transcript has no <time> stamps; estimating times from word counts")
    return _place([(speaker, _seconds(stamp, f"in <time> before paragraph {i + 1}") if stamp else None, _normalise(body))
                   for i, (speaker, stamp, body) in enumerate(parser.paragraphs)]), None


def _parse_text(text: str, fmt: str) -> tuple[list[Segment], str | None]:
    """Parse plain text: paragraphs (or lines) with optional "Name:" speakers, and the time stamps transcription tools
    put at their head ("[00:01:15] Jane Doe: ...", "Jane Doe (01:15):" or "Jane Doe  1:15" over the paragraph) when
    most paragraphs carry one; other times are estimated at ~150 wpm."""
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    if len(blocks) == 1:
        blocks = [ln for ln in text.split("\n") if ln.strip()]
    blocks = [html.unescape(block) for block in blocks]
    headed = [_stamped(block) for block in blocks]
    stamps = sum(at is not None for _, at, _ in headed)
    if stamps < MIN_TEXT_STAMPS or stamps * 2 < len(blocks):  # a time of day opening a line is no time stamp
        headed = [(None, None, block) for block in blocks]
    paragraphs: list[tuple[str | None, float | None, str]] = []
    speaker, pending = None, None
    for named, at, block in headed:
        prefixed, body = _split_speaker(_normalise(block))
        speaker = named or prefixed or speaker
        if not body:  # a heading line of its own, over the next paragraph
            pending = at if at is not None else pending
            continue
        paragraphs.append((speaker, at if at is not None else pending, body))
        pending = None
    return _place(paragraphs), None


def _stamped(block: str) -> tuple[str | None, float | None, str]:
    """(speaker, seconds, rest) of a paragraph headed by a time stamp: a heading line with a name and a stamp, or a
    stamp opening the paragraph; (None, None, block) otherwise."""
    first, _, rest = block.strip().partition("\n")
    if heading := _TEXT_HEADING.match(" ".join(first.split())):
        name, stamp = heading.group(1) or heading.group(4), heading.group(2) or heading.group(3)
        return _speaker(name), _text_seconds(stamp), rest
    if lead := _LEADING_STAMP.match(block.strip()):
        return None, _text_seconds(lead.group(1)), block.strip()[lead.end():]
    return None, None, block


def _text_seconds(stamp: str) -> float | None:
    try:
        return _seconds(stamp, "")
    except _Malformed:  # "12:75": no time stamp
        return None


def _place(paragraphs: list[tuple[str | None, float | None, str]]) -> list[Segment]:
    """Segments of (speaker, start or None, text): each starts at its stamp, or where the one before ends, and ends
    where the next stamp starts, or after its words at ~150 wpm (a stamp earlier than the time reached is ignored)."""
    stamps = [(i, start) for i, (_, start, _) in enumerate(paragraphs) if start is not None]
    segments: list[Segment] = []
    clock = 0.0
    for i, (speaker, start, body) in enumerate(paragraphs):
        begin = start if start is not None and start >= (segments[-1].start_s if segments else 0.0) else clock
        spoken = begin + len(body.split()) / WORDS_PER_SECOND
        later = (stamps[k][1] for k in range(bisect_right(stamps, i, key=lambda stamp: stamp[0]), len(stamps)))
        after = next((s for s in later if s > begin), None)
        if after is None:
            end = spoken
        else:  # until the next stamp, or, when the next paragraph has none, after its words if that comes first
            end = after if paragraphs[i + 1][1] is not None else min(after, spoken)
        segments.append(Segment(round(begin, 3), round(end, 3), body, speaker))
        clock = end
    return segments
