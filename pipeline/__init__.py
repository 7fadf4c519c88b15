"""Podbrief pipeline: feeds to transcripts to insights to the daily brief.

One function per stage (`ingest`, `transcribe`, `extract`, `embed`, `topics`, `rank`, `brief`, ...), the
dataclasses passed between them, and the errors; faster-whisper and openai still load only when used.
"""

from .briefs import assemble_brief, get_brief, latest_brief_date, list_briefs, publish_brief, save_brief
from .catalog import add_feeds, import_opml, list_episodes, list_feeds, retry_failed, status
from .config import Settings, get_settings
from .embed import embed
from .errors import (
    DownloadError,
    EmbeddingError,
    ExtractionError,
    FeedError,
    LockedError,
    PodbriefError,
    StoreError,
    TranscriptError,
    TranscriptionError,
)
from .export import brief, export_markdown
from .extract import Extraction, extract
from .feeds import parse_feed
from .ingest import IngestReport, ingest, watch
from .models import ExtractedInsight, FeedItem, ParsedFeed, Segment, Transcript, TranscriptLink
from .rank import Brief, Pick, rank
from .reembed import reembed
from .related import related
from .search import insight_detail, search
from .store import Store, open_store
from .topics import topics
from .transcribe import transcribe
from .transcripts import parse_transcript
from .weights import Weights

__all__ = [
    "Brief", "DownloadError", "EmbeddingError", "ExtractedInsight", "Extraction", "ExtractionError", "FeedError",
    "FeedItem", "IngestReport", "LockedError", "ParsedFeed", "Pick", "PodbriefError", "Segment", "Settings", "Store",
    "StoreError", "Transcript", "TranscriptError", "TranscriptLink", "TranscriptionError", "Weights", "add_feeds",
    "assemble_brief", "brief", "embed", "export_markdown", "extract", "get_brief", "get_settings", "import_opml",
    "ingest", "insight_detail", "latest_brief_date", "list_briefs", "list_episodes", "list_feeds", "open_store",
    "parse_feed", "parse_transcript", "publish_brief", "rank", "reembed", "related", "retry_failed", "save_brief",
    "search", "status", "topics", "transcribe", "watch",
]
