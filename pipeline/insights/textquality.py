"""How garbled a stretch of transcript reads: the signs speech recognition leaves when it mishears.

Misheard speech comes out as real-looking words in the wrong places, so no single sign is reliable; each
text feature below is a share of the words, and the garble score is their sum, calibrated on human-edited
transcripts (GARBLED_ABOVE). When the ASR reports segment confidence, a passage it was much less sure of than
usual for the episode (ERROR_RATIO) is garbled too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from .embed import _tokenizer

# Measured by bench/garble.py over the 1,907 two-sentence passages of 14+ words of the six human-edited sample
# transcripts: the 99.5th percentile of the text score is 0.11 and 7 passages exceed 0.12, so the text alone flags
# only what reads worse than almost anything a person typed. Misheard stretches of real ASR output are mostly real
# words ("No people on bits of standing water, glass bits of us Best us off the roof") and score 0.04-0.09, which
# is why ASR confidence, when segments carry it, decides most cases.
GARBLED_ABOVE = 0.12
# In the Amazon Transcribe "Today in Focus" transcript (data/samples/transcripts/today-in-focus-cyclone-idai.json)
# the segments a reader finds garbled have 2.8-3.1 times the episode's median error rate (1 - confidence); 9 of
# its 54 segments reach 2.5.
ERROR_RATIO = 2.5
MIN_TYPICAL_ERROR = 0.01  # an engine that is 99.9% sure of everything is not held to a 0.25% error rate
SUFFIXES = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("d", ""), ("ing", ""), ("ers", ""), ("er", ""), ("ly", ""),
            ("ness", ""), ("ity", ""), ("ability", "able"), ("ations", "e"), ("ation", "e"), ("ize", ""), ("izing", ""),
            ("ized", ""), ("ant", ""), ("ic", ""), ("al", ""))
MIN_COMPOUND_PART = 3
PUNCTUATION = "\"'“”‘’()[],.;:!?-—…"
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
FUNCTION_TEXT = "a ah an and as at but by for from if in into is it of off on onto or so than that the then to up us was we with"
FUNCTION_WORDS = frozenset(FUNCTION_TEXT.split())  # never a name, so never capitalised mid-sentence


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Whole words the bundled embedder's tokenizer knows (about 21,000 common English words)."""
    return frozenset(w for w in _tokenizer().get_vocab() if w.isalpha())


def unknown_share(words: list[str]) -> float:
    """Share of lower-case words that are no English word, inflection or compound ("tryingto", "atyou")."""
    return sum(1 for w in words if w.islower() and not _known(w.replace("’", "'").split("'")[0])) / max(len(words), 1)


@lru_cache(maxsize=65536)
def _known(word: str) -> bool:
    """A word of the vocabulary, one of its inflections, or a compound of two longer words ("runtime", "roadmap")."""
    vocab = _vocabulary()
    if len(word) <= 2 or word in vocab:
        return True
    for suffix, replacement in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[:-len(suffix)] + replacement
            if stem in vocab or stem + "e" in vocab or (len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in vocab):
                return True
    # A run-together of a short word ("trying"+"to", "at"+"you") is a mishearing; two long words are a compound.
    return any(word[:i] in vocab and word[i:] in vocab for i in range(MIN_COMPOUND_PART, len(word) - MIN_COMPOUND_PART + 1))


def stutter_share(words: list[str]) -> float:
    """Share of words that repeat the word just before them ("into into", "of of"): a decoder stuck on a sound."""
    lower = [w.lower() for w in words]
    return sum(1 for a, b in pairwise(lower) if a == b) / max(len(words), 1)


def odd_capital_share(tokens: list[str]) -> float:
    """Share of function words capitalised mid-sentence ("A ll the roads", "Ah lot of love"): misheard fragments."""
    odd = sum(1 for prev, token in pairwise(tokens)
              if token[:1].isupper() and token.strip(PUNCTUATION).lower() in FUNCTION_WORDS
              and not prev.rstrip("\"'”’)").endswith((".", "?", "!", ":")))
    return odd / max(len(tokens), 1)


def garble_score(text: str) -> float:
    """0 for clean text, higher the more its words show misrecognised speech (run-together, stuttered, odd capitals)."""
    words = WORD.findall(text)
    if not words:
        return 0.0
    return round(unknown_share(words) + stutter_share(words) + odd_capital_share(text.split()), 4)


def is_garbled(text: str, confidence: float | None = None, typical_confidence: float | None = None) -> bool:
    """True when a passage reads as misrecognised speech, by its words or, when the ASR gives one, its confidence.

    Confidence is judged against the episode's own typical (median) confidence, since engines differ in scale:
    a passage the recogniser got wrong ERROR_RATIO times as often as usual is garbled.
    """
    if garble_score(text) > GARBLED_ABOVE:
        return True
    if confidence is None or typical_confidence is None:
        return False
    return 1 - confidence >= ERROR_RATIO * max(1 - typical_confidence, MIN_TYPICAL_ERROR)
