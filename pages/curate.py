"""Curate (editors): the day's candidates with their scores; pin, exclude, reorder, rewrite, annotate; save or publish."""

import pandas as pd
import streamlit as st

from pipeline.engine import briefs
from pipeline.engine.weights import COMPONENTS
from pipeline.errors import PodbriefError
from ui import auth, data, shell, widgets

shell.guard()

db = data.db_path()
st.title("Curate")
widgets.show_flash()
editor = auth.editor_gate("curate briefs")
if not editor:
    st.stop()
latest = data.latest_date(db)
widgets.stop_if_empty(0 if latest is None else 1, "insights")

brief, _ = widgets.chosen_brief(db, latest)
day = brief.date
if brief.shortfall:
    st.caption(widgets.inert(brief.shortfall))

rows = [*brief.picks, *brief.alternates]
table = pd.DataFrame({
    "insight_id": [p.insight_id for p in rows],
    "position": pd.array([n + 1 if n < len(brief.picks) else None for n in range(len(rows))], dtype="Int64"),
    "pin": [p.pinned for p in rows],
    "exclude": [False] * len(rows),
    "text": [p.text for p in rows],
    "note": [p.note or "" for p in rows],
    "score": [p.score for p in rows],
    **{name: [p.components.get(name) for p in rows] for name in COMPONENTS},
    "show": [p.feed_title for p in rows],
    "episode": [p.episode_title for p in rows],
    "original": [p.original_text for p in rows],
}).astype({"insight_id": str, "pin": bool, "exclude": bool, "text": str, "note": str, "original": str})
excluded = (data.saved_brief(db, day) or {"excludes": []})["excludes"]
excluded_text = {i: (data.insight_detail(db, i) or {"insight": {"text": i}})["insight"]["text"] for i in excluded}

with st.form("curate"):
    st.caption("Picks first (by position), then the best of the rest. Pin an insight to put it in the brief; change "
               "positions to reorder; edit the text to reword it for the brief (the stored insight is kept).")
    edited = st.data_editor(
        table, key=f"curate_{day}_{brief.updated_at}", hide_index=True, num_rows="fixed",
        disabled=["score", *COMPONENTS, "show", "episode"],
        column_order=["position", "pin", "exclude", "text", "note", "score", *COMPONENTS, "show", "episode"],
        column_config={
            "position": st.column_config.NumberColumn("#", min_value=1, step=1, help="Order within the brief"),
            "pin": st.column_config.CheckboxColumn("Pin", help="Always in the brief"),
            "exclude": st.column_config.CheckboxColumn("Exclude", help="Never in this date's brief"),
            "text": st.column_config.TextColumn("Insight", width="large"),
            "note": st.column_config.TextColumn("Editor's note"),
            "score": st.column_config.ProgressColumn("Score", min_value=0.0, max_value=1.0, format="%.2f"),
            **{name: st.column_config.NumberColumn(name.capitalize(), format="%.2f") for name in COMPONENTS},
        },
    )
    keep_excluded = st.multiselect("Excluded (remove to allow again)", excluded, default=excluded,
                                   format_func=lambda i: excluded_text[i][:90])
    brief_note = st.text_area("Note on the whole brief", value=brief.note or "")
    draft_col, publish_col = st.columns(2)
    save_draft = draft_col.form_submit_button("Save draft", icon=":material/save:")
    publish = publish_col.form_submit_button("Publish", type="primary", icon=":material/publish:")

if save_draft or publish:
    chosen = edited[edited["position"].notna() & ~edited["exclude"]].sort_values("position", kind="stable")
    notes = dict(zip(edited["insight_id"], edited["note"], strict=True))
    notes[briefs.BRIEF_NOTE] = brief_note
    try:
        pinned = edited.loc[edited["pin"] & ~edited["exclude"], "insight_id"].tolist()
        items = list(dict.fromkeys([*chosen["insight_id"], *pinned]))
        briefs.save_brief(
            data.store(), day, items=items, pins=pinned,
            excludes=[*keep_excluded, *edited.loc[edited["exclude"], "insight_id"]],
            edits={i: text for i, text, original in zip(edited["insight_id"], edited["text"], edited["original"], strict=True)
                   if text != original and i in items},
            notes=notes, weights=brief.weights, editor=editor, expected_version=brief.version, publish=bool(publish),
        )
    except PodbriefError as exc:
        st.error(widgets.inert(str(exc)))
    else:
        data.clear_briefs()
        widgets.flash(f"{'Published' if publish else 'Saved a draft of'} the brief for {day}.")
        st.rerun()

st.subheader("Saved briefs")
saved_rows = data.saved_briefs(db)
if not saved_rows:
    st.caption("None yet.")
else:
    picked = st.dataframe(pd.DataFrame(saved_rows), hide_index=True, key="saved_briefs_table", on_select="rerun",
                          selection_mode="single-row",
                          column_order=["date", "status", "picks", "editor", "updated_at", "published_at"])
    chosen_rows = picked["selection"]["rows"]
    if chosen_rows:
        reopen = saved_rows[chosen_rows[0]]["date"]
        st.button(f"Reopen {reopen}", on_click=widgets.open_date, args=(reopen,), icon=":material/history:",
                  disabled=reopen == day)
    else:
        st.caption("Select a row to reopen that date.")
