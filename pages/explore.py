"""Explore: the map of insights coloured by topic, the topic list, topics over time (one colour per topic on every
chart), an insight's detail with play from here, CSV/JSON export, and editors' renames and merges."""

from datetime import date

import pandas as pd
import streamlit as st

from pipeline.engine.topic_views import TREND_FREQS, trend_freq
from ui import charts, data, insight_view, shell, tables, topic_editing, widgets

shell.guard()

FREQ_CHOICES = {"auto": "Automatic", "D": "Day", "W": "Week", "M": "Month"}
TOP_TOPICS_OVER_TIME = 8
INSIGHT_COLUMNS = ["published", "podcast", "text", "held_back"]


def _open_insight(insight_id: str) -> None:
    st.session_state["explore_insight_id"] = insight_id


def insight_list(rows: pd.DataFrame, key: str, name: str) -> None:
    """Insights as a table: a click opens one below; the whole table downloads as CSV or JSON."""
    rows = rows.assign(podcast=rows["feed_id"].map(titles), published=rows["published"].fillna("").str[:10],
                       held_back=rows["flags"].map(widgets.held_back) if "flags" in rows else "")
    picked = st.dataframe(rows, key=key, hide_index=True, on_select="rerun", selection_mode="single-row",
                          column_order=INSIGHT_COLUMNS, column_config={
                              "text": st.column_config.TextColumn("Insight", width="large"), "podcast": "Podcast",
                              "published": "Published", "held_back": st.column_config.TextColumn(
                                  "Held back", help="Never picked for a brief: a sponsor read, an intro, ...")})
    st.caption("Click a row to read the insight, play it and see related insights from other podcasts.")
    if picked["selection"]["rows"]:
        _open_insight(rows.iloc[picked["selection"]["rows"][0]]["insight_id"])
    tables.export_buttons(tables.export_frame(data.insights_for_export(db, tuple(rows["insight_id"]))), name, key=key)


db = data.db_path()
st.title("Explore")
widgets.show_flash()
topics = data.topic_list(db)
widgets.stop_if_empty(len(topics), "topics (they appear once ten or more insights are stored)")
titles = data.feed_titles(db)
labels = {t["topic_id"]: t["label"] for t in topics}
colours = data.topic_colours(db)
first, last = data.published_range(db)

podcast_col, range_col, freq_col = st.columns([2, 2, 1])
podcasts = podcast_col.multiselect("Podcasts", list(titles), format_func=titles.get, placeholder="All podcasts")
picked_range = range_col.date_input("Published between", value=(first, last), min_value=first, max_value=last,
                                    format="YYYY-MM-DD")
start, end = (picked_range[0], picked_range[-1]) if picked_range else (first, last)
choice = freq_col.selectbox("Trend by", list(FREQ_CHOICES), format_func=FREQ_CHOICES.get,
                            help="Automatic: days for up to six weeks, weeks for up to half a year, months beyond.")
freq = trend_freq(start, end) if choice == "auto" else choice
trend = data.topic_trend(db, freq, tuple(podcasts), start, end, tuple(labels))

map_col, list_col = st.columns([3, 2])
with map_col:
    st.subheader("Map")
    chosen = st.plotly_chart(data.map_figure(db, tuple(podcasts), start.isoformat(), end.isoformat()), key="topic_map",
                             on_select="rerun", selection_mode=("points", "box", "lasso"))
    st.caption("Hover a point to read it; click, box or lasso points to list them below. Click a topic in the legend "
               "to hide it.")

with list_col:
    st.subheader("Topics")
    counts = trend.pivot_table(index="topic_id", columns="period", values="count", fill_value=0)
    topic_table = pd.DataFrame({
        "topic_id": [t["topic_id"] for t in topics],
        "label": [t["label"] for t in topics],
        "named_by": ["an editor" if t["label_source"] == "editor" else "" for t in topics],
        "keywords": [", ".join(t["keywords"] or []) for t in topics],
        "size": [t["size"] for t in topics],
        "trend": [counts.loc[t["topic_id"]].tolist() if t["topic_id"] in counts.index else [] for t in topics],
    })
    picked_topic = st.dataframe(
        topic_table, key="topic_table", hide_index=True, on_select="rerun", selection_mode="single-row",
        column_order=["label", "size", "trend", "named_by", "keywords"],
        column_config={"label": "Topic", "size": st.column_config.NumberColumn("Insights"), "named_by": "Named by",
                       "trend": st.column_config.LineChartColumn(f"Per {TREND_FREQS[freq]}", y_min=0)},
    )
    topic_editing.panel(db, topics)

selected_ids = [p["customdata"][0] for p in chosen["selection"]["points"] if p.get("customdata")]
if selected_ids:
    st.subheader(f"{len(selected_ids)} selected on the map")
    points = data.topic_map(db)
    shown = points[points["insight_id"].isin(selected_ids)]
    insight_list(shown, "map_selection_table", f"podbrief-map-selection-{date.today().isoformat()}")
if picked_topic["selection"]["rows"]:
    topic = topics[picked_topic["selection"]["rows"][0]]
    st.subheader(f"Topic: {widgets.inert(topic['label'])}")
    rows = pd.DataFrame(data.topic_insights(db, topic["topic_id"]))
    insight_list(rows, "topic_insights_table", f"podbrief-topic-{topic['topic_id']}")
if st.session_state["explore_insight_id"]:
    detail = data.insight_detail(db, st.session_state["explore_insight_id"])
    if detail is not None:
        with st.container(border=True):
            insight_view.detail_panel("insight", detail, titles, key="explore", open_related=_open_insight)

st.subheader("Topics over time")
top = [t["topic_id"] for t in topics[:TOP_TOPICS_OVER_TIME]]
over_time = trend[trend["topic_id"].isin(top)]
if over_time["count"].sum() == 0:
    st.caption("No insights in this date range.")
else:
    st.plotly_chart(charts.topic_trend_bars(over_time, colours, freq), key="topic_trend")
    st.caption(f"Insights per {TREND_FREQS[freq]} of the {len(top)} largest topics; each bar's total is above it, "
               "periods without insights show as gaps at zero.")
