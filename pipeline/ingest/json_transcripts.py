"""JSON transcripts: Podcast-Index JSON, and what speech recognisers write (Amazon Transcribe, Deepgram, AssemblyAI,
Whisper, whisper.cpp), as timed pieces.

A feed's JSON transcript, or a file given to `extract`, may be what a recogniser wrote rather than Podcast-Index
JSON. Each is read as segments, words or phrases with their times, speaker and 0-1 confidence (the recognisers'); the
transcript parser cleans them and joins them into sentences whose confidence, the mean of their words', the garble
gate reads.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from ..models import Segment

log = logging.getLogger(__name__)

MAX_TIME_S = 7 * 24 * 3600.0  # a time past a week into an episode is junk, not a transcript
COMPRESSION_LIMIT = 2.4  # faster-whisper's own repetition threshold: text that zips this well loops

Reader = Callable[[dict[str, Any]], tuple[list[Segment], str | None]]


def json_pieces(doc: object) -> tuple[list[Segment], str | None]:
    """The timed pieces of a parsed JSON transcript (text and speakers as written) and the language it names.
    Raises ValueError, saying what and where, for a shape it does not know or a known one with bad values."""
    if isinstance(doc, dict):
        for name, recognises, read in FORMATS:
            if recognises(doc):
                log.debug("reading %s JSON", name)
                return read(doc)
    found = ", ".join(sorted(doc)) if isinstance(doc, dict) else type(doc).__name__
    raise ValueError(f"expected an object with a 'segments' list (or a recogniser's JSON: {RECOGNISERS}), found {found}")


def whisper_confidence(word_probabilities: list[float], no_speech_prob: float, compression_ratio: float) -> float:
    """0-1 trust in a Whisper segment's words: their mean probability, discounted for likely non-speech and loops."""
    trust = sum(word_probabilities) / len(word_probabilities) * (1.0 - no_speech_prob)
    if compression_ratio > COMPRESSION_LIMIT:
        trust *= COMPRESSION_LIMIT / compression_ratio
    return round(trust, 3)


def _amazon(doc: dict[str, Any]) -> tuple[list[Segment], str | None]:
    """Amazon Transcribe: `results.items` are words and punctuation marks; speakers are on the items or, in older
    output, in `results.speaker_labels.segments`."""
    results = doc["results"]
    labels = _dict(results.get("speaker_labels") or {}, "results.speaker_labels")
    speaker_at = {str(item.get("start_time")): segment.get("speaker_label")
                  for segment in _dicts(labels.get("segments"), "speaker segment", "results.speaker_labels.segments")
                  for item in _dicts(segment.get("items"), "speaker segment item", "a speaker segment's items")}
    names: dict[str, str] = {}
    pieces: list[Segment] = []
    for i, item in enumerate(_dicts(results["items"], "item", "results.items")):
        best = _list(item.get("alternatives"), f"item {i}'s alternatives")
        if not best:
            continue
        text = str(_dict(best[0], f"item {i}'s first alternative").get("content") or "")
        if item.get("type") == "punctuation":
            if pieces:
                pieces[-1] = replace(pieces[-1], text=pieces[-1].text + text)
            continue
        start, end = _times(item.get("start_time"), item.get("end_time"), f"item {i}")
        label = item.get("speaker_label") or speaker_at.get(str(item.get("start_time")))
        speaker = _numbered(names, label) if label else (pieces[-1].speaker if pieces else None)
        pieces.append(Segment(start, end, text, speaker, _confidence(best[0].get("confidence"))))
    return pieces, _language(results.get("language_code"))


def _deepgram(doc: dict[str, Any]) -> tuple[list[Segment], str | None]:
    """Deepgram: the words of the first channel's best alternative, punctuated when `punctuate` was on."""
    channels = _list(doc["results"]["channels"], "results.channels")
    channel = _dict(channels[0], "results.channels[0]") if channels else {}
    alternatives = _list(channel.get("alternatives"), "the channel's alternatives")
    words = _dict(alternatives[0], "the first alternative").get("words") if alternatives else []
    names: dict[str, str] = {}
    pieces = [Segment(*_times(w.get("start"), w.get("end"), f"word {i}"),
                      str(w.get("punctuated_word") or w.get("word") or ""),
                      _numbered(names, w.get("speaker")), _confidence(w.get("confidence")))
              for i, w in enumerate(_dicts(words, "word", "the words"))]
    return pieces, _language(channel.get("detected_language"))


def _assemblyai(doc: dict[str, Any]) -> tuple[list[Segment], str | None]:
    """AssemblyAI: `words` with times in milliseconds and speakers as letters ("A", "B")."""
    pieces = [Segment(*_times(_ms(w.get("start")), _ms(w.get("end")), f"word {i}"), str(w.get("text") or ""),
                      f"Speaker {w['speaker']}" if w.get("speaker") else None, _confidence(w.get("confidence")))
              for i, w in enumerate(_dicts(doc["words"], "word", "words"))]
    return pieces, _language(doc.get("language_code"))


