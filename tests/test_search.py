"""Search (full-text and semantic, fused) and the insight detail read, on a real LanceDB store."""

from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.engine.related import RELATED_THRESHOLD
from pipeline.engine.search import SearchFilters, insight_detail, search
from pipeline.engine.topics import topics
from tests.engine_fixtures import Engine, build_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return build_engine(tmp_path / "db")


def test_words_find_insights_and_an_insight_and_its_passage_are_listed_once(engine: Engine) -> None:
    hits = search(engine.store, "generics")
    assert hits and all(engine.topic_of.get(h["id"], "go") == "go" for h in hits[:3])
    assert {h["kind"] for h in hits} == {"insight"}  # each matching passage is where a listed insight came from
    top = hits[0]
    assert "generics" in top["text"].lower() and set(top["matched_by"]) == {"text", "meaning"} and top["in_transcript"]
    assert top["feed_title"] in {"Alpha Signals", "Bravo Radio", "Charlie Talks", "Delta Hour"}
    assert top["audio_url"].endswith(".mp3") and top["start_s"] is not None and top["episode_link"].startswith("https://")
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    passages = search(engine.store, "generics", filters=SearchFilters(kinds=("segment",)))
    assert passages and {h["kind"] for h in passages} == {"segment"}
    assert {(h["episode_id"], h["start_s"]) for h in passages} <= {(h["episode_id"], h["start_s"]) for h in hits}


def test_filters_narrow_by_podcast_date_topic_and_kind(engine: Engine) -> None:
    topics(engine.store, rebuild=True, settings=Settings())
    query = "podcast audience"
    everything = search(engine.store, query)
    one_feed = search(engine.store, query, filters=SearchFilters(feed_ids=("feed-b",)))
    assert one_feed and len(one_feed) < len(everything) and {h["feed_id"] for h in one_feed} == {"feed-b"}
    last_day = search(engine.store, query, filters=SearchFilters(start=engine.date, end=engine.date))
    assert last_day and all(h["published"].startswith(engine.date) for h in last_day)
    before = search(engine.store, query, filters=SearchFilters(end="2024-05-08", kinds=("segment",)))
    assert before and all(h["published"] < "2024-05-09" for h in before)
    topic = everything[0]["topic_id"]
    in_topic = search(engine.store, query, filters=SearchFilters(topic_ids=(topic,)))
    assert in_topic and {h["topic_id"] for h in in_topic} == {topic} and {h["kind"] for h in in_topic} == {"insight"}


def test_off_topic_queries_get_no_close_match_by_meaning(engine: Engine) -> None:
    assert not [h for h in search(engine.store, "sourdough bread recipe") if "meaning" in h["matched_by"]]
    assert search(engine.store, "income tax deadline") == []


def test_hits_name_the_speaker_where_the_transcript_does(engine: Engine) -> None:
    hit = search(engine.store, "generics")[0]
    engine.store.update_where("segments", f"episode_id = '{hit['episode_id']}'", {"speaker": "Kent Quirk"})
    again = next(h for h in search(engine.store, "generics") if h["id"] == hit["id"])
    assert again["speaker"] == "Kent Quirk"
    assert {h["speaker"] for h in search(engine.store, "generics", filters=SearchFilters(kinds=("segment",)))
            if h["episode_id"] == hit["episode_id"]} == {"Kent Quirk"}


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
