"""The related threshold and the semantic-search floor are what the labelled pairs in tests/fixtures/ pick."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from pipeline.engine.calibration import best_cut, evaluate, floor_below
from pipeline.engine.related import RELATED_THRESHOLD
from pipeline.engine.scoring import UNRELATED
from pipeline.engine.search import MIN_SIMILARITY

BENCH = Path(__file__).resolve().parent.parent / "bench" / "calibrate.py"


@pytest.fixture(scope="module")
def calibrate():
    spec = importlib.util.spec_from_file_location("calibrate", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_related_threshold_is_the_calibrated_one(calibrate) -> None:
    scores, labels = calibrate.related_scores()
    assert len(labels) >= 150 and labels.sum() >= 10
    assert best_cut(scores, labels, beta=calibrate.RELATED_BETA).threshold == pytest.approx(RELATED_THRESHOLD)
    # The old threshold (0.4) offered nearly every labelled pair as related, most of them wrongly.
    assert evaluate(scores, labels, RELATED_THRESHOLD).precision > 2 * evaluate(scores, labels, 0.4).precision


def test_novelty_counts_nothing_under_the_lowest_labelled_same_idea_pair(calibrate) -> None:
    scores, labels = calibrate.related_scores()
    assert floor_below(scores, labels) == pytest.approx(UNRELATED)
    assert scores[labels].min() >= UNRELATED
    assert floor_below(np.array([0.2, 0.456, 0.9]), np.array([False, True, True])) == pytest.approx(0.45)


def test_the_search_floor_is_the_calibrated_one(calibrate) -> None:
    scores, labels = calibrate.search_scores()
    assert best_cut(scores, labels, beta=calibrate.SEARCH_BETA).threshold == pytest.approx(MIN_SIMILARITY)
    assert evaluate(scores, labels, MIN_SIMILARITY).recall >= 0.95


def test_best_cut_trades_precision_for_recall_as_asked() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    labels = np.array([True, True, False, True, False, False])
    assert best_cut(scores, labels, beta=0.5).threshold == pytest.approx(0.8)  # precision first: stop before the miss
    assert best_cut(scores, labels, beta=2.0).threshold == pytest.approx(0.6)  # recall first: take all three
    cut = evaluate(scores, labels, 0.6)
    assert (cut.precision, cut.recall, cut.shown) == (0.75, 1.0, 4)
