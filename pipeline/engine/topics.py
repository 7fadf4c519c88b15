"""Topic clusters over insight vectors: k-means with stable ids, keyword (and LLM) labels, and 2-D map coordinates.

Every insight belongs to its nearest topic, so there is no "outlier" bucket; clusters too small to be a topic
are merged into their nearest neighbour. A re-clustering starts from the previous centroids and matches its
clusters to the previous topics (Hungarian matching on centroid cosine), so topics keep their ids and labels;
only clusters that match nothing get new ids. Between re-clusterings, new insights join their nearest topic.

Topics and map positions live in the narrow insight_topics table, never in the insights rows: re-clustering rewrites
that table only, so the vector index over the insights stays valid and needs no rebuild.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from ..config import Settings, get_settings
from ..store import Store, matrix, now_iso, sql_eq, sql_in
from .day_counts import refresh_day_counts
from .history import day_numbers, fill_history, history_similarity
from .labels import auto_label, llm_client, llm_label, topic_labels
from .topic_names import Name, carry_names, forget_unsaid, fuse_merged, overlap

log = logging.getLogger(__name__)

MIN_INSIGHTS = 10  # fewer insights than this are not clustered
MIN_TOPICS = 2
SMALL_STORE_TOPICS = 20  # the most topics the n/6 rule for small stores may ask for
KEEP_K_GROWTH = 2  # the previous k is preferred, and is the least k, until the store has doubled since it was chosen
MAX_TOPICS = 200
K_CANDIDATES = 5  # values of k tried between MAX(k_auto / 2) and k_auto
SILHOUETTE_SAMPLE = 3000
SILHOUETTE_TIE = 0.01  # silhouettes this close count as a tie: the previous k wins a tie, else the finest k
MIN_TOPIC_SIZE = 3
MIN_TOPIC_SHARE = 0.001  # clusters smaller than this share of all insights merge into their nearest neighbour
MATCH_THRESHOLD = 0.75  # centroid cosine for a new cluster to inherit an old topic's id and label
RECLUSTER_GROWTH = 0.2  # re-cluster once the store grew by this share since the last full clustering
MINIBATCH_FROM = 20_000  # from this many insights, mini-batch k-means
BATCH_SIZE = 4096
MAP_PULL = 0.5  # map points sit halfway between the insight and its topic centroid, so topics read as groups
CHUNK = 100_000  # rows per block when assigning, to bound memory
LABEL_MEMBERS = 1_000  # keywords and phrases come from at most this many random members of a topic (1M: GBs of counts)
SEED = 0
META_KEY = "topics"
ID_FORMAT = "topic-{:04d}"


@dataclass(frozen=True)
class TopicRun:
    """What one `topics` call did."""

    reclustered: bool
    insights: int
    topics: int
    kept: int = 0
    new: int = 0
    dropped: int = 0
    assigned: int = 0
    seconds: float = 0.0

    @property
    def message(self) -> str:
        """One line for people."""
        if self.reclustered:
            return (f"Clustered {self.insights} insights into {self.topics} topics ({self.kept} kept their ids, "
                    f"{self.new} new, {self.dropped} gone) in {self.seconds:.1f} s.")
        return f"Assigned {self.assigned} new insights to {self.topics} existing topics in {self.seconds:.1f} s."


def topics(store: Store, *, rebuild: bool = False, settings: Settings | None = None) -> TopicRun:
    """Re-cluster when forced, when there are no topics, or when the store grew enough; else assign new insights.

    Example: `python -m pipeline topics --rebuild`
    """
    started = time.perf_counter()
    state, model = clustering_state(store), _model(store)
    if rebuild or _due(store, state, model):
        run = _recluster(store, settings or get_settings(), started)
    else:
        assigned = _assign(store, _unassigned(store), state, model)
        fill_history(store)
        run = TopicRun(False, store.count("insights"), store.count("topics"), assigned=assigned,
                       seconds=time.perf_counter() - started)
    refresh_day_counts(store)
    return run


def assign_topics(store: Store, insight_ids: list[str]) -> None:
    """Put newly stored insights in their nearest topic (ingestion calls this); re-clusters when it is due."""
    if not insight_ids:
        return
    state, model = clustering_state(store), _model(store)
    if _due(store, state, model):
        _recluster(store, get_settings(), time.perf_counter())
    else:
        _assign(store, insight_ids, state, model)


# -- incremental assignment ---------------------------------------------------------------------------------


def _unassigned(store: Store) -> list[str]:
    """Ids of the insights without a topic."""
    ids = store.arrow("insights", columns=["insight_id"]).column("insight_id")
    return ids.filter(pc.invert(pc.is_in(ids, value_set=store.all_topics(()).column("insight_id")))).to_pylist()


def _model(store: Store) -> pa.Table:
    """What assignment needs of the topics: topic_id and centroid."""
    return store.arrow("topics", columns=["topic_id", "centroid"])


def _assign(store: Store, insight_ids: list[str], state: dict, table: pa.Table) -> int:
    """Give these insights their nearest topic (`table`: _model) and map position; how many there were."""
    if table.num_rows == 0 or "projection" not in state or not insight_ids:
        return 0
    rows = store.arrow("insights", sql_in("insight_id", insight_ids), columns=["insight_id", "vector"])
    if rows.num_rows == 0:
        return 0
    topic_ids = table.column("topic_id").to_pylist()
    placed = place(matrix(rows.column("vector")), matrix(table.column("centroid")), state["projection"])
    store.upsert("insight_topics", placements(rows.column("insight_id"), [topic_ids[c] for c in placed[0]], placed[1]))
    touched = sorted({topic_ids[c] for c in placed[0]})
    store.update_many("topics", [{"topic_id": t, "size": store.count("insight_topics", sql_eq("topic_id", t))}
                                 for t in touched])
    return rows.num_rows


def place(vectors: np.ndarray, centroids: np.ndarray, projection: dict[str, list]) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's nearest topic (an index into `centroids`) and its map position."""
    labels, _ = _nearest(vectors, centroids)
    return labels, _positions(vectors, centroids, labels, projection)


