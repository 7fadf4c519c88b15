"""Feeds: add feeds or an OPML file, run ingestion in the background, see every feed's and episode's state."""

import pandas as pd
import streamlit as st

from pipeline.errors import PodbriefError
from pipeline.ingest import catalog
from ui import auth, data, jobs, shell, widgets

shell.guard()

POLL_S = 2

db = data.db_path()
st.title("Feeds")
st.caption(f"Store: {widgets.inert(db)}")
widgets.show_flash()
status = data.ingest_status(db)
episodes_by_state = status["episodes"]
cols = st.columns(len(catalog.STATES) + 2)
cols[0].metric("Feeds", status["feeds"])
for col, state in zip(cols[1:-1], catalog.STATES, strict=True):
    col.metric(f"Episodes {state}", episodes_by_state[state])
cols[-1].metric("Insights", status["insights"])
if status["feeds"] == 0:
    st.info("No feeds yet. Add a feed by URL or upload an OPML file, then start an ingestion run.", icon=":material/rss_feed:")


def _add_urls(text: str) -> None:
    urls = [line.strip() for line in text.splitlines() if line.strip()]
    if not urls:
        st.warning("Paste at least one feed URL, one per line.")
        return
    try:
        rows = catalog.add_feeds(data.store(), urls)
    except PodbriefError as exc:
        st.error(widgets.inert(str(exc)))
        return
    _saved(f"{len(rows)} feed(s) added or already present. Start an ingestion run to fetch their episodes.")


def _import_opml(upload: object) -> None:
    if upload is None:
        st.warning("Choose an OPML file first.")
        return
    try:
        rows = catalog.import_opml(data.store(), upload.getvalue()).feeds  # type: ignore[attr-defined]
    except PodbriefError as exc:
        st.error(widgets.inert(str(exc)))
        return
    _saved(f"{len(rows)} feed(s) imported from the OPML file. Start an ingestion run to fetch their episodes.")


def _saved(message: str) -> None:
    data.clear_all()
    widgets.flash(message)
    st.rerun()


def _start_ingest() -> None:
    st.session_state.job_pid, st.session_state.job_log = jobs.start_job(db, ["ingest"])


def _retry(episode_ids: list[str] | None) -> None:
    count = catalog.retry_failed(data.store(), episode_ids)
    data.clear_all()
    widgets.flash(f"{count} episode(s) queued again; the next ingestion run processes them.")


editor = auth.editor_gate("add feeds and run ingestion")
if editor:
    add_col, opml_col = st.columns(2)
    with add_col, st.form("add_feed", clear_on_submit=True):
        urls = st.text_area("Feed URLs, one per line", placeholder="https://example.com/podcast.rss")
        if st.form_submit_button("Add feeds", icon=":material/add:"):
            _add_urls(urls)
    with opml_col, st.form("import_opml", clear_on_submit=True):
        opml = st.file_uploader("OPML export from a podcast app", type=["opml", "xml"])
        if st.form_submit_button("Import OPML", icon=":material/upload_file:"):
            _import_opml(opml)

st.subheader("Ingestion")
pid, log_path = st.session_state.job_pid, st.session_state.job_log
running_now = bool(pid) and jobs.job_state(pid, log_path).running


@st.fragment(run_every=POLL_S if running_now else None)
def job_panel() -> None:
    """The background job's state and log tail, refreshed every few seconds while it runs."""
    if not pid:
        st.caption("No ingestion run started from this session yet. Runs from a shell (`python -m pipeline ingest`) "
                   "show up in the counts and tables below.")
    else:
        state = jobs.job_state(pid, log_path)
        if state.running:
            progress = state.progress
            if progress:
                stage, done, total, item = progress
                st.progress(done / total if total else 0.0, text=f"{stage}: {done}/{total}")
                st.text(item)
            else:
                st.info(f"Ingestion run {pid} is starting…", icon=":material/hourglass_top:")
        elif state.returncode not in (0, None):
            st.error(f"Ingestion run {pid} failed (exit code {state.returncode}). The log below says why.")
        else:
            st.success(f"Ingestion run {pid} finished.")
        st.code("\n".join(state.tail) or "(no output yet)", language="log")
        st.caption(f"Log: {widgets.inert(log_path)}")
        if running_now and not state.running:
            data.clear_all()
            st.rerun()  # the run ended: refresh the counts and tables of the whole page


if editor:  # outside the fragment: starting a run reruns the whole page, which turns polling on
    st.button("Start ingestion run", on_click=_start_ingest, disabled=running_now, icon=":material/play_arrow:")
job_panel()

feed_rows = data.feeds(db)
if feed_rows:
    st.subheader("Feeds")
    table = pd.DataFrame(
        {
            "title": [f["title"] or "(not fetched yet)" for f in feed_rows],
            "url": [f["url"] for f in feed_rows],
            "episodes": [sum(f["episodes"].values()) for f in feed_rows],
            "extracted": [f["episodes"].get("extracted", 0) for f in feed_rows],
            "failed": [f["episodes"].get("failed", 0) for f in feed_rows],
            "last polled": [f["last_polled"] for f in feed_rows],
            "last error": [f["last_error"] or "" for f in feed_rows],
        }
    )
    st.dataframe(table, hide_index=True, column_config={"url": st.column_config.LinkColumn("url")})

    st.subheader("Episodes")
    titles = {f["feed_id"]: f["title"] or f["url"] for f in feed_rows}
    pick_col, state_col = st.columns(2)
    feed_id = pick_col.selectbox("Feed", [None, *titles], format_func=lambda k: "All feeds" if k is None else titles[k])
    state = state_col.selectbox("State", [None, *catalog.STATES], format_func=lambda s: "Any state" if s is None else s)
    episode_rows = data.episodes(db, feed_id, state)
    episode_table = pd.DataFrame(
        {
            "episode_id": [e["episode_id"] for e in episode_rows],
            "podcast": [titles.get(e["feed_id"], "") for e in episode_rows],
            "title": [e["title"] for e in episode_rows],
            "published": [e["published"] for e in episode_rows],
            "state": [e["status"] for e in episode_rows],
            "transcript": [e["transcript_source"] or "" for e in episode_rows],
            "attempts": [e["attempts"] or 0 for e in episode_rows],
            "error": [e["error"] or "" for e in episode_rows],
        }
    )
    picked = st.dataframe(
        episode_table, hide_index=True, key="episode_table", on_select="rerun", selection_mode="multi-row",
        column_config={"episode_id": None},
    )
    failed_ids = [episode_rows[i]["episode_id"] for i in picked["selection"]["rows"] if episode_rows[i]["status"] == "failed"]
    if editor and episodes_by_state["failed"]:
        retry_all, retry_some = st.columns(2)
        retry_all.button(f"Retry all {episodes_by_state['failed']} failed", on_click=_retry, args=(None,),
                         icon=":material/replay:")
        retry_some.button(
            f"Retry {len(failed_ids)} selected", on_click=_retry, args=(failed_ids,), disabled=not failed_ids,
            help="Select failed episodes in the table above.",
        )

failures = [f for f in status["failures"] if not f.get("episode")]
if failures:
    st.subheader("Feed errors")
    st.dataframe(pd.DataFrame(failures)[["feed", "error"]], hide_index=True)
