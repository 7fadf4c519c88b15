"""Word error rate, for ASR tests and benchmarks.

Both texts are normalised the same way first, so that a correct transcript is not charged for writing
"1813" where the reference says "eighteen thirteen", or "Mr." for "mister" (the conventions differ between
corpora: LibriSpeech and LJ Speech spell everything out, Whisper writes digits).
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(st|nd|rd|th|s|%)?(?!\w)")
SPOKEN = {"mr": "mister", "mrs": "missus", "dr": "doctor", "ok": "okay", "vs": "versus"}
ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
           "twelve": "twelfth"}


def normalize_words(text: str) -> list[str]:
    """Lower-case spoken words with punctuation dropped ("Don't, Stop!" -> ["don't", "stop"]; "1813" -> eighteen thirteen)."""
    spelled = NUMBER.sub(_spell, text.lower().replace("’", "'"))
    return [SPOKEN.get(word, word) for word in WORD.findall(spelled)]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: (substitutions + deletions + insertions) / reference words, after normalize_words."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not ref:
        return float(bool(hyp))
    return word_errors(ref, hyp) / len(ref)


def word_errors(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists: substitutions + deletions + insertions."""
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i]
        for j, hyp_word in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def _spell(match: re.Match[str]) -> str:
    whole, fraction, suffix = match.group(1), match.group(2), match.group(3)
    value = int(whole.replace(",", ""))
    if not fraction and suffix in (None, "s") and len(whole) == 4 and (1100 <= value < 2000 or 2010 <= value < 2100):
        words = _year(value)
    else:
        words = _cardinal(value)
    if fraction:
        words += " point " + " ".join(ONES[int(d)] for d in fraction)
    if suffix == "%":
        words += " percent"
    elif suffix == "s":  # the 1990s
        words = words[:-1] + "ies" if words.endswith("y") else words + "s"
    elif suffix:
        words = _ordinal(words)
    return f" {words} "


def _year(value: int) -> str:
    """1813 -> "eighteen thirteen", 1900 -> "nineteen hundred", 1905 -> "nineteen oh five"."""
    high, low = divmod(value, 100)
    if low == 0:
        return f"{_cardinal(high)} hundred"
    return f"{_cardinal(high)} {'oh ' if low < 10 else ''}{_cardinal(low)}"


def _cardinal(value: int) -> str:
    if value < 20:
        return ONES[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return TENS[tens] + (f" {ONES[ones]}" if ones else "")
    for scale, name in SCALES:
        if value >= scale:
            high, rest = divmod(value, scale)
            return f"{_cardinal(high)} {name}" + (f" {_cardinal(rest)}" if rest else "")
    raise AssertionError(value)  # every value >= 100 meets a scale


def _ordinal(words: str) -> str:
    head, _, last = words.rpartition(" ")
    if last in ORDINAL:
        last = ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head} {last}".strip()
