"""Plain dataclasses passed between the pipeline stages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CAPTION_TURN = ">>"  # opening a segment's text: a new speaker, unnamed (broadcast captions mark a change so)
LIST_MARKER = r"(?:\d{1,2}[.)]|[*+])"  # a Markdown list item's number or bullet: "2.", "1)", "*"
# opening a line or segment: a block of a publisher's Markdown, a quoted paragraph ("> ...") or list item ("2. ...")
MARKDOWN_BLOCK = re.compile(rf"^\s*(?:>(?!>)\s*\S|{LIST_MARKER}\s+\S)")


@dataclass(frozen=True)
class Segment:
    """One timed piece of a transcript."""

    start_s: float
    end_s: float
    text: str
    speaker: str | None = None
    confidence: float | None = None  # ASR's 0-1 trust in the words (see ingest/transcribe.py); None: publisher text


@dataclass(frozen=True)
class Transcript:
    """A whole transcript: its segments and where it came from."""

    segments: list[Segment]
    source: str  # "publisher" or "asr"
    format: str  # "vtt", "srt", "json", "html", "text", "markdown" or the ASR model name
    language: str | None = None

    @property
    def duration_s(self) -> float:
        """End of the last segment, in seconds."""
        return max((s.end_s for s in self.segments), default=0.0)

    @property
    def text(self) -> str:
        """All segment text joined by spaces."""
        return " ".join(s.text for s in self.segments)


@dataclass(frozen=True)
class TranscriptLink:
    """A `<podcast:transcript>` offered by a feed item."""

    url: str
    type: str
    language: str | None = None


@dataclass(frozen=True)
class Chapter:
    """A chapter of an episode, from its `<podcast:chapters>` file: where it starts and its title."""

    start_s: float
    title: str


@dataclass
class FeedItem:
    """One episode as read from a feed, before it is stored."""

    episode_id: str
    title: str
    published: str | None  # ISO 8601 UTC, or None when the feed gives no usable date
    audio_url: str | None
    audio_type: str | None
    audio_length: int | None
    duration_s: float | None
    guid: str | None
    link: str | None
    description: str = ""
    transcripts: list[TranscriptLink] = field(default_factory=list)
    published_raw: str | None = None  # the date as the feed wrote it (published is clamped to the fetch time)
    chapters_url: str | None = None  # its `<podcast:chapters>` JSON file


@dataclass
class ParsedFeed:
    """A feed as read: its channel metadata and items."""

    title: str
    author: str
    image: str | None
    language: str | None
    link: str | None
    new_feed_url: str | None
    blocked: bool
    items: list[FeedItem]


@dataclass(frozen=True)
class ExtractedInsight:
    """One insight as an extractor produced it, before it is embedded and stored."""

    text: str
    quote: str
    start_s: float
    end_s: float
    score: float
    extractor: str
    flags: tuple[str, ...] = ()  # why it may not be picked (sponsor read, intro, ...); empty for a real insight
    headline: str = ""  # a short title, when an LLM wrote the insight