def _whisper(doc: dict[str, Any]) -> tuple[list[Segment], str | None]:
    """Whisper's JSON (openai-whisper, faster-whisper, WhisperX): phrase segments, with word probabilities or the
    decoder's average log-probability, and a speaker where WhisperX assigned one."""
    pieces = []
    for i, raw in enumerate(_dicts(doc["segments"], "segment", "segments")):
        probabilities = [p for w in _list(raw.get("words"), f"segment {i}'s words") if isinstance(w, dict)
                         and (p := _confidence(w.get("probability", w.get("score")))) is not None]
        logprob = _number(raw.get("avg_logprob"))
        if not probabilities and logprob is not None:
            probabilities = [math.exp(min(logprob, 0.0))]
        trust = whisper_confidence(probabilities, _number(raw.get("no_speech_prob")) or 0.0,
                                   _number(raw.get("compression_ratio")) or 0.0) if probabilities else None
        speaker = raw.get("speaker")
        pieces.append(Segment(*_times(raw.get("start"), raw.get("end"), f"segment {i}"), str(raw.get("text") or ""),
                              str(speaker) if speaker else None, trust))
    return pieces, _language(doc.get("language"))


def _whisper_cpp(doc: dict[str, Any]) -> tuple[list[Segment], str | None]:
    """whisper.cpp's JSON (`-oj`, `-ojf`): `transcription` entries timed by millisecond `offsets`; the full form's
    tokens carry probabilities (`p`), its special tokens ("[_BEG_]") excepted."""
    pieces = []
    for i, raw in enumerate(_dicts(doc["transcription"], "transcription entry", "transcription")):
        offsets = _dict(raw.get("offsets"), f"transcription entry {i}'s offsets")
        tokens = [p for t in _list(raw.get("tokens"), f"transcription entry {i}'s tokens")
                  if isinstance(t, dict) and not str(t.get("text", "")).startswith("[_")
                  and (p := _confidence(t.get("p"))) is not None]
        pieces.append(Segment(*_times(_ms(offsets.get("from")), _ms(offsets.get("to")), f"transcription entry {i}"),
                              str(raw.get("text") or ""), None, round(sum(tokens) / len(tokens), 3) if tokens else None))
    result = doc.get("result")
    return pieces, _language(result.get("language") if isinstance(result, dict) else None)


def _podcast_index(doc: dict[str, Any]) -> tuple[list[Segment], str | None]:
    """Podcast-Index JSON: `segments` of `startTime`, `endTime`, `body` and an optional `speaker`."""
    pieces = [Segment(*_times(raw.get("startTime"), raw.get("endTime"), f"segment {i}", ("startTime", "endTime")),
                      str(raw.get("body") or ""), str(raw["speaker"]) if raw.get("speaker") else None)
              for i, raw in enumerate(_dicts(doc["segments"], "segment", "segments"))]
    return pieces, _language(doc.get("language"))


def _is_amazon(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("results"), dict) and "items" in doc["results"]


def _is_deepgram(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("results"), dict) and "channels" in doc["results"]


def _is_assemblyai(doc: dict[str, Any]) -> bool:
    words = doc.get("words")
    return isinstance(words, list) and "segments" not in doc and all(isinstance(w, dict) and "text" in w
                                                                     for w in words[:1])


def _is_whisper(doc: dict[str, Any]) -> bool:
    segments = doc.get("segments")
    return isinstance(segments, list) and bool(segments) and isinstance(segments[0], dict) and "start" in segments[0]


def _is_whisper_cpp(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("transcription"), list)


def _is_podcast_index(doc: dict[str, Any]) -> bool:
    return isinstance(doc.get("segments"), list)  # tried last: Whisper's JSON has `segments` too


RECOGNISER_FORMATS: list[tuple[str, Callable[[dict[str, Any]], bool], Reader]] = [
    ("Amazon Transcribe", _is_amazon, _amazon),
    ("Deepgram", _is_deepgram, _deepgram),
    ("AssemblyAI", _is_assemblyai, _assemblyai),
    ("Whisper", _is_whisper, _whisper),
    ("whisper.cpp", _is_whisper_cpp, _whisper_cpp),
]
RECOGNISERS = ", ".join(name for name, *_ in RECOGNISER_FORMATS)
FORMATS = [*RECOGNISER_FORMATS, ("Podcast-Index", _is_podcast_index, _podcast_index)]


def _numbered(names: dict[str, str], label: object) -> str | None:
    """"Speaker 1", "Speaker 2", ... in the order the recogniser's labels ("spk_0", 0) first appear."""
    if label is None or label == "":
        return None
    return names.setdefault(str(label), f"Speaker {len(names) + 1}")


def _times(start: object, end: object, where: str, keys: tuple[str, str] = ("start", "end")) -> tuple[float, float]:
    """Start and end seconds, checked: numbers, in order, within a week (`keys`: what the format calls them)."""
    a, b = _number(start), _number(end)
    if a is None or b is None:
        raise ValueError(f"{where} lacks a numeric start and end time")
    if b < a or a < 0 or b > MAX_TIME_S:
        raise ValueError(f"{where} has {keys[0]} {a} and {keys[1]} {b}")
    return a, b


def _number(value: object) -> float | None:
    """A finite float from a number or a numeric string (Amazon writes "5.24"), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _ms(value: object) -> float | None:
    number = _number(value)
    return None if number is None else number / 1000


def _confidence(value: object) -> float | None:
    number = _number(value)
    return None if number is None else min(max(number, 0.0), 1.0)


def _language(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: object, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{what} is {type(value).__name__}, not a list")
    return value


def _dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is {type(value).__name__}, not an object")
    return value


def _dicts(values: object, what: str, field: str) -> Iterable[dict[str, Any]]:
    """The objects of the list at `field`, each named "`what` i" in an error."""
    return (_dict(v, f"{what} {i}") for i, v in enumerate(_list(values, field)))
