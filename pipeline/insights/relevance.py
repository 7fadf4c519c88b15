"""How close candidate passages are to what the feed says an episode is about (its title and description).

A publisher's title names the episode's topics ("... on Docker's pivot to developers and monetizing open source");
passages nearer to it in the bundled MiniLM space are more likely the points an editor would send.
"""

from __future__ import annotations

import numpy as np

from .embed import embed_bundled


def title_relevance(about: str, texts: list[str]) -> np.ndarray:
    """Per text, its cosine to `about` minus the mean over `texts` (all zeros when there is no title or no text)."""
    if not about.strip() or not texts:
        return np.zeros(len(texts))
    vectors = embed_bundled([about, *texts])
    similarity = vectors[1:] @ vectors[0]
    return similarity - similarity.mean()
