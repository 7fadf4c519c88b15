"""The extract stage: a transcript in, 1-3 sentence insights out, by an LLM or by the offline extractive method."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Settings, get_settings
from ..errors import ExtractionError
from ..models import Chapter, ExtractedInsight, Transcript
from .extractive import extract_extractive
from .gates import EpisodeContext
from .llm import NOT_CONFIGURED, extract_llm

log = logging.getLogger(__name__)

EXTRACTORS = ("auto", "llm", "extractive")
EXTRACTIVE = "extractive"
SHORT_S = 60.0  # a transcript shorter than a minute rarely holds a takeaway; say so rather than "nothing found"


@dataclass(frozen=True)
class Extraction:
    """The insights of one transcript, which extractor made them, why the LLM was not used, and the tokens spent."""

    insights: list[ExtractedInsight]
    extractor: str  # "extractive" or the LLM model name
    fallback_reason: str | None = None
    tokens: int = 0  # LLM prompt plus completion tokens (from the cache: what the first run cost)
    cache_hit: bool = False
    empty_reason: str | None = None  # why the episode gave no insight, in words for the person reading the Feeds page
    dropped_reason: str | None = None  # which LLM insights were dropped and why (a link, a call to action, ...)

    @property
    def note(self) -> str | None:
        """What to record on the episode: why it has no insight, why the LLM was not used, what it wrote that was dropped."""
        return " ".join(n for n in (self.empty_reason, self.fallback_reason, self.dropped_reason) if n) or None


def extract(
    transcript: Transcript,
    *,
    extractor: str = "auto",
    settings: Settings | None = None,
    cache_dir: Path | None = None,
    title: str = "",
    description: str = "",
    feed_title: str = "",
    chapters: list[Chapter] | None = None,
) -> Extraction:
    """Extract insights: "llm", "extractive", or "auto" (the LLM when one is configured); LLM failures fall back.

    The episode's title, description and chapters and its feed's title are context: what the episode is about, how
    it is divided, and which mentions of the show are its own promotion. Flagged insights (sponsor reads, intros,
    ...) come back too.

    Example: `python -m pipeline extract --extractor llm`
    """
    context = EpisodeContext(title, description, feed_title, tuple(chapters or ()))
    result = _extract(transcript, extractor, settings or get_settings(), cache_dir, context)
    if any(not i.flags for i in result.insights):
        return result
    return replace(result, empty_reason=empty_reason(transcript, result.insights))


def empty_reason(transcript: Transcript, insights: list[ExtractedInsight]) -> str:
    """Why a transcript gave no insight, said so the person reading it knows what happened."""
    words = len(transcript.text.split())
    if not words:
        return "The transcript has no words, so there is nothing to take an insight from."
    seconds = transcript.duration_s
    if seconds < SHORT_S:
        return (f"The transcript is {seconds:.0f} seconds long ({words} words): too short for an insight, which needs "
                "a few sentences that make a point.")
    if insights:
        reasons = Counter(flag for i in insights for flag in i.flags)
        held = ", ".join(f"{reason} ({n})" for reason, n in reasons.most_common())
        return f"Every passage that could be an insight was held back: {held}."
    return (f"No passage of the {seconds / 60:.0f}-minute transcript reads as a self-contained takeaway "
            "(statements of a few sentences that make a point), so no insight was kept.")


def _extract(transcript: Transcript, extractor: str, settings: Settings, cache_dir: Path | None,
             context: EpisodeContext) -> Extraction:
    if extractor not in EXTRACTORS:
        raise ExtractionError(f"Unknown extractor {extractor!r}. Use one of: {', '.join(EXTRACTORS)}.")
    if extractor == "llm" and not settings.llm_configured:
        raise ExtractionError(NOT_CONFIGURED)
    if extractor == EXTRACTIVE or not settings.llm_configured:
        return Extraction(extract_extractive(transcript, settings=settings, context=context), EXTRACTIVE)
    try:
        result = extract_llm(transcript, settings=settings, cache_dir=cache_dir, context=context)
    except ExtractionError as exc:
        return _fallback(transcript, settings, context, str(exc))
    if not result.insights and transcript.text.strip():
        return _fallback(transcript, settings, context, (
            f"The model {settings.podbrief_llm_model!r} gave no insight that could be kept ({_dropped(result.rejected)}); "
            "used the extractive method instead."), result.tokens)
    dropped = f"The model's other insights were dropped: {_dropped(result.rejected)}." if result.rejected else None
    return Extraction(result.insights, settings.podbrief_llm_model, None, result.tokens, result.cache_hit,
                      dropped_reason=dropped)


def _dropped(rejected: dict[str, int]) -> str:
    """'2 quote words that are not in the transcript, 1 adds a link'."""
    return ", ".join(f"{n} {why}" for why, n in sorted(rejected.items(), key=lambda r: -r[1])) or "none returned"


def _fallback(transcript: Transcript, settings: Settings, context: EpisodeContext, reason: str,
              tokens: int = 0) -> Extraction:
    log.warning("LLM extraction failed, falling back to the extractive method: %s", reason)
    return Extraction(extract_extractive(transcript, settings=settings, context=context), EXTRACTIVE, reason, tokens)
