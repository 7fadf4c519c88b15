"""Train the sentence-boundary model for unpunctuated transcripts (pipeline/insights/boundaries.json).

Usage: python bench/train_boundaries.py [--test PATH ...]
The punctuated transcripts of bench/labelled/ (24 Changelog episodes, converted to WebVTT as
data/samples/build_samples.py converts the bundled ones) are split into sentences the way the extractor splits them,
their punctuation is taken out as unpunctuated ASR text has none, and a logistic regression learns from the words
around each gap whether a sentence ended there. The held-out transcripts (`--test`, by default the bundled samples:
five of the editor's dev episodes, Buzzsprout and Today in Focus) report precision and recall of the
boundaries at p >= 0.5; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "data" / "samples")]

from build_samples import markdown_to_vtt  # noqa: E402  (how the bundled samples were made of the same Markdown)

from pipeline.ingest.transcripts import parse_transcript  # noqa: E402
from pipeline.insights.boundaries import MODEL, boundary_probabilities, gap_features, normalise  # noqa: E402
from pipeline.insights.sentences import split_sentences  # noqa: E402
from pipeline.models import Transcript  # noqa: E402

LABELLED = ROOT / "bench" / "labelled"
SAMPLES = ROOT / "data" / "samples" / "transcripts"
MIN_COUNT = 3  # a feature seen fewer times than this in training is left out of the model
MIN_WEIGHT = 0.02  # and so is one whose weight is smaller than this


def turns(transcript: Transcript) -> list[tuple[list[str], set[int]]]:
    """Per speaker turn, its words with the punctuation taken out, and the indices of the words that end a sentence."""
    out: dict[int, tuple[list[str], set[int]]] = {}
    for sentence in split_sentences(transcript):
        words = [w for w in (normalise(t) for t in sentence.text.split()) if w]
        if words:
            turn, ends = out.setdefault(sentence.turn, ([], set()))
            turn += words
            ends.add(len(turn) - 1)
    return list(out.values())


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
        vtt = markdown_to_vtt(path.read_text(encoding="utf-8"))
        for words, ends in turns(parse_transcript(vtt.encode(), filename=f"{path.stem}.vtt")):
            train_x += [gap_features(words, i) for i in range(len(words))]
            train_y += [int(i in ends) for i in range(len(words))]
    counts: dict[str, int] = {}
    for row in train_x:
        for f in row:
            counts[f] = counts.get(f, 0) + 1
    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform([{f: 1 for f in row if counts[f] >= MIN_COUNT} for row in train_x])
    model = LogisticRegression(C=1.0, max_iter=2000).fit(matrix, train_y)
    weights = {f: round(float(w), 3) for f, w in zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True)
               if abs(w) >= MIN_WEIGHT}
    bias = round(float(model.intercept_[0]), 3)
    MODEL.write_text(json.dumps({"bias": bias, "weights": weights}, separators=(",", ":"), sort_keys=True) + "\n",
                     encoding="utf-8")
    print(f"trained on {len(train_y)} gaps ({sum(train_y)} sentence ends); {len(weights)} features kept",
          file=sys.stderr)
    found = predicted = actual = 0
    for path in args.test:
        for words, ends in turns(parse_transcript(path.read_bytes(), filename=path.name)):
            ends = ends - {len(words) - 1}  # a turn's end is given; the model is for the sentence ends inside it
            hits = {i for i, p in enumerate(boundary_probabilities(words, (bias, weights))[:-1]) if p >= 0.5}
            found += len(hits & ends)
            predicted += len(hits)
            actual += len(ends)
    print(json.dumps({"gaps": len(train_y), "features": len(weights), "precision": round(found / max(predicted, 1), 3),
                      "recall": round(found / max(actual, 1), 3)}))


if __name__ == "__main__":
    main()
