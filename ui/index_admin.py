"""An editor rebuilds the search index from the Feeds page, as a background job; searches keep working meanwhile."""

from __future__ import annotations

import streamlit as st

from ui import jobs, widgets

JOB_KEY = "index_job"
SEEN_KEY = "index_job_seen"  # the job whose end the page has been redrawn for


def rebuild_panel(db: str) -> None:
    """The "Rebuild the search index" button and, once started, how the rebuild is going."""
    job = st.session_state[JOB_KEY]
    running = bool(job) and jobs.job_state(*job).running
    if st.button("Rebuild the search index", disabled=running, icon=":material/manage_search:",
                 help="Builds afresh the index that finds similar insights. Searches keep working while it runs."):
        st.session_state[JOB_KEY] = jobs.start_job(db, ["reindex"])
        st.rerun()
    if st.session_state[JOB_KEY]:
        widgets.job_panel(_job_status, st.session_state[JOB_KEY])


def _job_status() -> None:
    job = st.session_state[JOB_KEY]
    state = jobs.job_state(*job)
    step = f": {state.progress[3]}" if state.progress and state.progress[3] else "…"
    widgets.job_outcome(state, running="Rebuilding the search index" + widgets.inert(step),
                        failed="Rebuilding the search index failed: ",
                        done=widgets.inert(state.tail[-1].capitalize() if state.tail else "The search index was rebuilt."))
    if not state.running and st.session_state.get(SEEN_KEY) != job:  # once it ends, enable the button again
        st.session_state[SEEN_KEY] = job
        st.rerun(scope="app")
