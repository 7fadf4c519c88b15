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
    from ui import auth, shell, widgets

    SESSION_DEFAULTS: dict[str, object] = {
        shell.SHELL_KEY: True,  # pages check this to know app.py ran (see ui/shell.py)
        auth.EDITOR_KEY: None,  # name of the signed-in editor (when editing is protected)
        widgets.DATE_KEY: None,  # the date the Brief and Curate pages show; None: the latest date with insights
        widgets.WEIGHTS_KEY: None,  # the sidebar's ranking weights (JSON)
        widgets.WEIGHTS_FOR_KEY: None,  # the date whose saved weights the sidebar started from
        widgets.FLASH_KEY: None,  # a message to show after the rerun that follows a write
        "detail_insight_id": None,  # the insight, or the transcript segment, whose detail the Search page shows
        "detail_segment_id": None,
        "job_pid": None,  # the background ingestion job started from the Feeds page, and its log
        "job_log": None,
        "reader_email": None,  # the reader the Readers page shows
        "send_job": None,  # the sending run started from the Readers page: (pid, log path)
    }

    st.set_page_config(page_title="Podbrief", page_icon=":material/podcasts:", layout="wide")
    for key, value in SESSION_DEFAULTS.items():
        st.session_state.setdefault(key, value)

    page = st.navigation(shell.pages())

    auth.sign_out_button()
    page.run()
