"""What a feed says about an episode, turned into hints for speech recognition.

Whisper decodes each 30-second window after a prompt; words in it (the show's name, the guest's, product
names) become likelier spellings. The prompt is the titles plus the description's names and terms, not the
whole description: long prompts of sentences make Whisper echo them into silence and music. Even so, a
prompt can make Whisper end a window early and drop speech, so it is used only when PODBRIEF_ASR_HOTWORDS
is on; the feed's language is always used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HOTWORD_CHARS = 400  # about 90 tokens, well inside the 223 that faster-whisper keeps
URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+\.\w+")
SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\s+[-–—|]\s+")
# A name or term: a run of capitalised words, an acronym, or a word with inner capitals or digits ("macOS", "K8s").
TERM = re.compile(r"\b(?:[A-Z][\w'’.-]*[A-Za-z0-9](?:\s+[A-Z][\w'’.-]*[A-Za-z0-9])*|[a-z]+[A-Z0-9][\w-]*)")
LISTED = re.compile(r"\s*(?:,|&|and\b)")  # "Johnny, Kent and Christian": an opening word that starts a list of names
STARTERS = {"I", "A", "An", "The", "This", "That", "We", "You", "It", "In", "On", "And", "But", "Our", "Join", "Today"}


@dataclass(frozen=True)
class SpeechContext:
    """The feed's words about one episode that guide speech recognition: its show, title, description and language
    tag (`insights.gates.EpisodeContext` is what extraction reads of the same feed)."""

    show: str = ""
    title: str = ""
    description: str = ""
    language: str | None = None  # as the feed gives it, e.g. "en-us"

    @classmethod
    def of(cls, feed: dict, episode: dict) -> SpeechContext:
        """The context of a stored episode and its feed (rows of the episodes and feeds tables)."""
        return cls(feed.get("title") or "", episode.get("title") or "", episode.get("description") or "",
                   feed.get("language"))


def hotwords(context: SpeechContext) -> str | None:
    """The show and episode titles, then the names and terms of the description, within the prompt budget."""
    parts = [p.strip() for p in (context.show, context.title) if p and p.strip()]
    seen = {w.lower() for p in parts for w in re.findall(r"[\w'’-]+", p)}
    for term in _terms(URL.sub(" ", context.description or "")):
        if any(w.lower() not in seen for w in term.split()):
            parts.append(term)
            seen.update(w.lower() for w in term.split())
    text = ". ".join(parts)
    if len(text) > MAX_HOTWORD_CHARS:
        text = text[:MAX_HOTWORD_CHARS].rsplit(" ", 1)[0]
    return text or None


def _terms(text: str) -> list[str]:
    """Names and terms in order; a capitalised word opening a sentence counts only when it opens a list of names."""
    found = []
    for sentence in SENTENCE.split(text):
        for match in TERM.finditer(sentence):
            term = match.group()
            opening = not sentence[:match.start()].strip(" \"'“‘([")
            if opening and " " not in term and (term in STARTERS or not LISTED.match(sentence, match.end())):
                continue
            found.append(term)
    return found


def language_code(context: SpeechContext | None) -> str | None:
    """Whisper's code for the feed's language ("en-US" -> "en"), or None to let Whisper detect it."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = ((context.language if context else None) or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in _LANGUAGE_CODES else None
