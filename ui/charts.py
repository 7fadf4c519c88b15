"""Plotly figures for the Explore page, with one colour per topic across them; feed text in them is HTML-escaped,
since Plotly reads a few tags."""

from __future__ import annotations

import html
import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

HOVER_WIDTH = 60
LEGEND_WIDTH = 28
PALETTE = qualitative.Plotly + qualitative.Safe + qualitative.Vivid  # 32 colours a reader can still tell apart
OTHER_COLOUR = "#b8b8b8"
OTHER_LABEL = "Other topics"
HOVER = "<b>%{customdata[1]}</b><br>%{customdata[2]}<extra>%{customdata[3]}</extra>"
TREND_HOVER = "<b>%{customdata[0]}</b><br>%{customdata[1]}: %{y} insight(s)<extra></extra>"
PERIOD_NAMES = {"D": "Day of", "W": "Week of", "M": "Month of"}


def plot_text(text: str | None, width: int = HOVER_WIDTH) -> str:
    """Feed text for a Plotly label or hover: HTML-escaped (Plotly reads a few tags) and wrapped."""
    return "<br>".join(html.escape(line) for line in textwrap.wrap(text or "", width)) or "—"


def topic_colours(topic_ids: list[str]) -> dict[str, str]:
    """A colour for each topic, largest first (`topic_ids` in that order); past the palette, they share grey."""
    return {topic_id: PALETTE[n] if n < len(PALETTE) else OTHER_COLOUR for n, topic_id in enumerate(topic_ids)}


def _legend_name(topic_id: str, colours: dict[str, str], labels: dict[str, str]) -> str:
    return plot_text(labels.get(topic_id), LEGEND_WIDTH) if colours.get(topic_id, OTHER_COLOUR) != OTHER_COLOUR \
        else OTHER_LABEL


def topic_scatter(points: pd.DataFrame, colours: dict[str, str], labels: dict[str, str]) -> go.Figure:
    """The map: one WebGL trace per coloured topic (its legend entry), the rest in one grey trace.

    `points` has insight_id, x, y, topic_id, text and podcast; each point carries its insight_id first in customdata,
    so a selection names the insights.
    """
    figure = go.Figure()
    topic_ids = points["topic_id"].unique()  # labels and podcast names are wrapped once each, not once a point
    names = points["topic_id"].map({t: _legend_name(t, colours, labels) for t in topic_ids})
    label_texts = {t: plot_text(labels.get(t), LEGEND_WIDTH) for t in topic_ids}
    podcast_texts = {p: plot_text(p) for p in points["podcast"].unique()}
    for name, group in points.groupby(names, sort=False):
        custom = pd.DataFrame({"id": group["insight_id"], "podcast": group["podcast"].map(podcast_texts),
                               "text": group["text"].map(plot_text), "label": group["topic_id"].map(label_texts)})
        colour = colours.get(group["topic_id"].iloc[0], OTHER_COLOUR) if name != OTHER_LABEL else OTHER_COLOUR
        figure.add_trace(go.Scattergl(
            x=group["x"], y=group["y"], mode="markers", name=name, customdata=custom.to_numpy(), hovertemplate=HOVER,
            marker={"size": 7, "opacity": 0.8, "color": colour},
        ))
    figure.update_layout(xaxis_visible=False, yaxis_visible=False, height=480, margin={"l": 0, "r": 0, "t": 10, "b": 0},
                         dragmode="lasso", legend={"title": {"text": "Topic"}, "itemsizing": "constant"})
    return figure


def topic_trend_bars(trend: pd.DataFrame, colours: dict[str, str], freq: str) -> go.Figure:
    """Insights per period, stacked by topic in the map's colours, with each period's total above its bar.

    `trend` has period, topic_id, label and count, every period present (zero-filled).
    """
    figure = go.Figure()
    for topic_id, group in trend.groupby("topic_id", sort=False):
        label = plot_text(group["label"].iloc[0], LEGEND_WIDTH)
        custom = pd.DataFrame({"label": label, "period": f"{PERIOD_NAMES[freq]} " + group["period"]})
        figure.add_trace(go.Bar(x=group["period"], y=group["count"], name=label, customdata=custom.to_numpy(),
                                hovertemplate=TREND_HOVER, marker_color=colours.get(topic_id, OTHER_COLOUR)))
    totals = trend.groupby("period", sort=True)["count"].sum()
    figure.add_trace(go.Scatter(x=totals.index, y=totals.values, mode="text", text=[str(v) if v else "" for v in totals],
                                textposition="top center", showlegend=False, hoverinfo="skip"))
    figure.update_layout(barmode="stack", height=340, margin={"l": 0, "r": 0, "t": 20, "b": 0},
                         yaxis={"title": {"text": "Insights"}, "rangemode": "tozero", "tickformat": "d"},
                         xaxis={"type": "category"}, legend={"title": {"text": "Topic"}})
    return figure
