"""The detail of one insight or transcript passage, shared by Search and Explore: where it was said (with the
speaker), play from here, the transcript around it, and related insights from other podcasts."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from pipeline.engine.export import NO_RELATED
from ui import media, widgets

HEADINGS = {"insight": "Insight", "segment": "Transcript passage"}


def detail_panel(kind: str, detail: dict, titles: dict[str, str], *, key: str,
                 open_related: Callable[[str], None] | None = None) -> None:
    """Show an insight's (or a passage's) detail; `open_related(insight_id)` opens a related one, when given."""
    item, episode = detail[kind], detail["episode"] or {}
    st.subheader(HEADINGS[kind])
    speaker = _speaker_at(detail["segments"], item["start_s"]) if kind == "insight" else item.get("speaker")
    widgets.insight_card(item["text"], titles.get(item["feed_id"], item["feed_id"]), episode.get("title") or "",
                         episode.get("audio_url"), item["start_s"], episode_link=episode.get("link"), speaker=speaker)
    item_id = item.get("insight_id") or item["segment_id"]
    media.play_from_here(episode.get("audio_url"), item["start_s"], f"{key}_{kind}_{item_id}")
    if reasons := widgets.held_back(item.get("flags")):
        st.warning(f"Held back from briefs: {widgets.inert(reasons)}. The extractor keeps the best few such passages "
                   "so you can see what it left out and why.", icon=":material/block:")
    if detail.get("topic"):
        st.caption(f"Topic: {widgets.inert(detail['topic']['label'])}")
    widgets.add_to_brief_button(item.get("insight_id"))  # a transcript passage has none
    with st.expander("Transcript around it", expanded=True, icon=":material/subject:"):
        for segment in detail["segments"]:
            inside = segment["end_s"] >= item["start_s"] and segment["start_s"] <= item["end_s"]
            who = f"{widgets.inert(segment['speaker'])}: " if segment.get("speaker") else ""
            line = f"`{widgets.clock(segment['start_s'])}` {who}{widgets.inert(segment['text'])}"
            st.markdown(f"**{line}**" if inside else line)
    st.subheader("Related insights from other podcasts")
    if not detail["related"]:
        st.caption(NO_RELATED)
    for n, related in enumerate(detail["related"]):
        with st.container(border=True):
            st.markdown(widgets.inert(related["text"]))
            st.caption(f"*{widgets.inert(titles.get(related['feed_id'], related['feed_id']))}* · "
                       f"{widgets.clock(related['start_s'])}")
            if open_related is not None:
                st.button("Details", key=f"{key}_related_{n}", on_click=open_related, args=(related["insight_id"],),
                          icon=":material/open_in_new:")


def _speaker_at(segments: list[dict], start_s: float | None) -> str | None:
    """Who is speaking where the insight starts (the transcript's last named speaker up to then)."""
    named = [s for s in segments if s.get("speaker") and s["start_s"] <= float(start_s or 0)]
    return named[-1]["speaker"] if named else None
