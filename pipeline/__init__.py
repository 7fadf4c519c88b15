"""Podbrief pipeline: feeds to transcripts to insights to the daily brief.

The stages live in subpackages, in the order data flows through them: `ingest` (feeds, transcripts,
speech recognition), `insights` (extraction and embeddings), `engine` (topics, ranking, briefs, search,
export). This module re-exports their entry points, the dataclasses passed between them and the errors;
faster-whisper and openai still load only when used.
"""

from .config import Settings, get_settings
from .engine import (
    Brief,
    Pick,
    Weights,
    assemble_brief,
    brief,
    brief_history,
    export_markdown,
    get_brief,
    insight_detail,
    latest_brief_date,
    list_briefs,
    publish_brief,
    published_brief,
    rank,
    related,
    save_brief,
    search,
    topics,
)
from .errors import (
    DownloadError,
    EmbeddingError,
    ExtractionError,
    FeedError,
    LockedError,
    PodbriefError,
    StaleBriefError,
    StoreError,
    TranscriptError,
    TranscriptionError,
)
from .ingest import (
    IngestReport,
    add_feeds,
    import_opml,
    ingest,
    list_episodes,
    list_feeds,
    parse_feed,
    parse_transcript,
    retry_failed,
    status,
    transcribe,
    watch,
)
from .insights import Extraction, embed, extract, reembed
from .models import ExtractedInsight, FeedItem, ParsedFeed, Segment, Transcript, TranscriptLink
from .store import Store, open_store

__all__ = [
    "Brief", "DownloadError", "EmbeddingError", "ExtractedInsight", "Extraction", "ExtractionError", "FeedError",
    "FeedItem", "IngestReport", "LockedError", "ParsedFeed", "Pick", "PodbriefError", "Segment", "Settings",
    "StaleBriefError", "Store", "StoreError", "Transcript", "TranscriptError", "TranscriptLink", "TranscriptionError",
    "Weights", "add_feeds", "assemble_brief", "brief", "brief_history", "embed", "export_markdown", "extract",
    "get_brief", "get_settings", "import_opml", "ingest", "insight_detail", "latest_brief_date", "list_briefs",
    "list_episodes", "list_feeds", "open_store", "parse_feed", "parse_transcript", "publish_brief", "published_brief",
    "rank", "reembed", "related", "retry_failed", "save_brief", "search", "status", "topics", "transcribe", "watch",
]
