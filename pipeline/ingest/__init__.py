"""Ingestion: feeds to episodes to timed transcripts (publisher transcripts, else speech recognition).

Entry points: `ingest` and `watch` (the whole run), `add_feeds`/`import_opml` (the catalogue),
`parse_feed`, `parse_transcript` and `transcribe` (one item at a time; `SpeechContext` is what the feed
says about an episode, for speech recognition). `distributed.connect` returns the executor that makes `ingest`
run each episode's work as a Ray task.
"""

from .catalog import add_feeds, import_opml, list_episodes, list_feeds, retry_failed, status
from .feeds import parse_feed
from .run import IngestReport, ingest, watch
from .speech_context import SpeechContext
from .transcribe import transcribe
from .transcripts import parse_transcript

__all__ = [
    "IngestReport", "SpeechContext", "add_feeds", "import_opml", "ingest", "list_episodes", "list_feeds", "parse_feed",
    "parse_transcript", "retry_failed", "status", "transcribe", "watch",
]
