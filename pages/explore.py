"""Explore: the map of insights coloured by topic, the topic list with trends, and topics over time."""

from datetime import date

import pandas as pd
import plotly.express as px
import streamlit as st

from ui import charts, data, shell, widgets

shell.guard()

TREND_FREQS = {"D": "Day", "W": "Week", "M": "Month"}
TOP_TOPICS_OVER_TIME = 8

db = data.db_path()
st.title("Explore")
topics = data.topic_list(db)
widgets.stop_if_empty(len(topics), "topics (they appear once ten or more insights are stored)")
titles = data.feed_titles(db)

podcast_col, range_col, freq_col = st.columns([2, 2, 1])
podcasts = podcast_col.multiselect("Podcasts", list(titles), format_func=titles.get, placeholder="All podcasts")
freq = freq_col.selectbox("Trend by", list(TREND_FREQS), format_func=TREND_FREQS.get)
days = data.topic_trend(db, "D")["period"]
first, last = date.fromisoformat(days.min()), date.fromisoformat(days.max())
picked_range = range_col.date_input("Published between", value=(first, last), min_value=first, max_value=last,
                                    format="YYYY-MM-DD")
start, end = (picked_range[0], picked_range[-1]) if picked_range else (first, last)
trend = data.topic_trend(db, freq, tuple(podcasts))
first_period = pd.Period(start, freq=freq).start_time.strftime("%Y-%m-%d")  # the period that holds `start`
trend = trend[(trend["period"] >= first_period) & (trend["period"] <= end.isoformat())]

map_col, list_col = st.columns([3, 2])
with map_col:
    st.subheader("Map")
    chosen = st.plotly_chart(data.map_figure(db, tuple(podcasts), start.isoformat(), end.isoformat()), key="topic_map",
                             on_select="rerun",
                             selection_mode=("points", "box", "lasso"))
    st.caption("Hover a point to read it; click, box or lasso points to list them below.")

with list_col:
    st.subheader("Topics")
    counts = trend.pivot_table(index="topic_id", columns="period", values="count", fill_value=0)
    topic_table = pd.DataFrame({
        "topic_id": [t["topic_id"] for t in topics],
        "label": [t["label"] for t in topics],
        "keywords": [", ".join(t["keywords"] or []) for t in topics],
        "size": [t["size"] for t in topics],
        "trend": [counts.loc[t["topic_id"]].tolist() if t["topic_id"] in counts.index else [] for t in topics],
    })
    picked_topic = st.dataframe(
        topic_table, key="topic_table", hide_index=True, on_select="rerun", selection_mode="single-row",
        column_order=["label", "size", "trend", "keywords"],
        column_config={"label": "Topic", "size": st.column_config.NumberColumn("Insights"),
                       "trend": st.column_config.LineChartColumn(f"Per {TREND_FREQS[freq].lower()}", y_min=0)},
    )

selected_ids = [p["customdata"][0] for p in chosen["selection"]["points"] if p.get("customdata")]
if selected_ids:
    st.subheader(f"{len(selected_ids)} selected on the map")
    points = data.topic_map(db)
    shown = points[points["insight_id"].isin(selected_ids)]
    widgets.insight_table(shown.assign(podcast=shown["feed_id"].map(titles)), ["label", "podcast", "text"])
    widgets.add_to_brief_button(selected_ids[0] if len(selected_ids) == 1 else None)
if picked_topic["selection"]["rows"]:
    topic = topics[picked_topic["selection"]["rows"][0]]
    st.subheader(f"Topic: {widgets.inert(topic['label'])}")
    rows = pd.DataFrame(data.topic_insights(db, topic["topic_id"]))
    widgets.insight_table(rows.assign(podcast=rows["feed_id"].map(titles)), ["published", "podcast", "text"])

st.subheader("Topics over time")
top = [t["topic_id"] for t in topics[:TOP_TOPICS_OVER_TIME]]
over_time = trend[trend["topic_id"].isin(top)]
if over_time.empty:
    st.caption("No insights in this date range.")
else:
    area = px.area(over_time.assign(label=over_time["label"].map(charts.plot_text)), x="period", y="count", color="label",
                   labels={"period": "", "count": "Insights", "label": "Topic"}, height=320)
    st.plotly_chart(area)
