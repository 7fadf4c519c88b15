"""Search: insights and transcript passages by words and by meaning, filtered, highlighted, 20 to a page; each
result plays from its timestamp and opens its detail."""

from datetime import date

import pandas as pd
import streamlit as st

from ui import data, insight_view, media, shell, tables, widgets

shell.guard()

PAGE_SIZE = 20
DETAIL_KEYS = {"insight": "detail_insight_id", "segment": "detail_segment_id"}
KIND_BADGES = {"insight": ":blue-badge[insight]", "segment": ":gray-badge[transcript]"}
SHOW = {"Insights and passages": ("insight", "segment"), "Insights": ("insight",), "Transcript passages": ("segment",)}


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
topic_names = {t["topic_id"]: t["label"] for t in data.topic_list(db)}
first, last = data.published_range(db)
query = st.text_input("Search insights and transcripts", key="search_query", placeholder="e.g. generics in Go",
                      help="Matches words and meaning; both are merged into one ranking.")
podcast_col, range_col, topic_col, kind_col = st.columns([2, 2, 2, 2])
podcasts = podcast_col.multiselect("Podcasts", list(titles), format_func=titles.get, placeholder="All podcasts",
                                   key="search_podcasts")
picked = range_col.date_input("Published between", value=(first, last), min_value=first, max_value=last,
                              format="YYYY-MM-DD", key="search_dates")
start, end = (picked[0], picked[-1]) if picked else (first, last)
topics = topic_col.multiselect("Topics", list(topic_names), format_func=topic_names.get, placeholder="All topics",
                               key="search_topics", help="Transcript passages have no topic: choosing one shows insights only.")
show = kind_col.selectbox("Show", list(SHOW), key="search_show")
dates = (None if start == first else start.isoformat(), None if end == last else end.isoformat())
asked = (query.strip(), tuple(podcasts), dates, tuple(topics), SHOW[show])
if st.session_state["search_asked"] != asked:  # a new query or filter starts again at the first page
    st.session_state["search_asked"], st.session_state["search_page"] = asked, 0

results_col, detail_col = st.columns([1, 1], gap="large")
with results_col:
    hits = data.search_hits(db, *asked) if query.strip() else []
    pages = max(1, -(-len(hits) // PAGE_SIZE))
    page = min(st.session_state["search_page"], pages - 1)
    if query.strip() and not hits:
        st.info(f"No close match for “{widgets.inert(query)}”. Try other words, or widen the filters.",
                icon=":material/search_off:")
    elif hits:
        st.caption(f"{len(hits)} result(s) for “{widgets.inert(query)}”, best first · page {page + 1} of {pages}.")
    for n, hit in enumerate(hits[page * PAGE_SIZE:(page + 1) * PAGE_SIZE], start=page * PAGE_SIZE):
        with st.container(border=True):
            st.markdown(f"{KIND_BADGES[hit['kind']]} {tables.highlight(hit['text'], query)}")
            note = " · also in the transcript" if hit["in_transcript"] else ""
            st.caption(widgets.source_line(hit["feed_title"], hit["episode_title"], hit["audio_url"], hit["start_s"],
                                           episode_link=hit["episode_link"], speaker=hit["speaker"])
                       + f" · matched by {' and '.join(hit['matched_by'])}{note}")
            details, play = st.columns([1, 2])
            details.button("Details", key=f"hit_{n}", on_click=_open, args=(hit["kind"], hit["id"]),
                           icon=":material/open_in_new:")
            with play:
                media.play_from_here(hit["audio_url"], hit["start_s"], f"hit_{hit['kind']}_{hit['id']}", quiet=True)
    widgets.pager("search_page", page, pages)
    if hits:
        frame = pd.DataFrame(hits).assign(podcast=lambda f: f["feed_title"], episode=lambda f: f["episode_title"],
                                          topic=lambda f: f["topic_id"].map(topic_names))
        tables.export_buttons(tables.export_frame(frame), f"podbrief-search-{date.today().isoformat()}", key="search_export")

with detail_col:
    kind, detail = _detail(db)
    if detail is None:
        st.caption("Open a result's details to see the transcript around it and related insights from other podcasts.")
    else:
        insight_view.detail_panel(kind, detail, titles, key="search", open_related=lambda i: _open("insight", i))
