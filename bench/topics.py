"""Topic coherence: how alike a topic's insights are, and whether its label's words go together in real text.

- within: mean cosine between two insights of the same topic (size-weighted over topics), against `baseline`, the
  mean cosine between any two insights of the store;
- npmi: normalised pointwise mutual information of each label's words over all insight texts (documents), averaged
  over labels of two or more words: 1 when the words always occur together, 0 when independent;
- in_text: share of labels that occur verbatim in their members' text.
Run: python bench/topics.py --db data/lancedb   (a store as it is), or --n 10000 (bench/engine.py's store of the
1,012 real corpus sentences multiplied with small vector perturbations, clustered here). Last line: JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from pipeline.config import Settings  # noqa: E402
from pipeline.engine.labels import _stop_words  # noqa: E402
from pipeline.engine.topic_views import topic_list  # noqa: E402
from pipeline.engine.topics import topics  # noqa: E402
from pipeline.store import Store, matrix  # noqa: E402

SAMPLE = 300  # insights per topic (and 2,000 for the baseline) in the pairwise means
WORD = re.compile(r"[^\W\d_][\w'-]*[^\W_]|[^\W\d_]")


def _mean_pairwise(vectors: np.ndarray) -> float:
    sims = vectors @ vectors.T
    n = len(vectors)
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1))) if n > 1 else float("nan")


def coherence(store: Store) -> dict:
    """The coherence figures of a clustered store."""
    data = store.with_topics(store.arrow("insights", columns=["insight_id", "text", "vector"]))
    data = data.filter(pc.is_valid(data.column("topic_id")))
    vectors = matrix(data.column("vector"))
    owners = np.array(data.column("topic_id").to_pylist())
    texts = data.column("text").to_pylist()
    rng = np.random.default_rng(0)
    listed = topic_list(store)
    within, weights = [], []
    for topic in listed:
        members = np.flatnonzero(owners == topic["topic_id"])
        if len(members) > 1:
            pick = rng.choice(members, min(len(members), SAMPLE), replace=False)
            within.append(_mean_pairwise(vectors[pick]))
            weights.append(len(members))
    baseline = _mean_pairwise(vectors[rng.choice(len(vectors), min(len(vectors), 2000), replace=False)])
    documents = [set(w.lower() for w in WORD.findall(t)) for t in texts]
    stop = set(_stop_words())
    npmis, in_text = [], 0
    for topic in listed:
        words = sorted({w.lower() for w in WORD.findall(topic["label"] or "")} - stop)
        members = [texts[i] for i in np.flatnonzero(owners == topic["topic_id"])]
        in_text += any((topic["label"] or "").lower() in m.lower() for m in members)
        pairs = [_npmi(documents, a, b) for a, b in itertools.combinations(words, 2)]
        if pairs:
            npmis.append(float(np.mean(pairs)))
    return {"topics": len(listed), "insights": len(texts), "within": round(float(np.average(within, weights=weights)), 3),
            "baseline": round(baseline, 3), "npmi": round(float(np.mean(npmis)), 3) if npmis else None,
            "npmi_labels": len(npmis), "in_text": round(in_text / max(len(listed), 1), 3),
            "labels": [t["label"] for t in listed[:12]]}


def _npmi(documents: list[set[str]], a: str, b: str) -> float:
    n = len(documents)
    pa = sum(a in d for d in documents) / n
    pb = sum(b in d for d in documents) / n
    pab = sum(a in d and b in d for d in documents) / n
    if pab == 0:
        return -1.0
    if pab == 1:
        return 1.0
    return math.log(pab / (pa * pb)) / -math.log(pab)


def main(argv: list[str] | None = None) -> int:
    """Measure a store as it is, or build bench/engine.py's store of --n insights, cluster it and measure it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a clustered store to measure as it is")
    parser.add_argument("--n", type=int, default=10_000, help="insights in the built store (without --db)")
    args = parser.parse_args(argv)
    if args.db:
        print(json.dumps({"store": args.db, **coherence(Store(args.db))}))
        return 0
    import engine as bench_engine  # bench/engine.py

    with tempfile.TemporaryDirectory() as tmp:
        texts, sources, base = bench_engine._corpus()
        store_path = Path(tmp) / "db"
        bench_engine.build(store_path, args.n, texts, sources, base)
        store = Store(store_path)
        started = time.perf_counter()
        run = topics(store, rebuild=True, settings=Settings())
        print(run.message, file=sys.stderr)
        print(json.dumps({"n": args.n, "cluster_s": round(time.perf_counter() - started, 1), **coherence(store)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
