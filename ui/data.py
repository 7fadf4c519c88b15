"""Cached reads over the store for the pages: one shared Store handle, TTL'd reads keyed by plain values.

The store path is the first argument of every cached read, so pointing PODBRIEF_DB elsewhere (tests, a
second store) never serves another store's rows. After a write, clear the caches it affects.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from pipeline.config import get_settings
from pipeline.engine import briefs, export, topic_views
from pipeline.engine.rank import Brief
from pipeline.engine.search import KINDS, SearchFilters
from pipeline.engine.search import insight_detail as detail_of
from pipeline.engine.search import search as find
from pipeline.engine.search import segment_detail as segment_of
from pipeline.ingest import catalog
from pipeline.store import Store, open_store
from ui import charts

READ_TTL_S = 60  # an ingestion run beside the dashboard shows up within this delay
STATUS_TTL_S = 3  # the Feeds page polls status while a job runs
ENTRIES = 64


def db_path() -> str:
    """The store folder the dashboard reads (PODBRIEF_DB or the default)."""
    return get_settings().podbrief_db


@st.cache_resource(show_spinner=False)
def _store(db: str) -> Store:
    return open_store(db)


def store() -> Store:
    """The shared Store handle for the configured folder."""
    return _store(db_path())


# -- catalogue (Feeds page) ------------------------------------------------------------------------------------


@st.cache_data(ttl=STATUS_TTL_S, max_entries=8, show_spinner=False)
def ingest_status(db: str) -> dict:
    """Counts of feeds and episodes by state, and the failures."""
    return catalog.status(_store(db))


@st.cache_data(ttl=STATUS_TTL_S, max_entries=8, show_spinner=False)
def feeds(db: str) -> list[dict]:
    """All feeds with their episode counts by state."""
    return catalog.list_feeds(_store(db))


@st.cache_data(ttl=STATUS_TTL_S, max_entries=ENTRIES, show_spinner=False)
def episodes(db: str, feed_id: str | None = None, status: str | None = None) -> list[dict]:
    """Episodes, newest first, of one feed and/or in one state."""
    return catalog.list_episodes(_store(db), feed_id=feed_id, status=status)


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def feed_titles(db: str) -> dict[str, str]:
    """Each feed's title (its URL until it has been fetched), by feed_id."""
    return {f["feed_id"]: f["title"] or f["url"] for f in feeds(db)}


# -- briefs (Brief and Curate pages) ---------------------------------------------------------------------------


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def latest_date(db: str) -> str | None:
    """The most recent date with insights (YYYY-MM-DD), or None for an empty store."""
    return briefs.latest_brief_date(_store(db))


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def saved_brief(db: str, date: str) -> dict | None:
    """The editor's saved brief for a date (overrides, weights, status), or None."""
    return briefs.get_brief(_store(db), date)


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def saved_briefs(db: str) -> list[dict]:
    """Every saved brief, newest date first."""
    return briefs.list_briefs(_store(db))


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner="Ranking…")
def brief(db: str, date: str, weights_json: str | None) -> Brief:
    """A date's brief: the saved one, or a ranking under other weights (JSON) when given."""
    return briefs.assemble_brief(_store(db), date, weights=weights_json)


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def brief_markdown(db: str, date: str, weights_json: str | None) -> str:
    """The Markdown export of that brief (what the CLI's `brief` command prints for the saved one)."""
    return export.export_markdown(_store(db), brief(db, date, weights_json))


def clear_briefs() -> None:
    """Forget cached briefs after an editor saved or published one."""
    for func in (saved_brief, saved_briefs, brief, brief_markdown):
        func.clear()


# -- topics (Explore page) -------------------------------------------------------------------------------------


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def topic_list(db: str) -> list[dict]:
    """Every topic, largest first, with label, keywords and size."""
    return topic_views.topic_list(_store(db))


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner="Loading the map…")
def topic_map(db: str) -> pd.DataFrame:
    """The 2-D map points (an even sample when there are many)."""
    return topic_views.topic_map(_store(db))


def topic_colours(db: str) -> dict[str, str]:
    """One colour per topic (largest first), the same on every chart of the page."""
    return charts.topic_colours([t["topic_id"] for t in topic_list(db)])


@st.cache_data(ttl=READ_TTL_S, max_entries=16, show_spinner=False)
def map_figure(db: str, feed_ids: tuple[str, ...], start: str, end: str) -> go.Figure:
    """The map of those podcasts' points (all when empty) published from `start` to `end` (ISO dates, inclusive)."""
    points = topic_map(db)
    if feed_ids:
        points = points[points["feed_id"].isin(feed_ids)]
    day = points["published"].fillna("").str[:10]
    points = points[(day == "") | ((day >= start) & (day <= end))]  # undated episodes stay on the map
    labels = {t["topic_id"]: t["label"] for t in topic_list(db)}
    return charts.topic_scatter(points.assign(podcast=points["feed_id"].map(feed_titles(db))), topic_colours(db), labels)


@st.cache_data(ttl=READ_TTL_S, max_entries=16, show_spinner=False)
def topic_trend(db: str, freq: str, feed_ids: tuple[str, ...] = (), start: date | None = None, end: date | None = None,
                topic_ids: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Insights per topic per period of those podcasts (all when empty), every period from start to end present."""
    return topic_views.topic_trend(_store(db), freq=freq, feed_ids=list(feed_ids) or None, start=start, end=end,
                                   topic_ids=list(topic_ids) if topic_ids is not None else None)


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def insights_for_export(db: str, insight_ids: tuple[str, ...]) -> pd.DataFrame:
    """Those insights with their podcast, episode (title, page, audio), topic and speaker, in the order given."""
    return pd.DataFrame(topic_views.insights_with_sources(_store(db), list(insight_ids)))


def clear_topics() -> None:
    """Forget cached topic reads after an editor renamed or merged topics, or topics were re-clustered."""
    for func in (topic_list, topic_map, map_figure, topic_trend, topic_insights, insight_detail, search_hits,
                 insights_for_export):
        func.clear()


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def topic_insights(db: str, topic_id: str) -> list[dict]:
    """A topic's newest insights."""
    return topic_views.topic_insights(_store(db), topic_id)


# -- search (Search page) --------------------------------------------------------------------------------------


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner="Searching…")
def search_hits(db: str, query: str, feed_ids: tuple[str, ...] = (), dates: tuple[str | None, str | None] = (None, None),
                topic_ids: tuple[str, ...] = (), kinds: tuple[str, ...] = KINDS) -> list[dict]:
    """Insights and transcript passages matching a query by words or meaning, best first, within the filters."""
    return find(_store(db), query, filters=SearchFilters(feed_ids, dates[0], dates[1], topic_ids, kinds))


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def published_range(db: str) -> tuple[date, date]:
    """The first and last publication dates of the stored episodes (today for both when none is dated)."""
    days = sorted(str(e["published"])[:10] for e in _store(db).rows("episodes", "published IS NOT NULL", columns=["published"]))
    return (date.fromisoformat(days[0]), date.fromisoformat(days[-1])) if days else (date.today(), date.today())


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def insight_detail(db: str, insight_id: str) -> dict | None:
    """An insight with its episode, podcast, topic, transcript context and related insights."""
    return detail_of(_store(db), insight_id)


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def segment_detail(db: str, segment_id: str) -> dict | None:
    """A transcript segment with its episode, podcast, transcript context and related insights."""
    return segment_of(_store(db), segment_id)


def clear_all() -> None:
    """Forget every cached read (after feeds were added or an ingestion run finished)."""
    st.cache_data.clear()
