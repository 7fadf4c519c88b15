"""Podbrief dashboard: navigation, session-state defaults and the shared sidebar.

Run with `streamlit run app.py`; the store is PODBRIEF_DB (default data/lancedb). `streamlit run` finds the
`st.App` below and serves the delivery routes (one-click unsubscribe, Atom feeds) beside the dashboard on the
same port; Streamlit then runs this file as the dashboard script, under the name `__main__`.
"""

import streamlit as st

if __name__ != "__main__":  # imported by `streamlit run` (uvicorn): the dashboard and its HTTP routes as one app
    from pipeline.delivery.web import routes

    app = st.App(__file__, routes=routes())
else:  # the dashboard script; its imports stay here so that serving the routes loads no page code
    from ui import auth, draft, feed_admin, media, shell, widgets

    SESSION_DEFAULTS: dict[str, object] = {
        shell.SHELL_KEY: True,  # pages check this to know app.py ran (see ui/shell.py)
        auth.EDITOR_KEY: None,  # name of the signed-in editor
        widgets.DATE_KEY: None,  # the date the Brief and Curate pages show; None: the latest date with insights
        widgets.WEIGHTS_KEY: None,  # the sidebar's ranking weights (JSON)
        widgets.WEIGHTS_FOR_KEY: None,  # the date whose saved weights the sidebar started from
        widgets.FLASH_KEY: None,  # a message to show after the rerun that follows a write
        draft.DRAFT_KEY: {},  # date -> the editor's working copy of that date's brief (ids and texts; see ui/draft.py)
        draft.UNDO_KEY: {},  # date -> earlier working copies, for Undo
        "detail_insight_id": None,  # the insight, or the transcript segment, whose detail the Search page shows
        "detail_segment_id": None,
        "search_asked": None,  # the query and filters the Search page's results are for, and which page of them it shows
        "search_page": 0,
        "episodes_asked": None,  # the podcast and state the Feeds page's episode list is for, and which page it shows
        "episodes_page": 0,
        media.PLAYING_KEY: None,  # the one insight or passage whose audio player is open
        "explore_insight_id": None,  # the insight whose detail the Explore page shows
        "topics_job": None,  # a re-clustering started from the Explore page: (pid, log)
        "topics_job_seen": None,  # the re-clustering whose end the page has already shown
        "job_pid": None,  # the background ingestion job started from the Feeds page, and its log
        "job_log": None,
        feed_admin.PREVIEW_KEY: None,  # the feed address whose preview the Feeds page shows
        "reader_email": None,  # the reader the Readers page shows
        "send_job": None,  # the sending run started from the Readers page: (pid, log path)
        "index_job": None,  # the search index rebuild started from the Feeds page: (pid, log path)
    }

    st.set_page_config(page_title="Podbrief", page_icon=":material/podcasts:", layout="wide")
    for key, value in SESSION_DEFAULTS.items():
        st.session_state.setdefault(key, value)

    page = st.navigation(shell.pages())

    auth.sign_out_button()
    page.run()
