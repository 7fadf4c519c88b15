"""Changing the embedding model: the store refuses mixed dimensions until `reembed` rebuilds the vectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import get_settings
from pipeline.errors import EmbeddingError
from pipeline.ingest.run import ingest
from pipeline.insights.reembed import reembed
from pipeline.store import Store

SAMPLES = Path(__file__).parent.parent / "data" / "samples" / "feeds"


def test_reembed_switches_model_and_dimension(tmp_path: Path, openai_server) -> None:
    bundled = get_settings(podbrief_db=str(tmp_path / "db"))
    store = Store(bundled.podbrief_db)
    ingest(store, feeds=[str(SAMPLES / "podcasting-qa.xml")], settings=bundled)
    before = store.rows("insights")
    assert before and len(before[0]["vector"]) == 384

    remote = get_settings(podbrief_db=bundled.podbrief_db, openai_base_url=openai_server.base_url,
                          podbrief_embed_model="fake-embed", podbrief_llm_model="fake-llm")
    with pytest.raises(EmbeddingError, match="Run `python -m pipeline reembed`"):
        store.insights_table("fake-embed", openai_server.embed_dim)

    assert reembed(store, settings=remote) == len(before)
    after = {r["insight_id"]: r for r in store.rows("insights")}
    assert set(after) == {r["insight_id"] for r in before}, "same insights, new vectors"
    assert {len(r["vector"]) for r in after.values()} == {openai_server.embed_dim}
    assert all(after[r["insight_id"]]["text"] == r["text"] for r in before)
    with pytest.raises(EmbeddingError, match="all-MiniLM-L6-v2-int8"):
        store.insights_table("all-MiniLM-L6-v2-int8", 384)
