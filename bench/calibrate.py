"""Calibrate the related-insight threshold, the semantic-search floor and the novelty floor on the labelled pairs in
tests/fixtures/.

Both are cosine similarities of the bundled MiniLM embeddings. Related insights favour precision (F0.5: a wrong
"related" costs the reader more than a missing one); search favours recall (F2: a researcher scans a list).
Run: python bench/calibrate.py  (last line: JSON)
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.engine.calibration import best_cut, evaluate, floor_below  # noqa: E402
from pipeline.engine.related import RELATED_THRESHOLD  # noqa: E402
from pipeline.engine.scoring import UNRELATED  # noqa: E402
from pipeline.engine.search import MIN_SIMILARITY  # noqa: E402
from pipeline.insights.embed import embed  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
RELATED_BETA = 0.5
SEARCH_BETA = 2.0


def related_scores() -> tuple[np.ndarray, np.ndarray]:
    """Cosine of each labelled insight pair, and whether it is the same idea."""
    rows = [json.loads(line) for line in (FIXTURES / "related" / "insight_pairs.jsonl").read_text().splitlines()]
    a, b = embed([r["a"] for r in rows]), embed([r["b"] for r in rows])
    return np.einsum("ij,ij->i", a, b), np.array([r["same_idea"] for r in rows])


def search_scores() -> tuple[np.ndarray, np.ndarray]:
    """Cosine of each labelled query and hit, and whether the hit answers the query."""
    rows = [json.loads(line) for line in (FIXTURES / "search" / "query_hits.jsonl").read_text().splitlines()]
    q, t = embed([r["query"] for r in rows]), embed([r["text"] for r in rows])
    return np.einsum("ij,ij->i", q, t), np.array([r["relevant"] for r in rows])


def main() -> None:
    """Print the curve around each chosen cut and the JSON summary."""
    summary = {}
    related = related_scores()
    for name, (scores, labels), beta, current in (("related", related, RELATED_BETA, RELATED_THRESHOLD),
                                                  ("search", search_scores(), SEARCH_BETA, MIN_SIMILARITY)):
        best = best_cut(scores, labels, beta=beta)
        for t in np.arange(best.threshold - 0.1, best.threshold + 0.11, 0.02):
            cut = evaluate(scores, labels, float(t))
            print(f"{name} {cut.threshold:.2f}: precision {cut.precision:.2f} recall {cut.recall:.2f} shown {cut.shown}")
        summary[name] = {"chosen": asdict(best), "in_code": asdict(evaluate(scores, labels, current)), "beta": beta}
    summary["novelty_floor"] = {"chosen": floor_below(*related), "in_code": UNRELATED}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