def placements(insight_ids: pa.Array | pa.ChunkedArray, topic_ids: list[str], xy: np.ndarray,
               history: np.ndarray | None = None) -> pa.Table:
    """insight_topics rows as one Arrow table; without `history` their history_sim is null (fill_history computes it)."""
    return pa.table({"insight_id": insight_ids, "topic_id": pa.array(topic_ids, pa.string()),
                     "x": pa.array(xy[:, 0], pa.float64()), "y": pa.array(xy[:, 1], pa.float64()),
                     "history_sim": pa.nulls(len(topic_ids), pa.float32()) if history is None else
                     pa.array(history, pa.float32(), from_pandas=True)})


# -- full clustering ----------------------------------------------------------------------------------------


def clustering_state(store: Store) -> dict:
    """What the last full clustering left for the next one (counts, next id, k, the map projection)."""
    raw = store.meta(META_KEY)
    return json.loads(raw) if raw else {}


def _due(store: Store, state: dict, model: pa.Table) -> bool:
    total = store.count("insights")
    if total < MIN_INSIGHTS:
        return False
    return model.num_rows == 0 or total >= state.get("clustered", 0) * (1 + RECLUSTER_GROWTH)


def _recluster(store: Store, settings: Settings, started: float) -> TopicRun:
    data = store.with_topics(store.arrow("insights", columns=["insight_id", "published", "text", "vector", "flags"]))
    n = data.num_rows
    if n < MIN_INSIGHTS:
        log.info("Only %d insights; topics need at least %d", n, MIN_INSIGHTS)
        return TopicRun(True, n, store.count("topics"), seconds=time.perf_counter() - started)
    vectors = matrix(data.column("vector"))
    data = data.drop_columns(["vector"])  # the matrix holds them now; at 1M the Arrow copy is another 1.5 GB
    previous = sorted(store.rows("topics"), key=lambda p: (-(p["size"] or 0), p["topic_id"]))
    state = clustering_state(store)
    # The previous k is preferred only while the store is of a similar size: a k chosen on the first few
    # dozen insights must not hold once there are hundreds.
    keep_k = state.get("k_chosen_at", 0) * KEEP_K_GROWTH >= n
    centroids, labels, sims = _cluster(vectors, [np.asarray(p["centroid"], np.float32) for p in previous], keep_k=keep_k)
    was = data.column("topic_id").to_pylist()
    fused = fuse_merged(labels, was, [p["topic_id"] for p in previous if p.get("merged_ids")])
    if fused is not labels:
        labels = fused
        centroids = unit_means(vectors, labels, int(labels.max()) + 1)
        sims = np.einsum("ij,ij->i", vectors, centroids[labels])
    k = len(centroids)
    sizes = np.bincount(labels, minlength=k)
    topic_ids, kept, next_id = _match(centroids, sizes, previous, state.get("next_id", 1))
    texts = data.column("text")
    sample = _label_sample(labels, pc.fill_null(pc.list_value_length(data.column("flags")), 0).to_numpy() > 0)
    sampled = texts.take(sample).to_pylist()
    keywords, phrases = topic_labels(sampled, labels[sample], k)
    counts = overlap(was, labels, k, [p["topic_id"] for p in previous])
    edited = store.rows("topics", "label_source = 'editor' OR array_length(merged_ids) > 0")  # read late: see carry_names
    names = carry_names(previous, edited, topic_ids, counts, sizes)
    forget_unsaid(names, sampled, labels[sample], phrases)
    _name_afresh(names, keywords, phrases, _examples(texts, labels, sims, k), settings)
    projection = _fit_projection(centroids, vectors)
    xy = _positions(vectors, centroids, labels, projection)
    history = history_similarity(vectors, labels, day_numbers(data.column("published")))
    store.replace_rows("insight_topics", placements(data.column("insight_id"),
                                                     np.asarray(topic_ids, dtype=object)[labels].tolist(), xy, history))
    # Every row was rewritten: until they are in its id index again, each assignment's merge scans the whole table
    # (1M insights: 130 ms an assignment before, 26 ms after; the reindex takes about a second).
    store.refresh_indexes("insight_topics")
    stamp = now_iso()
    gone = [p["topic_id"] for p in previous if p["topic_id"] not in set(topic_ids)]
    if gone:
        store.delete("topics", sql_in("topic_id", gone))
    store.upsert("topics", [
        {"topic_id": topic_ids[c], "label": names[c].label, "label_source": names[c].source, "keywords": keywords[c],
         "size": int(sizes[c]), "centroid": centroids[c].tolist(), "updated_at": stamp, "edited_by": names[c].edited_by,
         "edited_at": names[c].edited_at, "merged_ids": names[c].merged_ids}
        for c in range(k)
    ])
    k_chosen_at = state["k_chosen_at"] if keep_k and k == state.get("k") else n
    store.set_meta(META_KEY, json.dumps({"clustered": n, "next_id": next_id, "updated_at": stamp, "k": k,
                                         "k_chosen_at": k_chosen_at, "projection": projection}))
    run = TopicRun(True, n, k, kept=kept, new=k - kept, dropped=len(gone), seconds=time.perf_counter() - started)
    log.info(run.message)
    return run


