"""Related insights: vector search on a real LanceDB store, other podcasts only, threshold, newest first on ties."""

from pathlib import Path

import pytest

from pipeline.engine.related import NEAR_DUPLICATE, related
from pipeline.errors import PodbriefError
from tests.engine_fixtures import Engine, build_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return build_engine(tmp_path / "db")


def _copy(engine: Engine, insight_id: str, new_id: str, feed_id: str, published: str) -> None:
    row = engine.store.rows("insights", f"insight_id = '{insight_id}'")[0]
    engine.store.upsert("insights", [{**row, "insight_id": new_id, "feed_id": feed_id, "published": published,
                                      "episode_id": f"ep-{new_id}"}])


def test_related_comes_only_from_other_podcasts_and_clears_the_threshold(engine: Engine) -> None:
    seen_other_topic = seen = 0
    for insight_id, feed_id in engine.feed_of.items():
        found = related(engine.store, insight_id, limit=5, threshold=0.45)
        assert all(r["feed_id"] != feed_id for r in found)
        assert all(r["similarity"] >= 0.45 for r in found)
        rounded = [round(r["similarity"], 3) for r in found]  # equal to 3 decimals is a tie, ordered by date
        assert rounded == sorted(rounded, reverse=True)
        seen += len(found)
        seen_other_topic += sum(engine.topic_of[r["insight_id"]] != engine.topic_of[insight_id] for r in found)
    hits = [related(engine.store, i, limit=3, threshold=0.45) for i in engine.ids("podcasting")]
    assert sum(bool(h) for h in hits) >= 20  # the podcasting topic is discussed on several podcasts
    assert seen >= 100 and seen_other_topic / seen <= 0.1, (seen_other_topic, seen)  # related is about the same thing


def test_a_syndicated_copy_is_never_related_and_ties_come_newest_first(engine: Engine) -> None:
    source = engine.ids("go")[0]
    assert engine.feed_of[source] == "feed-a"
    _copy(engine, source, "copy-elsewhere", "feed-b", "2024-05-09T00:00:00+00:00")  # the same text on another show
    neighbour = related(engine.store, source, limit=1, threshold=0.3)[0]
    _copy(engine, neighbour["insight_id"], "twin-old", "feed-b", "2024-01-01T00:00:00+00:00")
    _copy(engine, neighbour["insight_id"], "twin-new", "feed-c", "2024-05-09T00:00:00+00:00")
    found = related(engine.store, source, limit=5, threshold=0.3)
    ids = [r["insight_id"] for r in found]
    assert "copy-elsewhere" not in ids  # identical text: a copy, not a related insight
    assert all(r["similarity"] <= NEAR_DUPLICATE for r in found)
    assert ids.index("twin-new") < ids.index("twin-old")  # equal similarity: the newest first


def test_threshold_and_limit_are_honoured(engine: Engine) -> None:
    source = engine.ids("ai")[0]
    assert related(engine.store, source, threshold=0.99) == []
    assert len(related(engine.store, source, limit=2, threshold=0.0)) == 2


def test_related_uses_the_vector_index_once_built(engine: Engine) -> None:
    assert engine.store.ensure_vector_index(min_rows=50)
    assert any("vector" in idx.columns for idx in engine.store.table("insights").list_indices())
    source = engine.ids("podcasting")[3]
    found = related(engine.store, source, limit=5, threshold=0.3)
    assert found and all(r["feed_id"] != engine.feed_of[source] for r in found)


def test_unknown_insight_says_so(engine: Engine) -> None:
    with pytest.raises(PodbriefError, match="No insight 'nope' in the store"):
        related(engine.store, "nope")
