"""Checks on what an LLM wrote: no links, no calls to action, no claims the transcript does not make near its quote.

The model's headline and takeaway are its words, not the speaker's, so they are held to the quote's neighbourhood:
enough of their content words must occur in the transcript around the quote (or in the speakers' names and the
episode's title). A takeaway that fails is rejected with the reason, never stored.
"""

from __future__ import annotations

import re

from .features import STOPWORDS
from .gates import AD_STRONG, DOMAIN

NEIGHBOURHOOD_WORDS = 200  # transcript words either side of the quote that a takeaway may draw on
# Share of a takeaway's content words found in that neighbourhood. Measured on the 30 editor-written reference
# insights of ../shared/data/reference_insights_dev.json against the same neighbourhood: the lowest is 0.38, the
# 5th percentile 0.47 (editors paraphrase and add names); a takeaway under 0.35 says things the speaker did not.
MIN_GROUNDED = 0.35
STEM_CHARS = 5  # "monetizing" and "monetization" share "monet": paraphrase changes endings
LINK = re.compile(rf"https?://|www\.|{DOMAIN}", re.I)
CALL_TO_ACTION = re.compile(r"\b(?:subscribe|sign up|click|buy|order now|download|follow (?:us|them|him|her)|"
                            r"check (?:it|them|us|out)|visit|go to|head (?:over )?to|join|register|don't miss|"
                            r"try it|get started|learn more|listen now|tune in|leave a review|rate (?:and|the))\b", re.I)
WORD = re.compile(r"[a-z0-9]+")


def stems(text: str) -> set[str]:
    """Content-word stems of a text: lower case, no stopwords, cut to STEM_CHARS characters."""
    return {w[:STEM_CHARS] for w in WORD.findall(text.lower()) if len(w) > 2 and w not in STOPWORDS}


def grounded_share(written: str, neighbourhood: str) -> float:
    """Share of the written text's content words that occur in the neighbourhood."""
    words = stems(written)
    return len(words & stems(neighbourhood)) / len(words) if words else 1.0


def rejection(headline: str, text: str, quote: str, neighbourhood: str) -> str | None:
    """Why an LLM-written insight may not be stored (a link, a call to action, an ungrounded claim), or None."""
    written = f"{headline} {text}"
    if LINK.search(written) and not LINK.search(quote):
        return "adds a link"
    if (CALL_TO_ACTION.search(written) or AD_STRONG.search(written)) and not CALL_TO_ACTION.search(quote):
        return "adds a call to action"
    if grounded_share(written, neighbourhood) < MIN_GROUNDED:
        return "says what the transcript does not say near its quote"
    return None
