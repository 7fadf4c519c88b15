"""The extract stage: a transcript in, 1-3 sentence insights out, by an LLM or by the offline extractive method."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings, get_settings
from ..errors import ExtractionError
from ..models import ExtractedInsight, Transcript
from .extractive import extract_extractive
from .llm import NOT_CONFIGURED, extract_llm

log = logging.getLogger(__name__)

EXTRACTORS = ("auto", "llm", "extractive")
EXTRACTIVE = "extractive"


@dataclass(frozen=True)
class Extraction:
    """The insights of one transcript, which extractor made them, why the LLM was not used, and the tokens spent."""

    insights: list[ExtractedInsight]
    extractor: str  # "extractive" or the LLM model name
    fallback_reason: str | None = None
    tokens: int = 0  # LLM prompt plus completion tokens (from the cache: what the first run cost)
    cache_hit: bool = False


def extract(
    transcript: Transcript,
    *,
    extractor: str = "auto",
    settings: Settings | None = None,
    cache_dir: Path | None = None,
) -> Extraction:
    """Extract insights: "llm", "extractive", or "auto" (the LLM when one is configured); LLM failures fall back.

    Example: `python -m pipeline extract --extractor llm`
    """
    if extractor not in EXTRACTORS:
        raise ExtractionError(f"Unknown extractor {extractor!r}. Use one of: {', '.join(EXTRACTORS)}.")
    settings = settings or get_settings()
    if extractor == "llm" and not settings.llm_configured:
        raise ExtractionError(NOT_CONFIGURED)
    if extractor == EXTRACTIVE or not settings.llm_configured:
        return Extraction(extract_extractive(transcript, settings=settings), EXTRACTIVE)
    try:
        result = extract_llm(transcript, settings=settings, cache_dir=cache_dir)
    except ExtractionError as exc:
        return _fallback(transcript, settings, str(exc))
    if not result.insights and transcript.text.strip():
        return _fallback(transcript, settings, (
            f"The model {settings.podbrief_llm_model!r} gave no insight whose quote is in the transcript "
            f"({result.dropped} dropped); used the extractive method instead."), result.tokens)
    return Extraction(result.insights, settings.podbrief_llm_model, None, result.tokens, result.cache_hit)


def _fallback(transcript: Transcript, settings: Settings, reason: str, tokens: int = 0) -> Extraction:
    log.warning("LLM extraction failed, falling back to the extractive method: %s", reason)
    return Extraction(extract_extractive(transcript, settings=settings), EXTRACTIVE, reason, tokens)
