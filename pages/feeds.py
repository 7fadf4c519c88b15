"""Feeds: add feeds (previewed first) or an OPML file, pause, re-weight or remove them, run ingestion, see every episode."""

import streamlit as st

from pipeline.ingest import catalog
from ui import auth, data, feed_admin, feed_tables, index_admin, jobs, shell, widgets

shell.guard()

EPISODES_PER_PAGE = 100

db = data.db_path()
st.title("Feeds")
if auth.current_editor():  # where the store lives is for editors, not for every visitor
    st.caption(f"Store: {widgets.inert(db)}")
widgets.show_flash()
status = data.ingest_status(db)
episodes_by_state = status["episodes"]
cols = st.columns(len(catalog.STATES) + 2)
cols[0].metric("Feeds", status["feeds"])
for col, state in zip(cols[1:-1], catalog.STATES, strict=True):
    col.metric(f"Episodes {feed_tables.STATE_LABELS[state].lower()}", episodes_by_state[state])
cols[-1].metric("Insights", status["insights"])
if status["feeds"] == 0:
    st.info("No feeds yet. Add a feed by its web address or upload an OPML file, then start an ingestion run.",
            icon=":material/rss_feed:")


def _start_ingest() -> None:
    st.session_state.job_pid, st.session_state.job_log = jobs.start_job(db, ["ingest"])


def _retry(episode_ids: list[str] | None) -> None:
    count = catalog.retry_failed(data.store(), episode_ids)
    data.clear_all()
    widgets.flash(f"{count} episode(s) queued again; the next ingestion run processes them.")


editor = auth.editor_gate("add feeds and run ingestion")
if editor:
    add_col, opml_col = st.columns(2)
    with add_col:
        feed_admin.feed_adder(db)
    with opml_col:
        feed_admin.opml_importer()

st.subheader("Ingestion")
pid, log_path = st.session_state.job_pid, st.session_state.job_log
running_now = bool(pid) and jobs.job_state(pid, log_path).running


def ingest_panel() -> None:
    """The ingestion run's state and log tail (redrawn every few seconds while it runs)."""
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
        st.error(f"Ingestion run {pid} could not ingest anything. The log below says why.")
    else:
        st.success(f"Ingestion run {pid} finished.")
    st.code(catalog.hide_credentials("\n".join(state.tail)) or "(no output yet)", language="log")
    if running_now and not state.running:
        data.clear_all()
        st.rerun()  # the run ended: refresh the counts and tables of the whole page


if editor:  # outside the fragment: starting a run reruns the whole page, which turns polling on
    st.button("Start ingestion run", on_click=_start_ingest, disabled=running_now, icon=":material/play_arrow:")
if pid:
    widgets.job_panel(ingest_panel, (pid, log_path))
else:
    st.caption("No ingestion run started from this page yet. Runs started elsewhere (a scheduled run, say) "
               "show up in the counts and tables below.")

feed_rows = data.feeds(db)
if any(not f["removed_at"] for f in feed_rows):
    st.subheader("Feeds")
    st.dataframe(feed_tables.feeds_frame(feed_rows, editor=bool(editor)), hide_index=True,
                 column_config={"Problem": st.column_config.TextColumn(width="large")})
    if editor:
        with st.expander("Pause, re-weight or remove a feed", icon=":material/tune:"):
            feed_admin.feed_manager(feed_rows)

    st.subheader("Episodes")
    titles = {f["feed_id"]: f["title"] or feed_tables.address(f["url"], editor=bool(editor)) for f in feed_rows}
    pick_col, state_col = st.columns(2)
    feed_id = pick_col.selectbox("Podcast", [None, *titles], format_func=lambda k: "All podcasts" if k is None else titles[k])
    state = state_col.selectbox("State", [None, *catalog.STATES],
                                format_func=lambda s: "Any state" if s is None else feed_tables.STATE_LABELS[s])
    if st.session_state["episodes_asked"] != (feed_id, state):  # another podcast or state starts at the first page
        st.session_state["episodes_asked"], st.session_state["episodes_page"] = (feed_id, state), 0
    page = st.session_state["episodes_page"]
    episode_rows, matching = data.episodes(db, feed_id, state, page=page, page_size=EPISODES_PER_PAGE)
    pages = max(1, -(-matching // EPISODES_PER_PAGE))
    if page >= pages:  # fewer episodes than when this page was chosen (some were removed)
        page = st.session_state["episodes_page"] = pages - 1
        episode_rows, matching = data.episodes(db, feed_id, state, page=page, page_size=EPISODES_PER_PAGE)
    if matching > EPISODES_PER_PAGE:
        st.caption(f"Episodes {page * EPISODES_PER_PAGE + 1:,}-{page * EPISODES_PER_PAGE + len(episode_rows):,} of "
                   f"{matching:,}, newest first. Choose a podcast or a state to narrow the list.")
    picked = st.dataframe(
        feed_tables.episodes_frame(episode_rows, titles), hide_index=True, key=f"episode_table_{page}", on_select="rerun",
        selection_mode="multi-row", column_config={"Note": st.column_config.TextColumn(width="large")},
    )
    widgets.pager("episodes_page", page, pages)
    failed_ids = [episode_rows[i]["episode_id"] for i in picked["selection"]["rows"] if episode_rows[i]["status"] == "failed"]
    if editor and episodes_by_state["failed"]:
        retry_all, retry_some = st.columns(2)
        retry_all.button(f"Retry all {episodes_by_state['failed']} failed", on_click=_retry, args=(None,),
                         icon=":material/replay:")
        retry_some.button(
            f"Retry {len(failed_ids)} selected", on_click=_retry, args=(failed_ids,), disabled=not failed_ids,
            help="Select failed episodes in the table above.",
        )
if editor:
    st.subheader("Search index")
    index_admin.rebuild_panel(db)
