"""Rebuilding every insight vector after a change of embedding model."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..config import Settings, get_settings
from ..lock import ingest_lock
from ..store import Store
from .embed import embed, embedding_model

log = logging.getLogger(__name__)


def reembed(store: Store, *, settings: Settings | None = None, progress: Callable[[int, int], None] | None = None) -> int:
    """Embed every stored insight again with the configured model and rewrite the table; returns how many."""
    settings = settings or get_settings()
    model, dim = embedding_model(settings)
    with ingest_lock(store):
        rows = store.rows("insights")
        vectors = embed([r["text"] for r in rows], settings=settings, progress=progress)
        for row, vector in zip(rows, vectors, strict=True):
            row["vector"] = vector.tolist()
        store.replace_insights_table(rows, model, dim)
    log.info("re-embedded %d insights with %s (%d-d)", len(rows), model, dim)
    return len(rows)
