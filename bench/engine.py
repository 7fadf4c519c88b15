"""Benchmark of the query side: related lookups, the daily top five, full clustering and incremental assignment.

Builds a real LanceDB store of N insights: the 1,012 real podcast sentences of bench/corpus (embedded with the bundled
MiniLM) multiplied to N with small Gaussian perturbations of their vectors (cosine to the original about 0.86), filed
as episodes of 8 insights drawn from one source transcript, from 40 podcasts over 365 days, added oldest first as
daily ingestion adds them. Then it times the library calls the dashboard and CLI use, and prints one JSON object as
its last line.

    python bench/engine.py --n 100000 --vs-bertopic

vector_index_s is the IVF_FLAT build over all N vectors, other_index_s the scalar and full-text indexes; recall_at_10
compares the index's top ten with an exact search for RECALL_QUERIES insights. cluster_s is `topics(rebuild=True)`:
loading the vectors, choosing k, k-means, merging, c-TF-IDF keywords, the 2-D projection, each insight's history
similarity (pipeline/engine/history.py) and writing them all to insight_topics; index_coverage_after_cluster shows
that the vector index still covers every row (no rebuild follows). assign_ms is `assign_topics` for one new insight
(read it, nearest centroid, write it, update the topic's size); nearest_ms its nearest-centroid step alone. fold_s is
what ingestion runs after each run: `fill_history` (the new insights' history similarity, which ranking's novelty
reads), `Store.optimize` and `refresh_day_counts` (Explore's per-day topic counts). peak_rss_mb is the process's peak
resident memory, bench_s the whole run. With --vs-bertopic it also times BERTopic's default pipeline (UMAP + HDBSCAN +
c-TF-IDF, the same texts and precomputed vectors; bench/requirements.txt), after an untimed warm-up that pays numba's
one-off compilation.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import Settings  # noqa: E402
from pipeline.engine.day_counts import refresh_day_counts  # noqa: E402
from pipeline.engine.history import fill_history  # noqa: E402
from pipeline.engine.rank import rank  # noqa: E402
from pipeline.engine.related import related  # noqa: E402
from pipeline.engine.topics import assign_topics, clustering_state, place, topics  # noqa: E402
from pipeline.insights.embed import embed, embedding_model  # noqa: E402
from pipeline.store import Store, insights_schema, matrix, now_iso, sql_in  # noqa: E402

CORPUS = ROOT / "bench" / "corpus" / "sentences.jsonl"
FEEDS = 40
PER_EPISODE = 8
DAYS = 365
LAST_DAY = datetime(2024, 12, 31, tzinfo=UTC)
NOISE = 0.03  # per dimension, on unit vectors of 384 dimensions
RELATED_QUERIES = 200
RECALL_QUERIES = 50  # each needs an exact search too: about a second at 1M
RANK_DAYS = 7
NEW_INSIGHTS = 20
CHUNK = 100_000
SEED = 0

log = logging.getLogger("bench.engine")


def _corpus() -> tuple[list[str], list[str], np.ndarray]:
    rows = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    texts, sources = [r["text"] for r in rows], [r["source"] for r in rows]
    return texts, sources, embed(texts)


def _perturbed(base: np.ndarray, picks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    vectors = base[picks] + rng.normal(0, NOISE, (len(picks), base.shape[1])).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def build(path: Path, n: int, texts: list[str], sources: list[str], base: np.ndarray) -> dict[str, float]:
    """Fill a store with n insights and their episodes and podcasts; returns load and index timings."""
    rng = np.random.default_rng(SEED)
    store = Store(path)
    model, dim = embedding_model()
    table = store.insights_table(model, dim)
    store.upsert("feeds", [{"feed_id": f"feed-{f:02d}", "title": f"Podcast {f}", "url": f"https://example.com/{f}.xml",
                            "weight": 1.0, "blocked": False, "added_at": now_iso()} for f in range(FEEDS)])
    by_source: dict[str, np.ndarray] = {}
    for i, s in enumerate(sources):
        by_source.setdefault(s, []).append(i)
    by_source = {s: np.array(v) for s, v in by_source.items()}
    names = sorted(by_source)
    episodes = -(-n // PER_EPISODE)
    ep_source = rng.integers(0, len(names), episodes)
    # Episode ids in time order: a store grows by daily ingestion, so its rows sit roughly in publishing order.
    ep_time = sorted(LAST_DAY - timedelta(days=int(d), hours=int(h)) for d, h in
                     zip(rng.integers(0, DAYS, episodes), rng.integers(0, 24, episodes), strict=True))
    store.upsert("episodes", [{"episode_id": f"ep-{e:07d}", "feed_id": f"feed-{e % FEEDS:02d}", "title": f"Episode {e}",
                               "published": ep_time[e].isoformat(), "status": "extracted",
                               "audio_url": f"https://media.example.com/{e}.mp3"} for e in range(episodes)])
    started = time.perf_counter()
    for lo in range(0, n, CHUNK):
        ids = np.arange(lo, min(n, lo + CHUNK))
        eps = ids // PER_EPISODE
        picks = np.array([rng.choice(by_source[names[ep_source[e]]]) for e in eps])
        vectors = _perturbed(base, picks, rng)
        table.add(pa.table({
            "insight_id": [f"in-{i:08d}" for i in ids], "episode_id": [f"ep-{e:07d}" for e in eps],
            "feed_id": [f"feed-{e % FEEDS:02d}" for e in eps], "published": [ep_time[e].isoformat() for e in eps],
            "text": [texts[p] for p in picks], "quote": [texts[p] for p in picks],
            "start_s": (ids % PER_EPISODE) * 60.0, "end_s": (ids % PER_EPISODE) * 60.0 + 20, "extractor": ["bench"] * len(ids),
            "score": rng.uniform(0.3, 1.0, len(ids)), "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), dim),
            "created_at": [now_iso()] * len(ids), "headline": pa.nulls(len(ids), pa.string()),
            "flags": pa.nulls(len(ids), pa.list_(pa.string())), "also_on": pa.nulls(len(ids), pa.list_(pa.string())),
        }, schema=insights_schema(dim)))
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    store.ensure_vector_index()
    vector_index_s = time.perf_counter() - started
    started = time.perf_counter()
    store.optimize()  # scalar and full-text indexes
    return {"load_s": round(load_s, 2), "vector_index_s": round(vector_index_s, 1),
            "other_index_s": round(time.perf_counter() - started, 1)}


def _timed_ms(call, *args, **kwargs) -> float:
    started = time.perf_counter()
    call(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def measure(path: Path, n: int, base: np.ndarray, texts: list[str]) -> dict[str, float]:
    """Time clustering, incremental assignment, related lookups (and the index's recall) and the top five."""
    store = Store(path)
    rng = np.random.default_rng(SEED + 1)
    run = topics(store, rebuild=True, settings=Settings())  # its seconds: load, cluster, label, project, write back
    coverage = store.vector_index_coverage()
    assign, nearest = [], []
    centroids = matrix(store.arrow("topics", columns=["centroid"]).column("centroid"))
    projection = clustering_state(store)["projection"]
    for k in range(NEW_INSIGHTS):
        pick = int(rng.integers(0, len(base)))
        vector = _perturbed(base, np.array([pick]), rng)
        row = {"insight_id": f"new-{k:03d}", "episode_id": "ep-0000000", "feed_id": "feed-00",
               "published": LAST_DAY.isoformat(), "text": texts[pick], "quote": texts[pick], "start_s": 0.0,
               "end_s": 1.0, "extractor": "bench", "score": 0.9, "vector": vector[0].tolist()}
        store.upsert("insights", [row])
        assign.append(_timed_ms(assign_topics, store, [row["insight_id"]]))
        nearest.append(_timed_ms(place, vector, centroids, projection))
    started = time.perf_counter()
    fill_history(store)  # what ingestion runs after each run: the new insights' history similarity, optimize, counts
    store.optimize()
    refresh_day_counts(store)
    fold_s = time.perf_counter() - started
    ids = [f"in-{i:08d}" for i in rng.choice(n, RELATED_QUERIES, replace=False)]
    related(store, ids[0])  # the first query opens the index
    lookups = [_timed_ms(related, store, insight_id) for insight_id in ids]
    days = [(LAST_DAY - timedelta(days=d)).strftime("%Y-%m-%d") for d in range(RANK_DAYS)]
    rank(store, days[0])
    top5 = [_timed_ms(rank, store, day) for day in days]
    return {
        "related_p50_ms": round(float(np.percentile(lookups, 50)), 1),
        "related_p95_ms": round(float(np.percentile(lookups, 95)), 1),
        "recall_at_10": round(_recall_at_10(store, ids[:RECALL_QUERIES]), 3),
        "top5_ms": round(float(np.median(top5)), 1),
        "top5_max_ms": round(float(np.max(top5)), 1),
        "cluster_s": round(run.seconds, 1),
        "index_coverage_after_cluster": coverage,
        "assign_ms": round(float(np.median(assign)), 1),
        "assign_p95_ms": round(float(np.percentile(assign, 95)), 1),
        "nearest_ms": round(float(np.median(nearest)), 2),
        "fold_s": round(fold_s, 1),
        "topics": run.topics,
    }


def _recall_at_10(store: Store, ids: list[str]) -> float:
    """The share of the exact ten nearest neighbours that the vector index also returns, over these insights."""
    vectors = matrix(store.arrow("insights", sql_in("insight_id", ids), columns=["vector"]).column("vector"))
    found = []
    for vector in vectors:
        approx = {r["insight_id"] for r in store.vector_search(vector, limit=10, columns=["insight_id"])}
        exact = {r["insight_id"] for r in store.vector_search(vector, limit=10, columns=["insight_id"], exact=True)}
        found.append(len(approx & exact) / len(exact))
    return float(np.mean(found))


def bertopic_cluster_s(path: Path) -> dict[str, float]:
    """BERTopic's default pipeline on the store's texts and vectors (after a small untimed warm-up)."""
    from bertopic import BERTopic

    from pipeline.store import matrix

    data = Store(path).arrow("insights", "insight_id LIKE 'in-%'", columns=["text", "vector"])  # the same N as ours
    docs, vectors = data.column("text").to_pylist(), matrix(data.column("vector"))
    started = time.perf_counter()
    BERTopic().fit_transform(docs[:2000], vectors[:2000])
    warmup_s = time.perf_counter() - started
    started = time.perf_counter()
    found, _ = BERTopic().fit_transform(docs, vectors)
    seconds = time.perf_counter() - started
    found = np.asarray(found)
    return {"bertopic_cluster_s": round(seconds, 1), "bertopic_warmup_s": round(warmup_s, 1),
            "bertopic_topics": len(set(found.tolist()) - {-1}),
            "bertopic_outlier_share": round(float((found == -1).mean()), 3)}


def main(argv: list[str] | None = None) -> int:
    """Build, measure, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="insights in the store")
    parser.add_argument("--vs-bertopic", action="store_true", help="also time BERTopic's default pipeline")
    parser.add_argument("--dir", help="build the store here (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="measure the store already in --dir instead of building one")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    started = time.perf_counter()
    texts, sources, base = _corpus()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.dir or tmp) / "bench.lancedb"
        result: dict[str, float] = {"n": args.n}
        if not (args.reuse and path.exists()):
            result |= build(path, args.n, texts, sources, base)
        log.info("built %s", result)
        result |= measure(path, args.n, base, texts)
        log.info("measured %s", result)
        if args.vs_bertopic:
            result |= bertopic_cluster_s(path)
            result["speedup_vs_bertopic"] = round(result["bertopic_cluster_s"] / max(result["cluster_s"], 1e-9), 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["bench_s"] = round(time.perf_counter() - started)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
