"""Curate (editors): the exact list that goes out; reorder, add, exclude, reword, annotate, preview and publish it."""

import streamlit as st

from ui import auth, curate_view, data, draft, shell, widgets

shell.guard()

db = data.db_path()
st.title("Curate")
widgets.show_flash()
editor = auth.editor_gate("curate briefs")
if not editor:
    st.stop()
latest = data.latest_date(db)
widgets.stop_if_empty(0 if latest is None else 1, "insights")

date_col, status_col = st.columns([1, 2], vertical_alignment="bottom")
with date_col:
    day = widgets.date_picker(latest)
saved = data.current_version(db, day)  # read now, not cached: saving compares against this version
weights = widgets.weights_sidebar(db, saved["weights"] if saved else data.default_weights(db), day)
automatic = data.automatic(db, day, weights.to_json())
automatic_ids = [p.insight_id for p in automatic.picks]
if draft.follow(day, saved, automatic_ids):
    st.info(f"{widgets.inert(saved['editor'] or 'Another editor')} saved version {saved['version']} "
            f"{widgets.human_time(saved['updated_at'])}; this is it.", icon=":material/sync:")
working = draft.current(day)
brief = data.composed(db, day, draft.key_of(working), weights.to_json())

with status_col:
    widgets.brief_status(saved)
widgets.offer_latest_date(brief, latest)
curate_view.stale_notice(day, working, saved, automatic_ids)
curate_view.actions(db, day, working, weights, saved, editor, automatic_ids)

list_tab, preview_tab, changes_tab, history_tab = st.tabs(["The brief", "Preview", "Changes", "History"])
with list_tab:
    curate_view.item_list(day, working, brief)
    curate_view.brief_notes(day, working)
    curate_view.candidates(db, day, working, brief)
with preview_tab:
    content, weights_json = draft.key_of(working), weights.to_json()
    curate_view.preview(day, data.composed_markdown(db, day, content, weights_json),
                        data.composed_email(db, day, content, weights_json))
with changes_tab:
    curate_view.changes(working, brief, automatic)
with history_tab:
    curate_view.history(day)

curate_view.saved_briefs(db, day)
