"""Topical sections of an episode, TextTiling-style: cut where the words of adjacent windows overlap least.

Picking the best passage of each section first spreads an episode's insights over its topics instead of
letting one well-scored stretch take every slot (Hearst 1997, with content words instead of stems).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence

from ..models import Chapter

WINDOW = 10  # sentences each side of a gap whose vocabularies are compared
MIN_SECTION = 12  # sentences: a section shorter than this is a digression, not a topic


def sections(contents: Sequence[frozenset[str]], count: int) -> list[int]:
    """The section index of every sentence, cutting at the `count - 1` deepest valleys of lexical cohesion."""
    n = len(contents)
    if count < 2 or n < 2 * MIN_SECTION:
        return [0] * n
    depth = _depths([_cohesion(contents, gap) for gap in range(1, n)])
    cuts: list[int] = []
    for gap in sorted(range(1, n), key=lambda g: -depth[g - 1]):
        if len(cuts) == count - 1 or depth[gap - 1] <= 0:
            break
        if min(gap, n - gap) >= MIN_SECTION and all(abs(gap - c) >= MIN_SECTION for c in cuts):
            cuts.append(gap)
    out, section = [], 0
    boundaries = set(cuts)
    for i in range(n):
        section += i in boundaries
        out.append(section)
    return out


def chapter_of(starts: Sequence[float], chapters: Sequence[Chapter]) -> list[int]:
    """The chapter (index into `chapters`, in time order) each start time falls in; -1 before the first."""
    bounds = [c.start_s for c in chapters]
    return [bisect_right(bounds, start) - 1 for start in starts]


def chapter_sections(starts: Sequence[float], chapters: Sequence[Chapter]) -> list[int] | None:
    """The chapter of every sentence (by its start time): the publisher's own sections, when it gives two or more that
    hold sentences; else None. What comes before the first chapter belongs to it."""
    out = [max(k, 0) for k in chapter_of(starts, chapters)]
    return out if len(set(out)) >= 2 else None


def _cohesion(contents: Sequence[frozenset[str]], gap: int) -> float:
    """Cosine similarity of the content-word counts of the WINDOW sentences before and after a gap."""
    before = Counter(w for c in contents[max(gap - WINDOW, 0):gap] for w in c)
    after = Counter(w for c in contents[gap:gap + WINDOW] for w in c)
    dot = sum(v * after[w] for w, v in before.items())
    norm = math.sqrt(sum(v * v for v in before.values()) * sum(v * v for v in after.values()))
    return dot / norm if norm else 0.0


def _depths(cohesion: list[float]) -> list[float]:
    """How far each gap's cohesion lies below the peaks reached climbing left and right (TextTiling's depth score)."""
    out = []
    for i, value in enumerate(cohesion):
        left = right = i
        while left > 0 and cohesion[left - 1] >= cohesion[left]:
            left -= 1
        while right < len(cohesion) - 1 and cohesion[right + 1] >= cohesion[right]:
            right += 1
        out.append(cohesion[left] - value + cohesion[right] - value)
    return out
