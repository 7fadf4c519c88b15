"""Plotly figures for the Explore page; feed text in them is HTML-escaped, since Plotly reads a few tags."""

from __future__ import annotations

import html
import textwrap

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

HOVER_WIDTH = 60
PALETTE = qualitative.Plotly + qualitative.Safe + qualitative.Vivid
HOVER = "<b>%{customdata[1]}</b><br>%{customdata[2]}<extra>%{customdata[3]}</extra>"


def plot_text(text: str | None) -> str:
    """Feed text for a Plotly label or hover: HTML-escaped (Plotly reads a few tags) and wrapped."""
    return "<br>".join(html.escape(line) for line in textwrap.wrap(text or "", HOVER_WIDTH)) or "—"


def topic_scatter(points: pd.DataFrame) -> go.Figure:
    """The map as one WebGL trace coloured by topic (one trace per topic would be slow with hundreds of topics).

    `points` has insight_id, x, y, topic_id, label, text and podcast; each point carries its insight_id first in
    customdata, so a selection names the insights.
    """
    codes = points["topic_id"].astype("category").cat.codes.to_numpy()
    custom = pd.DataFrame({"id": points["insight_id"], "podcast": points["podcast"].map(plot_text),
                           "text": points["text"].map(plot_text), "label": points["label"].map(plot_text)})
    steps = len(PALETTE)
    # A stepped colour scale: topic code c gets PALETTE[c]; numbers validate far faster than one colour string each.
    scale = [[(i + edge) / steps, color] for i, color in enumerate(PALETTE) for edge in (0, 1)]
    figure = go.Figure(go.Scattergl(
        x=points["x"], y=points["y"], mode="markers", customdata=custom.to_numpy(), hovertemplate=HOVER,
        marker={"size": 7, "opacity": 0.75, "color": codes % steps, "colorscale": scale, "cmin": -0.5,
                "cmax": steps - 0.5},
    ))
    figure.update_layout(xaxis_visible=False, yaxis_visible=False, height=480, margin={"l": 0, "r": 0, "t": 10, "b": 0},
                         dragmode="lasso")
    return figure
