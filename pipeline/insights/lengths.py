"""How long an insight may be, counted as a reader counts it on the page: 1-3 sentences of at most 80 words, resting
on a quote of at most 100 (the issue's bar). One rule for every extractor.

A reader sees a sentence end at every ".", "!" or "?" before a space: "etc. Useful stuff!" is two sentences, and
"Windows is a platform. iOS as a platform." too, though the transcript's sentence splitter keeps each one (it will
not cut before a lower-case word or after an abbreviation). A list's "-" takes a word's room.
"""

from __future__ import annotations

import re

MAX_SENTENCES = 3
MAX_WORDS = 80  # of the takeaway
MAX_QUOTE_WORDS = 100  # of its verbatim quote, disfluencies and all
READ_END = re.compile(r"[.!?](?=\s|$)")


def length_problem(text: str, quote: str) -> str | None:
    """Why a takeaway (or the quote it rests on) is too long to send, as a reader counts it; None when it is not."""
    if len(READ_END.findall(text)) > MAX_SENTENCES:
        return f"is more than {MAX_SENTENCES} sentences"
    if len(text.split()) > MAX_WORDS:
        return f"is more than {MAX_WORDS} words"
    if len(quote.split()) > MAX_QUOTE_WORDS:
        return f"quotes more than {MAX_QUOTE_WORDS} words"
    return None
