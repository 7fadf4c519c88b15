"""Train the sentence-boundary model for unpunctuated transcripts (pipeline/insights/boundaries.json).

Usage: python bench/train_boundaries.py [--test PATH ...]
The punctuated transcripts of bench/labelled/ (24 Changelog episodes) are split into sentences the way the extractor
splits them, their punctuation taken out as unpunctuated ASR text has none, and a logistic regression learns from the
words around each gap whether a sentence ended there. The held-out transcripts (`--test`, by default the bundled
samples: five of the editor's dev episodes, Buzzsprout and Today in Focus) report precision and recall of the
boundaries at p >= 0.5; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.ingest.transcripts import parse_transcript  # noqa: E402
from pipeline.insights.boundaries import MODEL, gap_features, normalise  # noqa: E402
from pipeline.insights.sentences import split_sentences  # noqa: E402
from pipeline.models import Segment, Transcript  # noqa: E402

LABELLED = ROOT / "bench" / "labelled"
SAMPLES = ROOT / "data" / "samples" / "transcripts"
MIN_COUNT = 3  # a feature seen fewer times than this in training is left out of the model
MIN_WEIGHT = 0.02  # and so is one whose weight is smaller than this
SPEAKER = re.compile(r"^\*\*(.+?):\*\*\s*", re.S)
STAMP = re.compile(r"\\?\[\d+:\d+(?::\d+)?\\?\]\s*")


def changelog_transcript(path: Path) -> Transcript:
    """A Changelog Markdown transcript ("**Name:** text" paragraphs with [HH:MM:SS] stamps) as one segment a paragraph."""
    segments, speaker = [], None
    for n, para in enumerate(p.strip() for p in path.read_text(encoding="utf-8").split("\n\n")):
        if match := SPEAKER.match(para):
            speaker, para = match.group(1), para[match.end():]
        text = STAMP.sub("", para).replace("\\", "").replace("**", "").strip()
        if text:
            segments.append(Segment(float(n), float(n) + 1, text, speaker))
    return Transcript(segments, "publisher", "markdown")


def gaps(transcript: Transcript) -> tuple[list[list[str]], list[int]]:
    """Each gap's features and whether a sentence ended there, over the transcript with its punctuation taken out."""
    features, labels = [], []
    by_turn: dict[int, list[list[str]]] = {}
    for sentence in split_sentences(transcript):
        words = [w for w in (normalise(t) for t in sentence.text.split()) if w]
        if words:
            by_turn.setdefault(sentence.turn, []).append(words)
    for sentences in by_turn.values():
        words = [w for s in sentences for w in s]
        ends = set(np.cumsum([len(s) for s in sentences]) - 1)
        for i in range(len(words)):
            features.append(gap_features(words, i))
            labels.append(int(i in ends))
    return features, labels


def main() -> None:
    """Train on bench/labelled/, report on the held-out transcripts, write the model."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test", type=Path, nargs="*",
                        default=sorted(p for p in SAMPLES.iterdir() if p.suffix in {".vtt", ".srt", ".json"}))
    args = parser.parse_args()
    train_x, train_y = [], []
    for path in sorted(LABELLED.glob("*.md")):
        x, y = gaps(changelog_transcript(path))
        train_x += x
        train_y += y
    counts: dict[str, int] = {}
    for row in train_x:
        for f in row:
            counts[f] = counts.get(f, 0) + 1
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform([{f: 1 for f in row if counts[f] >= MIN_COUNT} for row in train_x])
    model = LogisticRegression(C=1.0, max_iter=2000).fit(matrix, train_y)
    weights = {f: round(float(w), 3) for f, w in zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True)
               if abs(w) >= MIN_WEIGHT}
    MODEL.write_text(json.dumps({"bias": round(float(model.intercept_[0]), 3), "weights": weights},
                                separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"trained on {len(train_y)} gaps ({sum(train_y)} sentence ends); {len(weights)} features kept",
          file=sys.stderr)
    from pipeline.insights.boundaries import _model, boundary_probabilities

    _model.cache_clear()
    found = predicted = actual = 0
    for path in args.test:
        x, y = gaps(parse_transcript(path.read_bytes(), filename=path.name))
        words = [row[0][2:] for row in x]  # "b=word": each gap's word before it
        hits = [p >= 0.5 for p in boundary_probabilities(words)]
        found += sum(h and t for h, t in zip(hits, y, strict=True))
        predicted += sum(hits)
        actual += sum(y)
    print(json.dumps({"gaps": len(train_y), "features": len(weights), "precision": round(found / max(predicted, 1), 3),
                      "recall": round(found / max(actual, 1), 3)}))


if __name__ == "__main__":
    main()
