"""Offline extractive insights: pick, score and trim 1-3 real transcript sentences per insight.

Sentences are scored by `features`, passages of 1-3 sentences of one speaker turn are built from them (none
opening on a pronoun mid-turn), the best are re-weighed by closeness to the title (`relevance`), and the best
non-overlapping ones become insights, the best of each topical section (`sections`) first. Passages in a sponsor
read, self-promotion, an intro or outro, or garbled speech (`gates`) are never insights; the best few are kept as
flagged insights instead.
"""

from __future__ import annotations

import logging
from itertools import pairwise

from ..config import Settings, get_settings
from ..models import ExtractedInsight, Transcript
from .features import BACKREF, QUESTION, SOFT_BACKREF, Scored, lead_penalty, score_sentences, tail_penalty, unresolved_cost
from .gates import GARBLED, EpisodeContext, gate_reasons, sentence_confidences
from .lengths import MAX_SENTENCES, MAX_WORDS, length_problem
from .relevance import title_relevance
from .sections import chapter_sections, sections
from .sentences import split_sentences
from .textquality import is_garbled

log = logging.getLogger(__name__)

EXTRACTOR = "extractive"
MIN_WORDS = 18  # of a whole insight, after cleaning (14 -> 18: 26 -> 28 of 114)
SWEET_WORDS = (25, 65)
MIN_SCORE = 0.45  # below this a passage is not worth a reader's time, however few insights that leaves
MAX_OVERLAP = 0.4  # content-word Jaccard above which two insights say the same thing
TITLE_CANDIDATES = 40  # the best passages re-weighed by closeness to the title (25: 12/30 found; 40 and 80: 13/30)
TITLE_WEIGHT = 0.25  # recall@10 on the dev references: 12/30 without, 13/30 at 0.2 and 0.3, 12/30 at 0.1 and 0.5
MAX_FLAGGED = 3  # gated passages kept (flagged, never picked) so an editor sees what was held back and why


def extract_extractive(transcript: Transcript, *, settings: Settings | None = None,
                       context: EpisodeContext | None = None) -> list[ExtractedInsight]:
    """The best self-contained 1-3 sentence passages, trimmed of disfluencies, in time order; gated ones flagged."""
    settings = settings or get_settings()
    context = context or EpisodeContext()
    sentences = split_sentences(transcript)
    if not sentences:
        return []
    scored = score_sentences(sentences, gate_reasons(sentences, context), context)
    confidences, typical = sentence_confidences(sentences, transcript.segments)
    wanted = settings.insights_wanted(transcript.duration_s)
    section_of = chapter_sections([s.sentence.start_s for s in scored], context.chapters) or \
        sections([s.content for s in scored], wanted)
    candidates = _toward_title(scored, [p for p in sorted(_passages(scored), key=lambda p: (-p[0], p[1]))
                                        if p[0] >= MIN_SCORE], context)
    chosen: list[tuple[float, list[Scored], str | None]] = []
    taken: set[int] = set()
    covered: set[int] = set()  # sections that already gave an insight
    for spread in (True, False):  # first the best passage of each topical section, then the best of the rest
        for score, start, stop in candidates:
            kept = sum(gate is None for *_, gate in chosen)
            if kept >= wanted and len(chosen) - kept >= MAX_FLAGGED:
                break
            if spread and section_of[start] in covered:
                continue
            passage = scored[start:stop]
            content = _content(passage)
            if set(range(start - 1, stop + 1)) & taken or any(_jaccard(content, _content(p)) > MAX_OVERLAP
                                                               for _, p, _ in chosen):
                continue
            gate = passage[0].gate or (GARBLED if is_garbled(" ".join(s.sentence.spoken for s in passage),
                                                              _mean(confidences[start:stop]), typical) else None)
            if (gate is None and kept >= wanted) or (gate is not None and len(chosen) - kept >= MAX_FLAGGED):
                continue
            if gate is None:
                covered.add(section_of[start])
            taken.update(range(start, stop))
            chosen.append((score, passage, gate))
    kept = sum(gate is None for *_, gate in chosen)
    flagged = len(chosen) - kept
    log.info("Extracted %d of %d wanted insights (and %d flagged) from %d sentences", kept, wanted, flagged,
             len(sentences))
    chosen.sort(key=lambda c: c[1][0].sentence.start_s)
    return [_insight(score, passage, gate) for score, passage, gate in chosen]


