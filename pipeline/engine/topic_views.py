"""Reads of the topic clusters for the dashboard: the topic list, the 2-D map, a topic's insights, and trends."""

from __future__ import annotations

import pandas as pd

from ..errors import PodbriefError
from ..store import Store, sql_eq, sql_in

MAP_POINTS = 5000  # the map draws at most this many points, an even sample of each topic
TREND_FREQS = {"D": "day", "W": "week", "M": "month"}


def topic_list(store: Store) -> list[dict]:
    """Every topic, largest first: topic_id, label, label_source, keywords, size, updated_at."""
    rows = store.rows("topics", columns=["topic_id", "label", "label_source", "keywords", "size", "updated_at"])
    return sorted(rows, key=lambda r: (-(r["size"] or 0), r["topic_id"]))


def topic_insights(store: Store, topic_id: str, *, limit: int = 50) -> list[dict]:
    """A topic's insights, newest first (without vectors)."""
    rows = store.rows("insights", sql_eq("topic_id", topic_id),
                      columns=["insight_id", "episode_id", "feed_id", "published", "text", "score", "start_s"])
    return sorted(rows, key=lambda r: (r["published"] or "", r["insight_id"]), reverse=True)[:limit]


def topic_map(store: Store, *, max_points: int = MAP_POINTS) -> pd.DataFrame:
    """Map points: insight_id, x, y, topic_id, label, text, feed_id, published; an even, fixed sample when there are many."""
    columns = ["insight_id", "x", "y", "topic_id", "text", "feed_id", "published"]
    table = store.arrow("insights", "topic_id IS NOT NULL AND x IS NOT NULL", columns=columns)
    frame = table.to_pandas() if table.num_rows else pd.DataFrame(columns=columns)
    if len(frame) > max_points:
        frame = frame.sort_values("insight_id").iloc[:: -(-len(frame) // max_points)]
    labels = {t["topic_id"]: t["label"] for t in topic_list(store)}
    frame["label"] = frame["topic_id"].map(labels)
    return frame.reset_index(drop=True)


def topic_trend(store: Store, *, freq: str = "W", topic_ids: list[str] | None = None,
                feed_ids: list[str] | None = None) -> pd.DataFrame:
    """Insights per topic per period of episode publication (freq D, W or M), optionally of some podcasts only:
    period, topic_id, label, count."""
    if freq not in TREND_FREQS:
        raise PodbriefError(f"Trend period {freq!r} is not one of {', '.join(TREND_FREQS)} (day, week, month).")
    where = "topic_id IS NOT NULL AND published IS NOT NULL" + (f" AND {sql_in('feed_id', feed_ids)}" if feed_ids else "")
    table = store.arrow("insights", where, columns=["topic_id", "published"])
    columns = ["period", "topic_id", "label", "count"]
    if table.num_rows == 0:
        return pd.DataFrame(columns=columns)
    frame = table.to_pandas()
    if topic_ids is not None:
        frame = frame[frame["topic_id"].isin(topic_ids)]
    moments = pd.to_datetime(frame["published"], utc=True, errors="coerce", format="ISO8601").dt.tz_localize(None)
    frame = frame.assign(period=moments.dt.to_period(freq).dt.start_time.dt.strftime("%Y-%m-%d")).dropna(subset=["period"])
    counts = frame.groupby(["period", "topic_id"]).size().reset_index(name="count")
    labels = {t["topic_id"]: t["label"] for t in topic_list(store)}
    counts["label"] = counts["topic_id"].map(labels)
    return counts[columns].sort_values(["period", "topic_id"]).reset_index(drop=True)
