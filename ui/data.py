"""Cached reads over the store for the pages: one shared Store handle, TTL'd reads keyed by plain values.

The store path is the first argument of every cached read, so pointing PODBRIEF_DB elsewhere (tests, a
second store) never serves another store's rows. After a write, clear the caches it affects.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc
import streamlit as st

from pipeline.config import get_settings
from pipeline.delivery import render
from pipeline.engine import briefs, export, presets, topic_views
from pipeline.engine.rank import Brief, rank
from pipeline.engine.search import KINDS, SearchFilters
from pipeline.engine.search import insight_detail as detail_of
from pipeline.engine.search import search as find
from pipeline.engine.search import segment_detail as segment_of
from pipeline.engine.weights import Weights
from pipeline.errors import PodbriefError
from pipeline.ingest import catalog, subscriptions
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
def episodes(db: str, feed_id: str | None = None, status: str | None = None, *, page: int = 0,
             page_size: int = 100) -> tuple[list[dict], int]:
    """One page of episodes, newest first, of one feed and/or in one state; and how many match in all."""
    return catalog.list_episodes(_store(db), feed_id=feed_id, status=status, limit=page_size, offset=page * page_size)


@st.cache_data(ttl=READ_TTL_S, max_entries=16, show_spinner="Reading the feed…")
def feed_preview(db: str, url: str) -> tuple[subscriptions.FeedPreview | None, str | None]:
    """A feed typed on the Feeds page, fetched and read before saving: (preview, None) or (None, why it cannot be added).

    The refusal is cached too, so a slow or broken address is not fetched again on every rerun.
    """
    try:
        return subscriptions.preview_feed(_store(db), url, get_settings()), None
    except PodbriefError as exc:
        return None, str(exc)


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def feed_titles(db: str) -> dict[str, str]:
    """Each feed's title (its URL until it has been fetched), by feed_id."""
    return {f["feed_id"]: f["title"] or f["url"] for f in _store(db).rows("feeds", columns=["feed_id", "title", "url"])}


# -- briefs (Brief, Curate and Archive pages) -----------------------------------------------------------------
# The current version of a date is read fresh on every run (one small query): a page that saves must never act on
# a cached version, and keying the cached briefs by version means another editor's save shows at once.


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def latest_date(db: str) -> str | None:
    """The most recent date with insights (YYYY-MM-DD), or None for an empty store."""
    return briefs.latest_brief_date(_store(db))


def current_version(db: str, date: str) -> dict | None:
    """The date's current saved version (get_brief), read now, never cached."""
    return briefs.get_brief(_store(db), date)


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def saved_briefs(db: str) -> list[dict]:
    """Each saved date's current version, newest date first."""
    return briefs.list_briefs(_store(db))


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner="Ranking…")
def brief(db: str, date: str, weights_json: str | None, version: int | None) -> Brief:
    """A date's brief as saved (`version` keys the cache), or what other weights (JSON) would pick automatically."""
    return briefs.assemble_brief(_store(db), date, weights=weights_json)


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def brief_markdown(db: str, date: str, weights_json: str | None, version: int | None) -> str:
    """The Markdown export of that brief (what the CLI's `brief` command prints for the saved one)."""
    return export.export_markdown(_store(db), brief(db, date, weights_json, version))


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner="Ranking…")
def automatic(db: str, date: str, weights_json: str) -> Brief:
    """The automatic top five under these weights (JSON), ignoring any saved brief."""
    return rank(_store(db), date, weights=Weights.from_json(weights_json))


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner="Scoring your list…")
def composed(db: str, date: str, content_json: str, weights_json: str) -> Brief:
    """An editor's unsaved list (the working copy's content as JSON) as a brief, with the candidates left out."""
    return briefs.compose_brief(_store(db), date, **json.loads(content_json), weights=weights_json)


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def composed_markdown(db: str, date: str, content_json: str, weights_json: str) -> str:
    """The Markdown readers would get if that list were published now."""
    return export.export_markdown(_store(db), composed(db, date, content_json, weights_json))


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner="Rendering the email…")
def composed_email(db: str, date: str, content_json: str, weights_json: str) -> str:
    """The HTML email a reader with no interests would get if that list were published now."""
    return render.email_preview(_store(db), composed(db, date, content_json, weights_json), get_settings())


@st.cache_data(ttl=READ_TTL_S, max_entries=ENTRIES, show_spinner=False)
def published_markdown(db: str, date: str, version: int) -> str:
    """The Markdown of a date's latest published brief, exactly as it went out (`version` keys the cache)."""
    return export.export_markdown(_store(db), briefs.published_brief(_store(db), date))


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def weight_presets(db: str) -> list[dict]:
    """The saved weights presets, the default first."""
    return presets.list_presets(_store(db))


@st.cache_data(ttl=READ_TTL_S, max_entries=8, show_spinner=False)
def default_weights(db: str) -> Weights:
    """The weights everyone's automatic picks start from."""
    return presets.default_weights(_store(db))


def clear_briefs() -> None:
    """Forget cached briefs and presets after an editor saved or published a brief or a preset."""
    for func in (saved_briefs, brief, brief_markdown, automatic, composed, composed_markdown, composed_email,
                 published_markdown,
                 weight_presets, default_weights):
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
    published = _store(db).arrow("episodes", "published IS NOT NULL", columns=["published"]).column("published")
    bounds = pc.min_max(published.cast(pa.string())).as_py() if len(published) else None
    if not bounds or bounds["min"] is None:
        return date.today(), date.today()
    return date.fromisoformat(bounds["min"][:10]), date.fromisoformat(bounds["max"][:10])


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
