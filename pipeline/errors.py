"""Errors Podbrief raises; every message says what failed, on which item, and what to do next."""


class PodbriefError(Exception):
    """Base class of every error Podbrief raises on purpose."""


class FeedError(PodbriefError):
    """A feed could not be fetched or parsed."""


class DownloadError(PodbriefError):
    """An enclosure or transcript could not be downloaded or is not what it claims to be."""


class RefusedURLError(DownloadError):
    """A URL was not fetched because the rule on what feeds may reach refuses it (local files, private addresses)."""


class TranscriptError(PodbriefError):
    """A publisher transcript could not be parsed."""


class TranscriptionError(PodbriefError):
    """Audio could not be transcribed."""


class ExtractionError(PodbriefError):
    """Insights could not be extracted from a transcript."""


class EmbeddingError(PodbriefError):
    """Text could not be embedded, or vectors of another model or dimension were mixed."""


class StoreError(PodbriefError):
    """The LanceDB store could not be read or written."""


class LockedError(PodbriefError):
    """Another ingestion run holds the lock."""


class StaleBriefError(PodbriefError):
    """A brief was saved or published by someone else since it was read; reload before changing it."""

    def __init__(self, message: str, *, date: str, version: int | None, editor: str | None,
                 changed_at: str | None) -> None:
        super().__init__(message)
        self.date, self.version, self.editor, self.changed_at = date, version, editor, changed_at


class DeliveryError(PodbriefError):
    """A reader could not be added or changed, or a brief could not be composed or delivered."""
