"""A real LanceDB store of insights with three planted topics, for the query-side tests (topics, rank, export).

The sentences are real podcast speech (tests/fixtures/engine/planted_topics.json, see SOURCES.md there), one
topic per source show; they are spread over four podcasts so that every topic is discussed on several of them,
and embedded with the real bundled embedder. Import `build_engine` (and `add_extra_insights`) where needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import Settings
from pipeline.engine.topics import topics
from pipeline.insights.embed import embed, embedding_model
from pipeline.store import Store, now_iso

FIXTURE = Path(__file__).parent / "fixtures" / "engine" / "planted_topics.json"
BRIEF_DATE = "2024-05-10"
FEEDS = {
    "feed-a": ("Alpha Signals", 1.0),
    "feed-b": ("Bravo Radio", 1.0),
    "feed-c": ("Charlie Talks", 0.5),
    "feed-d": ("Delta Hour", 1.0),
}
EPISODES_PER_TOPIC = 5  # six insights each; the last one of every topic is published on BRIEF_DATE


@dataclass
class Engine:
    """The store and what was planted in it."""

    store: Store
    date: str
    topic_of: dict[str, str]  # insight_id -> planted topic name
    feed_of: dict[str, str]  # insight_id -> feed_id

    def ids(self, topic: str) -> list[str]:
        """The insight ids planted for one topic."""
        return [i for i, t in self.topic_of.items() if t == topic]


@lru_cache(maxsize=1)
def planted() -> dict[str, dict]:
    """The planted sentences per topic (base and extra), as read from the fixture."""
    return json.loads(FIXTURE.read_text())


@lru_cache(maxsize=1)
def planted_vectors() -> dict[str, np.ndarray]:
    """Real embeddings of every planted sentence, keyed by its text (computed once per test session)."""
    texts = [t for topic in planted().values() for t in topic["base"] + topic["extra"]]
    return dict(zip(texts, embed(texts), strict=True))


def _published(day_offset: int, hour: int) -> str:
    day = datetime.fromisoformat(BRIEF_DATE) + timedelta(days=day_offset, hours=hour)
    return day.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def build_engine(path: Path) -> Engine:
    """A fresh store under `path`: 4 podcasts, 15 episodes over 5 days, 90 insights in 3 planted topics."""
    store = Store(path)
    model, dim = embedding_model()
    store.insights_table(model, dim)
    store.upsert("feeds", [{"feed_id": f, "url": f"https://example.com/{f}.xml", "title": title, "weight": weight,
                            "blocked": False, "added_at": now_iso()} for f, (title, weight) in FEEDS.items()])
    engine = Engine(store, BRIEF_DATE, {}, {})
    feed_ids = list(FEEDS)
    for t, (topic, data) in enumerate(planted().items()):
        chunk = len(data["base"]) // EPISODES_PER_TOPIC
        for j in range(EPISODES_PER_TOPIC):
            feed_id = feed_ids[(t + j) % len(feed_ids)]
            sentences = data["base"][j * chunk:(j + 1) * chunk]
            _add_episode(engine, feed_id, f"{topic}-ep{j}", f"{topic.title()} episode {j}", topic,
                         _published(j - EPISODES_PER_TOPIC + 1, 6 + 3 * t), sentences, start=j * chunk)
    return engine


def add_extra_insights(engine: Engine) -> list[str]:
    """Add the held-back sentences (10% more insights) as one new episode per topic on the next day."""
    added: list[str] = []
    for t, (topic, data) in enumerate(planted().items()):
        added += _add_episode(engine, "feed-d", f"{topic}-extra", f"{topic.title()} extra", topic,
                              _published(1, 6 + t), data["extra"], start=100)
    return added


def _add_episode(engine: Engine, feed_id: str, episode_id: str, title: str, topic: str, published: str,
                 sentences: list[str], *, start: int) -> list[str]:
    vectors = planted_vectors()
    engine.store.upsert("episodes", [{
        "episode_id": episode_id, "feed_id": feed_id, "title": title, "published": published,
        "audio_url": f"https://media.example.com/{feed_id}/{episode_id}.mp3", "link": f"https://example.com/{episode_id}",
        "status": "extracted", "created_at": now_iso(),
    }])
    rows, segments = [], []
    for k, text in enumerate(sentences):
        n = start + k
        insight_id = f"{topic}-{n:03d}"
        start_s = 30.0 * k + 12.5
        rows.append({
            "insight_id": insight_id, "episode_id": episode_id, "feed_id": feed_id, "published": published,
            "text": text, "quote": text, "start_s": start_s, "end_s": start_s + 20.0, "extractor": "extractive",
            "score": round(0.45 + 0.5 * ((n * 37) % 11) / 10, 3), "vector": vectors[text].tolist(), "created_at": now_iso(),
        })
        segments.append({"segment_id": f"{episode_id}:{k:05d}", "episode_id": episode_id, "feed_id": feed_id, "idx": k,
                         "start_s": start_s, "end_s": start_s + 20.0, "text": text})
        engine.topic_of[insight_id] = topic
        engine.feed_of[insight_id] = feed_id
    engine.store.upsert("insights", rows)
    engine.store.upsert("segments", segments)
    return [r["insight_id"] for r in rows]


@pytest.fixture(name="engine")
def clustered_engine(tmp_path: Path) -> Engine:
    """The planted store, clustered into topics (for the ranking and export tests)."""
    built = build_engine(tmp_path / "db")
    topics(built.store, rebuild=True, settings=Settings())
    return built
