"""The Feeds page's editor tools: add a feed after previewing it, import OPML, pause, re-weight and remove feeds."""

from __future__ import annotations

import streamlit as st

from pipeline.errors import PodbriefError
from pipeline.ingest import catalog, subscriptions
from ui import data, widgets
from ui.feed_tables import day

PREVIEW_KEY = "feed_preview_url"  # the address whose preview is shown; None: none asked for
URL_INPUT = "feed_url_input"
KEEP, DELETE = "Keep them (they stay searchable and in briefs)", "Delete them"
REFUSED_SHOWN = 5


def feed_adder(db: str) -> None:
    """Type an address, preview what the feed holds, then add it; a refused feed says why and the address stays."""
    with st.form("preview_feed"):
        url = st.text_input("Feed address", placeholder="https://example.com/podcast.rss", key=URL_INPUT,
                            help="The address of the podcast's RSS feed, starting with https:// or http://.")
        if st.form_submit_button("Preview", icon=":material/preview:"):
            st.session_state[PREVIEW_KEY] = url.strip() or None
            data.feed_preview.clear(db, url.strip())  # asked again: read the feed again
            if not url.strip():
                st.warning("Type the address of a feed first.")
    address = st.session_state[PREVIEW_KEY]
    if not address:
        return
    preview, error = data.feed_preview(db, address)
    if preview is None:
        st.error(f"This feed cannot be added. {widgets.inert(catalog.hide_credentials(error))}", icon=":material/block:")
        return
    with st.container(border=True):
        st.markdown(f"**{widgets.inert(preview.title)}**" + (f" · {widgets.inert(preview.author)}" if preview.author else ""))
        transcripts = f"{preview.with_transcript} with a transcript from the publisher"
        audio = f"{preview.audio_only} with audio only (turned into text by speech recognition)"
        st.markdown(f"{preview.episodes} episodes: {transcripts}, {audio}.")
        st.caption(f"Newest episode: {day(preview.newest) or 'no date given'}.")
        if preview.known:
            st.info("This feed is already in the list.", icon=":material/check:")
        else:
            st.button("Add this feed", on_click=_add, args=(db, address), type="primary", icon=":material/add:")


def _add(db: str, address: str) -> None:
    preview, _ = data.feed_preview(db, address)
    if preview is None:
        return
    subscriptions.add_previewed(data.store(), preview)
    st.session_state[PREVIEW_KEY] = None
    st.session_state[URL_INPUT] = ""
    data.clear_all()
    widgets.flash(f"Added {widgets.inert(preview.title)}. Start an ingestion run to take its newest episodes.")


def opml_importer() -> None:
    """Upload a podcast app's OPML export; web addresses are added, anything else is listed as refused."""
    with st.form("import_opml", clear_on_submit=True):
        upload = st.file_uploader("OPML export from a podcast app", type=["opml", "xml"])
        if not st.form_submit_button("Import OPML", icon=":material/upload_file:"):
            return
    if upload is None:
        st.warning("Choose an OPML file first.")
        return
    try:
        imported = catalog.import_opml(data.store(), upload.getvalue(), via="page")
    except PodbriefError as exc:
        st.error(widgets.inert(str(exc)))
        return
    message = f"Imported {len(imported.feeds)} feed(s). Start an ingestion run to take their newest episodes."
    if imported.refused:
        shown = "\n".join(f"- {widgets.inert(catalog.hide_credentials(line))}" for line in imported.refused[:REFUSED_SHOWN])
        more = len(imported.refused) - REFUSED_SHOWN
        message += f"\n\n{len(imported.refused)} entries were not added:\n{shown}" + (f"\n- and {more} more" if more > 0 else "")
    data.clear_all()
    widgets.flash(message, kind="warning" if imported.refused else "success")
    st.rerun()


def feed_manager(feed_rows: list[dict]) -> None:
    """Pause or resume a feed, change its weight, or remove it (its episodes kept or deleted, confirmed)."""
    feeds = {f["feed_id"]: f for f in feed_rows if not f["removed_at"]}
    if not feeds:
        return
    feed_id = st.selectbox("Feed", list(feeds), format_func=lambda k: feeds[k]["title"] or feeds[k]["url"], key="manage_feed")
    feed = feeds[feed_id]
    pause_col, weight_col, remove_col = st.columns(3)
    with pause_col:
        if feed["paused"]:
            st.caption("Paused: ingestion skips it.")
            st.button("Resume", on_click=_pause, args=(feed_id, False), icon=":material/play_arrow:")
        else:
            st.caption("Followed: each ingestion run checks it for new episodes.")
            st.button("Pause", on_click=_pause, args=(feed_id, True), icon=":material/pause:")
    with weight_col, st.form("reweight_feed"):
        weight = st.number_input("Weight in the daily picks", 0.0, subscriptions.MAX_WEIGHT, step=0.1,
                                 value=1.0 if feed["weight"] is None else float(feed["weight"]),
                                 help="1 is normal, 2 counts its insights double, 0 keeps them out of the picks.")
        if st.form_submit_button("Save weight"):
            subscriptions.set_weight(data.store(), feed_id, weight)
            _done(f"Weight of {widgets.inert(feed['title'] or 'the feed')} is now {weight:g}.")
    with remove_col, st.form("remove_feed"):
        choice = st.radio("Its episodes and insights", [KEEP, DELETE])
        sure = st.checkbox("Yes, stop following this feed")
        if st.form_submit_button("Remove feed", icon=":material/delete:"):
            if not sure:
                st.warning("Tick the box to confirm the removal.")
            else:
                _remove(feed_id, keep=choice == KEEP)


def _pause(feed_id: str, paused: bool) -> None:
    subscriptions.set_paused(data.store(), feed_id, paused)
    data.clear_all()
    widgets.flash("Paused: ingestion runs skip it until you resume it." if paused else "Resumed: the next run checks it.")


def _remove(feed_id: str, *, keep: bool) -> None:
    try:
        removal = subscriptions.remove_feed(data.store(), feed_id, keep_episodes=keep)
    except PodbriefError as exc:
        st.error(widgets.inert(str(exc)))
        return
    message = f"Removed {widgets.inert(removal.title)}."
    if not keep:
        message += f" Deleted {removal.episodes} episode(s) and {removal.insights} insight(s)."
        if removal.kept_insights:
            message += f" Kept {removal.kept_insights} insight(s) that saved briefs use."
    _done(message)


def _done(message: str) -> None:
    data.clear_all()
    widgets.flash(message)
    st.rerun()
