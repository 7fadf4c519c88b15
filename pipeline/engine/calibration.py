"""Thresholds measured on labelled pairs: the cut on a similarity score that best separates yes from no.

The labelled sets live in tests/fixtures/ (related/insight_pairs.jsonl, search/query_hits.jsonl; their SOURCES.md
says how they were made); bench/calibrate.py prints the curve, and a test holds the constants to what it picks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRID_STEP = 0.01


@dataclass(frozen=True)
class Cut:
    """A threshold and how it does on the labelled pairs (shown: pairs at or above it)."""

    threshold: float
    precision: float
    recall: float
    shown: int
    positives: int
    pairs: int


def evaluate(scores: np.ndarray, labels: np.ndarray, threshold: float) -> Cut:
    """Precision and recall of keeping the pairs that score at or above `threshold`."""
    kept = scores >= threshold - 1e-9
    hits = int((kept & labels).sum())
    return Cut(round(threshold, 2), hits / max(int(kept.sum()), 1), hits / max(int(labels.sum()), 1), int(kept.sum()),
               int(labels.sum()), len(labels))


def best_cut(scores: np.ndarray, labels: np.ndarray, *, beta: float) -> Cut:
    """The threshold (on a 0.01 grid) with the best F-beta: beta < 1 favours precision, > 1 recall.

    Among equally good thresholds the highest wins, so the cut sits at the lowest score it keeps.
    """
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=bool)
    best, best_f = None, -1.0
    for threshold in np.arange(1.0, -GRID_STEP / 2, -GRID_STEP):
        cut = evaluate(scores, labels, float(threshold))
        denominator = beta * beta * cut.precision + cut.recall
        f = (1 + beta * beta) * cut.precision * cut.recall / denominator if denominator else 0.0
        if f > best_f + 1e-12:
            best, best_f = cut, f
    assert best is not None
    return best


def floor_below(scores: np.ndarray, labels: np.ndarray) -> float:
    """The highest threshold (on the 0.01 grid) below which no labelled yes falls: under it, every pair is a no."""
    lowest = float(np.min(np.asarray(scores, dtype=np.float64)[np.asarray(labels, dtype=bool)]))
    return round(np.floor(lowest / GRID_STEP + 1e-9) * GRID_STEP, 2)
