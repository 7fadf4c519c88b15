"""Search: insights and transcript segments by words and by meaning in one list; each result opens its detail."""

import streamlit as st

from ui import data, shell, widgets

shell.guard()

DETAIL_KEYS = {"insight": "detail_insight_id", "segment": "detail_segment_id"}
HEADINGS = {"insight": "Insight", "segment": "Transcript passage"}
KIND_BADGES = {"insight": ":blue-badge[insight]", "segment": ":gray-badge[transcript]"}


def _open(kind: str, item_id: str) -> None:
    for other, key in DETAIL_KEYS.items():
        st.session_state[key] = item_id if other == kind else None


def _detail(db: str) -> tuple[str, dict | None]:
    """The open result's kind and detail, if one is open."""
    if st.session_state[DETAIL_KEYS["segment"]]:
        return "segment", data.segment_detail(db, st.session_state[DETAIL_KEYS["segment"]])
    if st.session_state[DETAIL_KEYS["insight"]]:
        return "insight", data.insight_detail(db, st.session_state[DETAIL_KEYS["insight"]])
    return "insight", None


db = data.db_path()
st.title("Search")
widgets.stop_if_empty(data.ingest_status(db)["insights"], "insights to search")
titles = data.feed_titles(db)
query = st.text_input("Search insights and transcripts", key="search_query", placeholder="e.g. generics in Go",
                      help="Matches words (full-text) and meaning (semantic); both lists are merged into one ranking.")

results_col, detail_col = st.columns([1, 1], gap="large")
with results_col:
    hits = data.search_hits(db, query) if query.strip() else []
    if query.strip():
        st.caption(f"{len(hits)} result(s) for “{widgets.inert(query)}”, best first.")
    for n, hit in enumerate(hits):
        with st.container(border=True):
            st.markdown(f"{KIND_BADGES[hit['kind']]} {widgets.inert(hit['text'])}")
            st.caption(widgets.source_line(hit["feed_title"], hit["episode_title"], hit["audio_url"], hit["start_s"])
                       + f" · matched by {' and '.join(hit['matched_by'])}")
            st.button("Details", key=f"hit_{n}", on_click=_open, args=(hit["kind"], hit["id"]), icon=":material/open_in_new:")

with detail_col:
    kind, detail = _detail(db)
    if detail is None:
        st.caption("Open a result's details to see the transcript around it and related insights from other podcasts.")
    else:
        insight, episode = detail[kind], detail["episode"] or {}
        st.subheader(HEADINGS[kind])
        widgets.insight_card(insight["text"], titles.get(insight["feed_id"], insight["feed_id"]), episode.get("title") or "",
                             episode.get("audio_url"), insight["start_s"])
        widgets.add_to_brief_button(insight.get("insight_id"))  # a transcript passage has none
        if detail.get("topic"):
            st.caption(f"Topic: {widgets.inert(detail['topic']['label'])}")
        with st.expander("Transcript around it", expanded=True, icon=":material/subject:"):
            for segment in detail["segments"]:
                inside = segment["end_s"] >= insight["start_s"] and segment["start_s"] <= insight["end_s"]
                line = f"`{widgets.clock(segment['start_s'])}` {widgets.inert(segment['text'])}"
                st.markdown(f"**{line}**" if inside else line)
        st.subheader("Related insights from other podcasts")
        if not detail["related"]:
            st.caption("Nothing similar enough on other podcasts.")
        for n, item in enumerate(detail["related"]):
            with st.container(border=True):
                st.markdown(widgets.inert(item["text"]))
                podcast = widgets.inert(titles.get(item["feed_id"], item["feed_id"]))
                st.caption(f"*{podcast}* · {widgets.clock(item['start_s'])} · similarity {item['similarity']:.2f}")
                st.button("Details", key=f"related_{n}", on_click=_open, args=("insight", item["insight_id"]),
                          icon=":material/open_in_new:")
