"""Editors' changes to topics: rename one, merge two. Re-clustering carries both over (see topic_names.py)."""

from __future__ import annotations

import logging

import numpy as np
import pyarrow.compute as pc

from ..errors import PodbriefError
from ..store import Store, matrix, now_iso, sql_eq, sql_in
from .labels import auto_label, topic_labels
from .topic_names import EDITOR
from .topics import clustering_state, map_positions, placements, unit_means

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 60


def rename_topic(store: Store, topic_id: str, name: str, *, editor: str) -> dict:
    """Give a topic an editor's name, which re-clustering keeps; returns the updated topic.

    Example: `python -m pipeline topics rename topic-0003 "Go at work"`
    """
    clean = " ".join((name or "").split())
    if not clean:
        raise PodbriefError("Type a name for the topic.")
    if len(clean) > MAX_NAME_CHARS:
        raise PodbriefError(f"A topic name has at most {MAX_NAME_CHARS} characters; this one has {len(clean)}. Shorten it.")
    _topic(store, topic_id)
    store.update("topics", topic_id, {"label": clean, "label_source": EDITOR, "edited_by": editor, "edited_at": now_iso()})
    log.info("%s renamed %s to %r", editor, topic_id, clean)
    return _topic(store, topic_id)


def merge_topics(store: Store, keep_id: str, other_id: str, *, editor: str) -> dict:
    """Fold topic `other_id` into `keep_id`: its insights move, its id retires, and re-clustering keeps them together.

    The merged topic keeps an editor's name from either (the kept one's first), else gets a fresh name from its
    members. Example: `python -m pipeline topics merge topic-0003 topic-0007`
    """
    if keep_id == other_id:
        raise PodbriefError("Choose two different topics to merge.")
    keep, other = _topic(store, keep_id), _topic(store, other_id)
    state = clustering_state(store)
    both = store.topics_of(sql_in("topic_id", [keep_id, other_id]))
    moving = both.filter(pc.equal(both.column("topic_id"), other_id)).column("insight_id").to_pylist()
    members = store.arrow("insights", sql_in("insight_id", both.column("insight_id").to_pylist()),
                          columns=["insight_id", "vector"])
    vectors = matrix(members.column("vector"))
    centroid = unit_means(vectors, np.zeros(len(vectors), dtype=np.int64), 1)[0]
    xy = map_positions(vectors, np.repeat(centroid[None, :], len(vectors), axis=0), state["projection"]) \
        if "projection" in state else np.full((len(vectors), 2), np.nan)
    store.upsert("insight_topics", placements(members.column("insight_id"), [keep_id] * members.num_rows, xy))
    named = next((t for t in (keep, other) if t.get("label_source") == EDITOR), None)
    keywords, phrases = _describe(store, keep_id)
    label, source = (named["label"], EDITOR) if named else auto_label(phrases, keywords)
    store.update("topics", keep_id, {
        "label": label, "label_source": source, "keywords": keywords, "size": members.num_rows, "centroid": centroid.tolist(),
        "edited_by": editor, "edited_at": now_iso(),
        "merged_ids": sorted({*(keep.get("merged_ids") or []), other_id, *(other.get("merged_ids") or [])}),
    })
    store.delete("topics", sql_eq("topic_id", other_id))
    log.info("%s merged %s (%d insights) into %s", editor, other_id, len(moving), keep_id)
    return _topic(store, keep_id)


def _topic(store: Store, topic_id: str) -> dict:
    rows = store.rows("topics", sql_eq("topic_id", topic_id))
    if not rows:
        raise PodbriefError(f"There is no topic {topic_id!r}; it may have been merged or re-clustered away. "
                            "Reload the list of topics and choose again.")
    return rows[0]


def _describe(store: Store, topic_id: str) -> tuple[list[str], list[str]]:
    """Keywords and phrases of one topic against all the others (c-TF-IDF needs the whole store)."""
    table = store.with_topics(store.arrow("insights", columns=["insight_id", "text"]))
    table = table.filter(pc.is_valid(table.column("topic_id")))
    mine = np.asarray([t == topic_id for t in table.column("topic_id").to_pylist()], dtype=np.int64)
    texts = table.column("text").to_pylist()
    keywords, phrases = topic_labels(texts, mine, 2)
    return keywords[1], phrases[1]
