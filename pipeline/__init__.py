"""Podbrief pipeline: feeds to transcripts to insights to the daily brief.

The stages live in subpackages, in the order data flows through them: `ingest` (feeds, transcripts,
speech recognition), `insights` (extraction and embeddings), `engine` (topics, ranking, briefs, search,
export), `delivery` (readers, personal briefs, sending by email, chat and Atom). This module re-exports
their entry points, the dataclasses passed between them and the errors; faster-whisper and openai still
load only when used.
"""

from .config import Settings, get_settings
from .delivery import (
    PersonalBrief,
    Reader,
    SendReport,
    add_reader,
    import_readers,
    list_readers,
    next_brief,
    pause_reader,
    personal_brief,
    public_feed,
    reader_feed,
    record_vote,
    remove_reader,
    resume_reader,
    send,
    send_test,
    update_reader,
)
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
    DeliveryError,
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
    "Brief", "DeliveryError", "DownloadError", "EmbeddingError", "ExtractedInsight", "Extraction", "ExtractionError",
    "FeedError", "FeedItem", "IngestReport", "LockedError", "ParsedFeed", "PersonalBrief", "Pick", "PodbriefError",
    "Reader", "Segment", "SendReport", "Settings", "StaleBriefError", "Store", "StoreError", "Transcript",
    "TranscriptError", "TranscriptLink", "TranscriptionError", "Weights", "add_feeds", "add_reader", "assemble_brief",
    "brief", "brief_history", "embed", "export_markdown", "extract", "get_brief", "get_settings", "import_opml",
    "import_readers", "ingest", "insight_detail", "latest_brief_date", "list_briefs", "list_episodes", "list_feeds",
    "list_readers", "next_brief", "open_store", "parse_feed", "parse_transcript", "pause_reader", "personal_brief",
    "public_feed", "publish_brief", "published_brief", "rank", "reader_feed", "record_vote", "reembed", "related",
    "remove_reader", "resume_reader", "retry_failed", "save_brief", "search", "send", "send_test", "status", "topics",
    "transcribe", "update_reader", "watch",
]
