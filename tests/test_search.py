"""Search (full-text and semantic, fused) and the insight detail read, on a real LanceDB store."""

from pathlib import Path

import pytest

from pipeline.engine.related import RELATED_THRESHOLD
from pipeline.engine.search import insight_detail, search
from tests.engine_fixtures import Engine, build_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return build_engine(tmp_path / "db")


def test_words_find_insights_and_transcript_segments(engine: Engine) -> None:
    hits = search(engine.store, "generics")
    assert hits and all(engine.topic_of.get(h["id"], "go") == "go" for h in hits[:3])
    kinds = {h["kind"] for h in hits}
    assert kinds == {"insight", "segment"}
    top = hits[0]
    assert "generics" in top["text"].lower() and set(top["matched_by"]) == {"text", "meaning"}
    assert top["feed_title"] in {"Alpha Signals", "Bravo Radio", "Charlie Talks", "Delta Hour"}
    assert top["audio_url"].endswith(".mp3") and top["start_s"] is not None
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_meaning_finds_what_the_words_do_not(engine: Engine) -> None:
    hits = search(engine.store, "neural networks need lots of GPUs to learn from datasets", limit=10)
    by_meaning = [h for h in hits if h["matched_by"] == ["meaning"]]
    assert by_meaning and engine.topic_of[by_meaning[0]["id"]] == "ai"


def test_query_syntax_is_not_passed_through(engine: Engine) -> None:
    assert search(engine.store, "   ") == []
    assert search(engine.store, 'podcast" OR (intro:*')  # quotes, colons and brackets are stripped, not an error


def test_insight_detail_has_context_and_related_from_other_podcasts(engine: Engine) -> None:
    insight_id = engine.ids("podcasting")[7]
    assert all(r["similarity"] >= RELATED_THRESHOLD for r in insight_detail(engine.store, insight_id)["related"])
    detail = insight_detail(engine.store, insight_id, threshold=0.4)  # a looser cut, so the planted topic has some
    assert detail["insight"]["insight_id"] == insight_id and "vector" not in detail["insight"]
    assert detail["episode"]["episode_id"] == detail["insight"]["episode_id"]
    assert detail["feed"]["feed_id"] == engine.feed_of[insight_id] and detail["feed"]["title"]
    texts = [s["text"] for s in detail["segments"]]
    assert detail["insight"]["text"] in texts and 2 <= len(texts) <= 5
    assert detail["related"] and all(r["feed_id"] != detail["feed"]["feed_id"] for r in detail["related"])
    assert insight_detail(engine.store, "missing") is None
