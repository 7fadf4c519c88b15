"""Reads of the topic clusters for the dashboard: the topic list, the 2-D map, a topic's insights, and trends."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import PodbriefError
from ..store import Store, sql_in
from .day_counts import day_counts
from .speakers import speakers_at

INSIGHT_COLUMNS = ["insight_id", "episode_id", "feed_id", "published", "text", "score", "start_s", "end_s", "flags"]
MAP_POINTS = 5000  # the map draws at most this many points, an even sample of each topic
TREND_FREQS = {"D": "day", "W": "week", "M": "month"}
DAILY_UP_TO_DAYS = 42
WEEKLY_UP_TO_DAYS = 183


def topic_list(store: Store) -> list[dict]:
    """Every topic, largest first: topic_id, label, label_source, keywords, size, updated_at."""
    rows = store.rows("topics", columns=["topic_id", "label", "label_source", "keywords", "size", "updated_at"])
    return sorted(rows, key=lambda r: (-(r["size"] or 0), r["topic_id"]))


def topic_insights(store: Store, topic_id: str, *, limit: int = 50) -> list[dict]:
    """A topic's insights, newest first (without vectors)."""
    dated = store.arrow("insights", sql_in("insight_id", store.topic_members([topic_id])),
                        columns=["insight_id", "published"]).to_pylist()
    newest = sorted(dated, key=lambda r: (r["published"] or "", r["insight_id"]), reverse=True)[:limit]
    return [{**r, "topic_id": topic_id} for r in _insights(store, [r["insight_id"] for r in newest])]


def _insights(store: Store, insight_ids: list[str]) -> list[dict]:
    """These insights (without vectors, with topic_id), in the order given; unknown ids left out."""
    table = store.arrow("insights", sql_in("insight_id", insight_ids), columns=INSIGHT_COLUMNS)
    rows = {r["insight_id"]: r for r in store.with_topics(table).to_pylist()} if table.num_rows else {}
    return [rows[i] for i in insight_ids if i in rows]


def insights_with_sources(store: Store, insight_ids: list[str]) -> list[dict]:
    """Insights (in the order given) with podcast, episode title, episode page, audio URL, topic name and speaker."""
    if not insight_ids:
        return []
    found = _insights(store, insight_ids)
    episodes = {e["episode_id"]: e for e in store.rows("episodes", sql_in("episode_id", {r["episode_id"] for r in found}),
                                                       columns=["episode_id", "title", "link", "audio_url"])}
    feeds = {f["feed_id"]: f["title"] for f in store.rows("feeds", columns=["feed_id", "title"])}
    topics = {t["topic_id"]: t["label"] for t in topic_list(store)}
    speakers = speakers_at(store, found)
    return [{**r, "podcast": feeds.get(r["feed_id"]) or r["feed_id"], "episode": episodes.get(r["episode_id"], {}).get("title"),
             "episode_link": episodes.get(r["episode_id"], {}).get("link"),
             "audio_url": episodes.get(r["episode_id"], {}).get("audio_url"), "topic": topics.get(r["topic_id"]),
             "speaker": speakers.get(r["insight_id"])} for r in found]


def topic_map(store: Store, *, max_points: int = MAP_POINTS) -> pd.DataFrame:
    """Map points: insight_id, x, y, topic_id, label, text, feed_id, published; an even, fixed sample when there are many."""
    columns = ["insight_id", "x", "y", "topic_id", "text", "feed_id", "published"]
    placed = store.all_topics()
    placed = placed.filter(pc.is_valid(placed.column("x"))).sort_by("insight_id")
    if placed.num_rows > max_points:
        placed = placed.take(list(range(0, placed.num_rows, -(-placed.num_rows // max_points))))
    details = store.arrow("insights", sql_in("insight_id", placed.column("insight_id").to_pylist()),
                          columns=["insight_id", "text", "feed_id", "published"]) if placed.num_rows else None
    frame = pd.DataFrame(columns=columns) if details is None or details.num_rows == 0 else \
        placed.to_pandas().merge(details.to_pandas(), on="insight_id")[columns]
    labels = {t["topic_id"]: t["label"] for t in topic_list(store)}
    frame["label"] = frame["topic_id"].map(labels)
    return frame.reset_index(drop=True)


def trend_freq(start: date, end: date) -> str:
    """The period that suits a date range: days up to six weeks, weeks up to half a year, months beyond."""
    days = (end - start).days + 1
    return "D" if days <= DAILY_UP_TO_DAYS else "W" if days <= WEEKLY_UP_TO_DAYS else "M"


def topic_trend(store: Store, *, freq: str = "W", topic_ids: list[str] | None = None,
                feed_ids: list[str] | None = None, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Insights per topic per period of episode publication (freq D, W or M), optionally of some podcasts only, with
    every period from `start` to `end` (else the first and last with insights) present, zero where none:
    period, topic_id, label, count."""
    if freq not in TREND_FREQS:
        raise PodbriefError(f"Trend period {freq!r} is not one of {', '.join(TREND_FREQS)} (day, week, month).")
    table = day_counts(store, feed_ids)  # per day first: 1M insights make about 70,000 day-topic pairs
    if topic_ids is not None:
        table = table.filter(pc.is_in(table.column("topic_id"), value_set=pa.array(topic_ids, pa.string())))
    columns = ["period", "topic_id", "label", "count"]
    frame = table.to_pandas() if table.num_rows else pd.DataFrame(columns=["day", "topic_id", "count"])
    frame = frame.assign(day=pd.to_datetime(frame["day"], errors="coerce", format="%Y-%m-%d")).dropna(subset=["day"])
    if start is not None:
        frame = frame[frame["day"] >= pd.Timestamp(start)]
    if end is not None:
        frame = frame[frame["day"] <= pd.Timestamp(end)]
    if frame.empty and (start is None or end is None):
        return pd.DataFrame(columns=columns)
    first = pd.Timestamp(start) if start is not None else frame["day"].min()
    last = pd.Timestamp(end) if end is not None else frame["day"].max()
    periods = pd.period_range(first, last, freq=freq).start_time.strftime("%Y-%m-%d")
    frame = frame.assign(period=frame["day"].dt.to_period(freq).dt.start_time.dt.strftime("%Y-%m-%d"))
    counts = frame.groupby(["period", "topic_id"])["count"].sum()
    topics = sorted(set(topic_ids) if topic_ids is not None else set(frame["topic_id"]))
    full = pd.MultiIndex.from_product([periods, topics], names=["period", "topic_id"])
    filled = counts.reindex(full, fill_value=0).reset_index(name="count")
    labels = {t["topic_id"]: t["label"] for t in topic_list(store)}
    filled["label"] = filled["topic_id"].map(labels)
    return filled[columns].sort_values(["period", "topic_id"]).reset_index(drop=True)
