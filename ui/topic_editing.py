"""Editors rename and merge topics, and re-cluster on demand, from the Explore page; names and merges survive
re-clustering (pipeline/engine/topic_names.py)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from pipeline.engine import topic_edits
from pipeline.errors import PodbriefError
from ui import auth, data, jobs, widgets

JOB_KEY = "topics_job"


def panel(db: str, topics: list[dict]) -> None:
    """The editor's tools for topics, behind the editor sign-in."""
    with st.expander("Rename or merge topics", icon=":material/edit:"):
        editor = auth.editor_gate("rename or merge topics")
        if editor is None:
            return
        names = {t["topic_id"]: f"{t['label']} ({t['size']})" for t in topics}
        with st.form("rename_topic"):
            topic_id = st.selectbox("Topic", list(names), format_func=names.get, key="rename_topic_id")
            name = st.text_input("New name", max_chars=topic_edits.MAX_NAME_CHARS, key="rename_topic_name")
            if st.form_submit_button("Rename", icon=":material/edit:"):
                _apply(lambda: topic_edits.rename_topic(data.store(), topic_id, name, editor=editor),
                       "Renamed the topic to “{label}”. Its name stays when topics are re-clustered.")
        with st.form("merge_topics"):
            keep = st.selectbox("Keep", list(names), format_func=names.get, key="merge_keep")
            other = st.selectbox("Fold into it", list(names), index=min(1, len(names) - 1), format_func=names.get,
                                 key="merge_other")
            if st.form_submit_button("Merge", icon=":material/merge:"):
                _apply(lambda: topic_edits.merge_topics(data.store(), keep, other, editor=editor),
                       "Merged: “{label}” now holds {size} insights, and stays one topic when re-clustered.")
        recluster(db)
    if st.session_state[JOB_KEY]:  # outside the expander, so it shows while the expander is closed
        widgets.job_panel(_job_status, st.session_state[JOB_KEY])


def _apply(change: Callable[[], dict], message: str) -> None:
    """Make one topic change, then show the message and the new topics (or say why it was refused)."""
    try:
        topic = change()
    except PodbriefError as exc:
        st.error(widgets.inert(str(exc)))
        return
    data.clear_topics()
    widgets.flash(message.format(label=widgets.inert(topic["label"]), size=topic["size"]))
    st.rerun()


def recluster(db: str) -> None:
    """Re-cluster every insight now, as a background job, and show when it is done."""
    running = st.session_state[JOB_KEY] and jobs.job_state(*st.session_state[JOB_KEY]).running
    if st.button("Re-cluster topics now", disabled=bool(running), icon=":material/bubble_chart:",
                 help="Groups every insight afresh; editors' names and merges are kept."):
        st.session_state[JOB_KEY] = jobs.start_job(db, ["topics", "--rebuild"])


def _job_status() -> None:
    pid, log = st.session_state[JOB_KEY]
    state = jobs.job_state(pid, log)
    finished = widgets.job_outcome(state, running="Re-clustering topics…", failed="Re-clustering failed: ",
                                   done="Re-clustering finished. " + widgets.inert(state.tail[-1] if state.tail else ""))
    if finished and st.session_state.get("topics_job_seen") != pid:  # show the new topics once, after the job ends
        st.session_state["topics_job_seen"] = pid
        data.clear_topics()
        st.rerun(scope="app")