def _cluster(vectors: np.ndarray, previous: list[np.ndarray], *, keep_k: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit centroids, each vector's cluster, and its cosine to that centroid."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    n = len(vectors)
    rng = np.random.default_rng(SEED)
    sample = vectors[np.sort(rng.choice(n, min(n, SILHOUETTE_SAMPLE), replace=False))]
    k, sample_centroids = _choose_k(sample, n, (len(previous) or None) if keep_k else None)
    init = _initial_centroids(k, sample_centroids, previous)
    if n < MINIBATCH_FROM:
        model = KMeans(k, init=init, n_init=1, random_state=SEED).fit(vectors)
    else:  # no random reassignment of small clusters: it would move centres that carry old topic ids
        model = MiniBatchKMeans(k, init=init, n_init=1, batch_size=BATCH_SIZE, random_state=SEED,
                                reassignment_ratio=0.0, max_no_improvement=10).fit(vectors)
    centroids = _unit(model.cluster_centers_.astype(np.float32))
    labels, _ = _nearest(vectors, centroids)
    centroids = _merge_small(vectors, labels, centroids)
    labels, sims = _nearest(vectors, centroids)
    return unit_means(vectors, labels, len(centroids)), labels, sims


def _choose_k(sample: np.ndarray, n: int, previous_k: int | None) -> tuple[int, dict[int, np.ndarray]]:
    """k by silhouette on a sample among values up to ~sqrt(n/2) (n/6 for small n), preferring the previous k when close
    and never going below it: silhouettes this flat are noise, and a 20% larger store is no reason to lose topics.

    One k-means at the largest k; each smaller k groups those centres, so trying several k costs little more.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    # sqrt(n/2) alone gives 5 topics for 50 insights from 9 unrelated episodes; small stores get about n/6.
    top = int(np.clip(max(round(np.sqrt(n / 2)), min(n // 6, SMALL_STORE_TOPICS)), MIN_TOPICS, MAX_TOPICS))
    top = max(MIN_TOPICS, min(top, len(sample) // MIN_TOPIC_SIZE))
    low = max(MIN_TOPICS, min(top, round(np.sqrt(n / 2))) // 2)
    candidates = {int(k) for k in np.linspace(low, top, K_CANDIDATES).round()}
    if previous_k and MIN_TOPICS <= previous_k <= top:  # a store that grew a little keeps its topics: k falls no lower
        candidates = {k for k in candidates if k > previous_k} | {previous_k}
    fine = KMeans(top, n_init=1, max_iter=100, random_state=SEED).fit(sample)
    fine_centres = _unit(fine.cluster_centers_.astype(np.float32))
    weights = np.bincount(fine.labels_, minlength=top)
    distances = np.clip(1.0 - sample @ sample.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    scores: dict[int, float] = {}
    centres: dict[int, np.ndarray] = {}
    for k in sorted(candidates):
        if k == top:
            labels = fine.labels_
        else:
            coarse = KMeans(k, n_init=1, random_state=SEED).fit(fine_centres, sample_weight=weights + 1e-3)
            labels = coarse.labels_[fine.labels_]
        centres[k] = unit_means(sample, labels, k)
        scores[k] = float(silhouette_score(distances, labels, metric="precomputed")) if len(set(labels)) > 1 else -1.0
    # Silhouettes of sentence embeddings are flat (0.03-0.08 here); among near-ties the finer k browses better.
    ties = [k for k in scores if scores[k] >= max(scores.values()) - SILHOUETTE_TIE]
    best = previous_k if previous_k in ties else max(ties)
    log.info("Chose k=%d (silhouette %s)", best, {k: round(v, 3) for k, v in scores.items()})
    return best, centres


def _initial_centroids(k: int, sample_centroids: dict[int, np.ndarray], previous: list[np.ndarray]) -> np.ndarray:
    """Previous topic centroids first (so clusters stay where topics were), then the sample's farthest from them."""
    fresh = sample_centroids[k]
    if not previous:
        return fresh
    old = _unit(np.vstack(previous))[:k]
    if len(old) == k:
        return old
    closeness = (fresh @ old.T).max(axis=1)
    extra = fresh[np.argsort(closeness, kind="stable")[: k - len(old)]]
    return np.vstack([old, extra])


def _merge_small(vectors: np.ndarray, labels: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    sizes = np.bincount(labels, minlength=len(centroids))
    floor = max(MIN_TOPIC_SIZE, int(MIN_TOPIC_SHARE * len(vectors)))
    keep = sizes >= floor
    if keep.sum() < MIN_TOPICS:
        keep = sizes >= np.sort(sizes)[-MIN_TOPICS]
    if keep.all():
        return centroids
    log.info("Merging %d clusters smaller than %d insights into their neighbours", int((~keep).sum()), floor)
    kept = centroids[keep]
    new_labels, _ = _nearest(vectors, kept)
    return unit_means(vectors, new_labels, len(kept))


def _match(centroids: np.ndarray, sizes: np.ndarray, previous: list[dict], next_id: int) -> tuple[list[str], int, int]:
    """Topic ids for the new clusters: a previous id where the centroids match, else a new one (largest first)."""
    from scipy.optimize import linear_sum_assignment

    ids: list[str | None] = [None] * len(centroids)
    if previous:
        old = _unit(np.vstack([np.asarray(p["centroid"], np.float32) for p in previous]))
        similarity = centroids @ old.T
        for new, prev in zip(*linear_sum_assignment(-similarity), strict=True):
            if similarity[new, prev] >= MATCH_THRESHOLD:
                ids[new] = previous[prev]["topic_id"]
    kept = sum(i is not None for i in ids)
    for c in sorted(range(len(ids)), key=lambda c: (-sizes[c], c)):
        if ids[c] is None:
            ids[c] = ID_FORMAT.format(next_id)
            next_id += 1
    return [str(i) for i in ids], kept, next_id


def _label_sample(labels: np.ndarray, held_back: np.ndarray | None = None) -> np.ndarray:
    """Positions, in order, of at most LABEL_MEMBERS members of each cluster, chosen at random (all of a small one).

    Insights held back from briefs (`held_back`: sponsor reads, garbled speech) name a cluster only when it holds
    nothing else: "Dark atyou", misheard, must not become a topic's name."""
    held = np.zeros(len(labels), dtype=bool) if held_back is None else held_back
    speaks = np.bincount(labels[~held], minlength=int(labels.max(initial=-1)) + 1) > 0
    eligible = np.flatnonzero(~held | ~speaks[labels])
    order = eligible[np.random.default_rng(SEED).permutation(len(eligible))]
    order = order[np.argsort(labels[order], kind="stable")]
    first = np.searchsorted(labels[order], labels[order])  # where each member's cluster starts in `order`
    return np.sort(order[np.arange(len(order)) - first < LABEL_MEMBERS])


def _examples(texts: pa.ChunkedArray, labels: np.ndarray, sims: np.ndarray, k: int, per: int = 5) -> list[list[str]]:
    order = np.lexsort((-sims, labels))
    starts = np.searchsorted(labels[order], np.arange(k))
    ends = np.searchsorted(labels[order], np.arange(k), side="right")
    return [texts.take(order[s:min(e, s + per)]).to_pylist() for s, e in zip(starts, ends, strict=True)]


def _name_afresh(names: list[Name], keywords: list[list[str]], phrases: list[list[str]], examples: list[list[str]],
                 settings: Settings) -> None:
    """Name the clusters that carried no name over: the LLM's label when one is configured, else the best phrase
    that no other topic is called (two topics of one name would read, and chart, as one)."""
    client = llm_client(settings) if settings.llm_configured else None
    taken = {name.label.lower() for name in names if name.label is not None}
    for c, name in enumerate(names):
        if name.label is not None:
            continue
        name.label, name.source = auto_label(phrases[c], keywords[c], frozenset(taken))
        if client is not None:
            try:
                label = llm_label(keywords[c], examples[c], settings, client=client)
                if label.lower() not in taken:
                    name.label, name.source = label, "llm"
            except Exception as exc:  # any failure of the optional LLM keeps the phrase label
                log.warning("LLM topic labels are off for this run: %s. Phrase labels are kept.", exc)
                client = None
        if name.label.lower() in taken:  # even the keywords are another topic's name
            name.label = next(f"{name.label} ({n})" for n in range(2, len(names) + 2)
                              if f"{name.label} ({n})".lower() not in taken)
        taken.add(name.label.lower())


# -- geometry -----------------------------------------------------------------------------------------------


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _nearest(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = np.empty(len(vectors), dtype=np.int64)
    sims = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), CHUNK):
        scores = vectors[start:start + CHUNK] @ centroids.T
        labels[start:start + CHUNK] = scores.argmax(axis=1)
        sims[start:start + CHUNK] = scores.max(axis=1)
    return labels, sims


def unit_means(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """The unit-length mean vector of each of k clusters."""
    members = sparse.csr_matrix((np.ones(len(labels), np.float32), (labels, np.arange(len(labels)))),
                                shape=(k, len(labels)))
    return _unit(np.asarray(members @ vectors, dtype=np.float32))


def _fit_projection(centroids: np.ndarray, vectors: np.ndarray) -> dict[str, list]:
    """PCA to 2-D, fitted on the topic centroids (or on a sample when there are too few topics)."""
    basis = centroids if len(centroids) >= 3 else vectors[:SILHOUETTE_SAMPLE]
    mean = basis.mean(axis=0)
    _, _, vt = np.linalg.svd(basis - mean, full_matrices=False)
    components = np.zeros((2, basis.shape[1]), dtype=np.float32)
    components[: min(2, len(vt))] = vt[:2]
    signs = np.sign(components[np.arange(2), np.abs(components).argmax(axis=1)])  # fixed signs, as sklearn does
    components *= np.where(signs == 0, 1, signs)[:, None]
    return {"mean": mean.tolist(), "components": components.tolist(), "pull": MAP_PULL}


def _positions(vectors: np.ndarray, centroids: np.ndarray, labels: np.ndarray, projection: dict[str, list]) -> np.ndarray:
    """map_positions of vectors in their clusters (`labels`), in blocks: at 1M the whole product takes several GB."""
    xy = np.empty((len(vectors), 2), dtype=np.float32)
    for start in range(0, len(vectors), CHUNK):
        block = slice(start, start + CHUNK)
        xy[block] = map_positions(vectors[block], centroids[labels[block]], projection)
    return xy


def map_positions(vectors: np.ndarray, centroids: np.ndarray, projection: dict[str, list]) -> np.ndarray:
    """2-D map coordinates of vectors, each pulled toward its topic centroid."""
    pull = float(projection["pull"])
    mixed = pull * vectors + (1 - pull) * centroids - np.asarray(projection["mean"], np.float32)
    return mixed @ np.asarray(projection["components"], np.float32).T
