"""Where sentences end in text without punctuation (some ASR output, such as captions): a small learned model.

Each gap between two words gets the probability that a sentence ends there, from the words around it ("... to
production | so we ...", "... the | ..."): a logistic regression over word and word-pair features, trained by
`bench/train_boundaries.py` on punctuated transcripts with their punctuation taken out, and stored as the weights of
its features in `boundaries.json` (the words are lower-cased and stripped of punctuation, as such text is written).
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from pathlib import Path

MODEL = Path(__file__).with_name("boundaries.json")
Model = tuple[float, dict[str, float]]  # the bias, and the weight of each feature
_STRIP = re.compile(r"[^\w'’-]+")  # what is left of a word once its punctuation is taken out


def normalise(word: str) -> str:
    """A word as unpunctuated ASR text writes it: lower case, no punctuation but apostrophes and hyphens."""
    return _STRIP.sub("", word.lower()).replace("’", "'")


def gap_features(words: list[str], i: int) -> list[str]:
    """The features of the gap after words[i] (words already normalised): the two words either side and the pairs."""
    before, after = words[i], words[i + 1] if i + 1 < len(words) else "</s>"
    earlier, later = words[i - 1] if i else "<s>", words[i + 2] if i + 2 < len(words) else "</s>"
    return [f"b={before}", f"a={after}", f"bb={earlier}", f"aa={later}", f"ba={before}|{after}",
            f"bbb={earlier}|{before}", f"aaa={after}|{later}"]


@cache
def _model() -> Model:
    data = json.loads(MODEL.read_text(encoding="utf-8"))
    return float(data["bias"]), data["weights"]


def boundary_probabilities(words: list[str], model: Model | None = None) -> list[float]:
    """Per word, the probability that a sentence ends right after it (words as written; normalised here), by `model`
    or else the bundled one."""
    bias, weights = model or _model()
    plain = [normalise(w) for w in words]
    out = []
    for i in range(len(plain)):
        z = bias + sum(weights.get(f, 0.0) for f in gap_features(plain, i))
        out.append(1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0))))
    return out
