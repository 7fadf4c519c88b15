"""What each cluster is called after a re-clustering: editors' names and merges always carry over; the machine's
name stays while most of the topic's members stay.

Membership is compared on each insight's previous topic id: a name stays while most of the topic's earlier members
are still in it, and they are still most of it. New insights joining a topic rename it only when they outnumber
the members it had, since its name may no longer say what it holds ("AI/ML" on what became an audio-quality topic).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .labels import MIN_PHRASE_MEMBERS

KEEP_NAME_SHARE = 0.5  # a topic keeps its machine-made name while at least this share of its members stays
EDITOR = "editor"
KEYWORDS = "keywords"
PHRASES = "phrases"


@dataclass
class Name:
    """A cluster's name and where it came from (editor, llm, phrases or keywords), with the editor's merges."""

    label: str | None = None  # None: the machine must name it afresh
    source: str | None = None
    edited_by: str | None = None
    edited_at: str | None = None
    merged_ids: list[str] = field(default_factory=list)

    @property
    def by_editor(self) -> bool:
        """True when an editor chose this name."""
        return self.source == EDITOR


def overlap(was: list[str | None], labels: np.ndarray, k: int, previous_ids: list[str]) -> np.ndarray:
    """counts[c, p]: how many insights now in cluster c were in previous topic p before."""
    index = {topic_id: p for p, topic_id in enumerate(previous_ids)}
    counts = np.zeros((k, len(previous_ids)), dtype=np.int64)
    for label, old in zip(labels.tolist(), was, strict=True):
        p = index.get(old) if old else None
        if p is not None:
            counts[label, p] += 1
    return counts


def fuse_merged(labels: np.ndarray, was: list[str | None], merged: list[str]) -> np.ndarray:
    """Keep an editor's merges merged: clusters whose earlier members came mostly from one merged topic become one.

    Returns labels renumbered 0..k'-1 (unchanged when nothing had to be fused).
    """
    if not merged:
        return labels
    k = int(labels.max()) + 1
    counts = overlap(was, labels, k, merged)
    before = overlap(was, labels, k, sorted({w for w in was if w}))
    existing = before.sum(axis=1)
    target = np.arange(k)
    for p in range(len(merged)):
        parts = [c for c in range(k) if existing[c] and counts[c, p] * 2 > existing[c]]
        if len(parts) > 1:
            biggest = max(parts, key=lambda c: (counts[c, p], -c))
            for c in parts:
                target[c] = biggest
    _, renumbered = np.unique(target[labels], return_inverse=True)
    return renumbered.astype(labels.dtype)


def carry_names(previous: list[dict], editor_rows: list[dict], topic_ids: list[str], counts: np.ndarray,
                sizes: np.ndarray) -> list[Name]:
    """The name each new cluster carries over, by cluster; `Name()` where the machine must name it afresh.

    previous: the topics before the re-clustering, in the column order of `counts`; editor_rows: the topics an editor
    named or merged, read again just before writing so a rename made during the clustering is not lost; sizes: each
    cluster's members now, new insights included.
    """
    index = {p["topic_id"]: n for n, p in enumerate(previous)}
    position = {topic_id: c for c, topic_id in enumerate(topic_ids)}
    names = [Name() for _ in topic_ids]
    for c, topic_id in enumerate(topic_ids):
        p = index.get(topic_id)
        if p is None or previous[p].get("label_source") in {EDITOR, KEYWORDS}:
            continue  # a bare keyword list (an older version's label) is renamed whenever a phrase can name it
        kept = counts[c, p]
        stayed = kept / max(counts[:, p].sum(), 1)  # of the topic's earlier members, the share still in it
        share = kept / max(sizes[c], 1)  # of the cluster's members now, the share that were in this topic
        if stayed >= KEEP_NAME_SHARE and share >= KEEP_NAME_SHARE:
            names[c] = Name(previous[p]["label"], previous[p].get("label_source"))
    for row in sorted(editor_rows, key=lambda r: r["topic_id"] not in position):  # ids that survived claim first
        c = position.get(row["topic_id"])
        p = index.get(row["topic_id"])
        if c is None and p is not None and counts[:, p].any():
            c = int(counts[:, p].argmax())  # the id is gone: its name follows most of its members
        if c is None or names[c].by_editor:
            continue
        merged = list(row.get("merged_ids") or [])
        if row.get("label_source") == EDITOR:
            names[c] = Name(row["label"], EDITOR, row.get("edited_by"), row.get("edited_at"), merged)
        else:
            names[c].merged_ids = merged
    return names


def forget_unsaid(names: list[Name], texts: list[str], labels: np.ndarray, phrases: list[list[str]]) -> None:
    """Name afresh a cluster whose carried phrase name too few of its members (`texts`, by `labels`) say any more.

    Insights that joined by assignment between two clusterings can turn a topic into another subject: a topic named
    "AI/ML" that now holds insights on audio quality. And a topic first named when it was small, by a phrase one
    member said ("Engineer analogy"), is named afresh once one of its phrases (`phrases`, fresh) is said by
    MIN_PHRASE_MEMBERS of its members, as a new topic's name would be; while none is, the old name stays.
    """
    for c, name in enumerate(names):
        if name.source != PHRASES or name.label is None:
            continue
        members = [texts[i].lower() for i in np.flatnonzero(labels == c)]
        needed = MIN_PHRASE_MEMBERS if len(members) > MIN_PHRASE_MEMBERS else 1
        said = _said_by(name.label, members)
        if not said or (said < needed and any(_said_by(p, members) >= needed for p in phrases[c])):
            names[c] = Name(merged_ids=name.merged_ids)


def _said_by(phrase: str, members: list[str]) -> int:
    """How many of the (lower-cased) member texts hold the phrase."""
    low = phrase.lower()
    return sum(low in text for text in members)