def _toward_title(scored: list[Scored], candidates: list[tuple[float, int, int]],
                  context: EpisodeContext) -> list[tuple[float, int, int]]:
    """Candidates, best first, the best of them moved up or down by how close they are to the title and description."""
    head = candidates[:TITLE_CANDIDATES]
    about = title_relevance(context.about(),
                            [" ".join(s.clean for s in scored[start:stop]) for _, start, stop in head])
    moved = [(_clamp(score + TITLE_WEIGHT * float(r)), start, stop) for (score, start, stop), r in zip(head, about, strict=True)]
    return sorted(moved + candidates[len(head):], key=lambda p: (-p[0], p[1]))


def _insight(score: float, passage: list[Scored], gate: str | None) -> ExtractedInsight:
    return ExtractedInsight(
        text=" ".join(s.clean for s in passage),
        quote=" ".join(" ".join(s.sentence.text for s in passage).split()),
        start_s=passage[0].sentence.start_s,
        end_s=passage[-1].sentence.end_s,
        score=round(score, 4),
        extractor=EXTRACTOR,
        flags=(gate,) if gate else (),
    )


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _content(passage: list[Scored]) -> frozenset[str]:
    return frozenset().union(*(s.content for s in passage))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / max(len(a | b), 1)


def _passages(scored: list[Scored]) -> list[tuple[float, int, int]]:
    """Every run of 1-3 adjacent sentences of one speaker turn and one gate that could stand alone, with its score."""
    out = []
    for start, first in enumerate(scored):
        if first.words < 4 or _leans_back(scored, start):
            continue
        lead = lead_penalty(scored, start)
        for stop in range(start + 1, min(start + MAX_SENTENCES, len(scored)) + 1):
            last = scored[stop - 1]
            if (last.gate != first.gate or last.sentence.turn != first.sentence.turn
                    or (stop - 1 > start and last.sentence.is_headline)):  # a headline starts the next story
                break
            passage = scored[start:stop]
            words = sum(s.words for s in passage)
            text, quote = " ".join(s.clean for s in passage), " ".join(s.sentence.text for s in passage)
            if words > MAX_WORDS or length_problem(text, quote):
                break
            if (words < MIN_WORDS or QUESTION.search(last.sentence.text.rstrip()) or last.clean.endswith(":")
                    or _breaks_quotation(quote)):  # a question, or a lead-in ("According to Stephan:") with no quote
                continue
            info = sum(s.info * s.words for s in passage) / words + _cohesion(passage)
            penalty = max(s.penalty for s in passage) + 0.5 * sum(s.penalty for s in passage[1:]) / len(passage)
            score = (info * _length_factor(words) - penalty - lead - tail_penalty(scored, stop)
                     - unresolved_cost(text))
            out.append((_clamp(score), start, stop))
    return out


def _leans_back(scored: list[Scored], start: int) -> bool:
    """True when a sentence opens on a pronoun or connective ("It", "That's why"), or is an item of a list, while its
    speaker was already talking: a passage starting there would not name its subject, so only the passages that take
    in what came before it count."""
    first = scored[start]
    return (start > 0 and scored[start - 1].sentence.turn == first.sentence.turn
            and bool(BACKREF.match(first.clean) or SOFT_BACKREF.match(first.clean) or first.sentence.is_list_item))


def _breaks_quotation(text: str) -> bool:
    """True when a passage starts or ends inside a quotation (an odd number of straight or curly double quotes)."""
    return (text.count('"') + text.count("“") + text.count("”")) % 2 == 1


def _cohesion(passage: list[Scored]) -> float:
    """A small bonus when the sentences of a passage keep to one subject (they share content words)."""
    shared = sum(len(a.content & b.content) for a, b in pairwise(passage))
    return min(0.04 * shared, 0.1)


def _length_factor(words: int) -> float:
    low, high = SWEET_WORDS
    if words < low:
        return 0.75 + 0.25 * (words - MIN_WORDS) / (low - MIN_WORDS)
    if words > high:
        return 1.0 - 0.3 * (words - high) / (MAX_WORDS - high)
    return 1.0


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)
