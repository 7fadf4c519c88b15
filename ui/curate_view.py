"""The parts of the Curate page: the editor's list with its controls, the candidates, preview, changes and history.

Every control changes the session's working copy (ui/draft.py) through a callback; only Save and Publish write,
and they write exactly the working copy, comparing it against the version it started from.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline.engine import briefs
from pipeline.engine.rank import Brief, Pick
from pipeline.engine.weights import Weights
from pipeline.errors import PodbriefError, StaleBriefError
from ui import data, draft, widgets

STATUS_WORDS = {"draft": "Draft", "published": "Published"}
SAVED_KEY = "saved_briefs_table"
HISTORY_KEY = "brief_history_table"
CHANGE_WORDS = {"added": "Added by you", "moved": "Moved", "left out": "Left out"}


# -- saving ----------------------------------------------------------------------------------------------------


def stale_notice(day: str, working: draft.Draft, saved: dict | None, automatic: list[str]) -> None:
    """When someone else saved a newer version while this copy has unsaved changes, say so and offer the ways out."""
    version = saved["version"] if saved else None
    if saved is None or working["base"] == version:
        return
    st.warning(f"{widgets.inert(saved['editor'] or 'Another editor')} saved version {version} "
               f"{widgets.human_time(saved['updated_at'])}, after you started. Your changes below are not saved: "
               "reload to see their version (this drops your changes), or keep yours and save it as the next version.",
               icon=":material/group:")
    reload_col, keep_col = st.columns(2)
    reload_col.button("Reload their version", on_click=draft.load, args=(draft.from_saved(day, saved, automatic),),
                      icon=":material/refresh:", key="reload_theirs")
    keep_col.button("Keep mine", on_click=draft.change, args=(day, _rebase, version), icon=":material/edit:",
                    key="keep_mine", help="Your list becomes the next version when you save; theirs stays in the history.")


def _rebase(working: draft.Draft, version: int) -> draft.Draft:
    return {**working, "base": version, "origin": ""}  # saving now goes on from their version, and is a change


def actions(db: str, day: str, working: draft.Draft, weights: Weights, saved: dict | None, editor: str,
            automatic: list[str]) -> None:
    """Undo, Save draft, Publish, and starting again from the automatic picks; saving errors are shown here."""
    changed = draft.unsaved(working) or saved is None or weights != saved["weights"]
    undo_col, save_col, publish_col, reset_col = st.columns([1, 1, 1, 2])
    undo_col.button("Undo", on_click=draft.undo, args=(day,), disabled=not draft.can_undo(day), icon=":material/undo:",
                    help="Take back your last change")
    save = save_col.button("Save draft", icon=":material/save:", disabled=not changed,
                           help="Only editors see a draft; it keeps the sidebar weights too")
    publish = publish_col.button("Publish", type="primary", icon=":material/publish:", disabled=not working["items"],
                                 help="Readers get exactly the list below, in this order")
    reset_col.button("Start again from the automatic picks", on_click=draft.change,
                     args=(day, draft.replace_items, automatic), icon=":material/auto_awesome:",
                     disabled=working["items"] == automatic)
    if saved is not None:  # else the status above says nothing is saved yet
        st.caption("You have unsaved changes." if changed else "Everything here is saved.")
    if save or publish:
        _save(db, day, working, weights, editor, publish=publish)


def _save(db: str, day: str, working: draft.Draft, weights: Weights, editor: str, *, publish: bool) -> None:
    try:
        stored = briefs.save_brief(data.store(), day, **draft.content(working), weights=weights, editor=editor,
                                   expected_version=working["base"], publish=publish)
    except StaleBriefError as exc:
        if exc.changed_at is None:  # the version it started from is gone (the store was replaced)
            st.error(f"Not saved: {widgets.inert(str(exc))}", icon=":material/sync_problem:")
        else:
            st.error(f"Not saved: the brief was changed by someone else at {widgets.clock_time(exc.changed_at)}: "
                     f"reload to see version {exc.version} by {widgets.inert(exc.editor or 'another editor')}. Your "
                     "changes are still here.", icon=":material/sync_problem:")
        return
    except PodbriefError as exc:
        st.error(f"Not saved: {widgets.inert(str(exc))}", icon=":material/error:")
        return
    draft.load(draft.from_saved(day, data.current_version(db, day), []), keep_undo=True)
    data.clear_briefs()
    done = "Published" if publish else "Saved a draft of"
    widgets.flash(f"{done} the brief for {day} (version {stored.version}, {len(stored.picks)} insights).")
    st.rerun()


# -- the list --------------------------------------------------------------------------------------------------


def item_list(day: str, working: draft.Draft, brief: Brief) -> None:
    """The exact list that will go out, numbered, each with its controls."""
    if brief.missing:
        st.warning(f"{len(brief.missing)} insight(s) in this list are no longer stored (their episode was processed "
                   "again); they are left out.", icon=":material/warning:")
        st.button("Take them off the list", on_click=draft.change, args=(day, draft.replace_items,
                                                                         [p.insight_id for p in brief.picks]))
    if not brief.picks:
        st.info("The list is empty. Add insights from the candidates below, or from Search or Explore.",
                icon=":material/info:")
    for n, pick in enumerate(brief.picks):
        _item(day, working, pick, n, len(brief.picks))


def _item(day: str, working: draft.Draft, pick: Pick, n: int, count: int) -> None:
    insight_id, rev = pick.insight_id, working["rev"]
    with st.container(border=True, key=f"item_{insight_id}"):
        badges = [":violet-badge[:material/push_pin: pinned]" if pick.pinned else "",
                  ":orange-badge[reworded]" if insight_id in working["edits"] else ""]
        st.markdown(f"**{n + 1}.** {widgets.inert(pick.text)} {' '.join(b for b in badges if b)}")
        st.caption(widgets.source_line(pick.feed_title, pick.episode_title, pick.audio_url, pick.start_s))
        if pick.note:
            st.caption(f"Note to readers: {widgets.inert(pick.note)}")
        if pick.internal_note:
            st.caption(f":material/lock: Internal note: {widgets.inert(pick.internal_note)}")
        controls = st.columns(5)
        controls[0].button("Up", key=f"up_{insight_id}", on_click=draft.change, args=(day, draft.move, insight_id, -1),
                           disabled=n == 0, icon=":material/arrow_upward:", type="tertiary")
        controls[1].button("Down", key=f"down_{insight_id}", on_click=draft.change,
                           args=(day, draft.move, insight_id, 1), disabled=n == count - 1,
                           icon=":material/arrow_downward:", type="tertiary")
        controls[2].button("Unpin" if pick.pinned else "Pin", key=f"pin_{insight_id}", on_click=draft.change,
                           args=(day, draft.toggle_pin, insight_id), icon=":material/push_pin:", type="tertiary",
                           help="A pinned insight stays in every reader's brief, whatever their interests")
        controls[3].button("Remove", key=f"remove_{insight_id}", on_click=draft.change,
                           args=(day, draft.remove, insight_id), icon=":material/remove_circle:", type="tertiary",
                           help="Back to the candidates")
        controls[4].button("Exclude", key=f"exclude_{insight_id}", on_click=draft.change,
                           args=(day, draft.remove, insight_id, True), icon=":material/block:", type="tertiary",
                           help="Never in this day's brief, nor in any reader's")
        with st.expander("Edit the line and notes", icon=":material/edit:"):
            _text_area(day, "edits", insight_id, f"line_{insight_id}_{rev}", "Line readers see", pick.text,
                       pick.original_text)
            if insight_id in working["edits"]:
                st.caption(f"Originally: {widgets.inert(pick.original_text)}")
            _text_area(day, "notes", insight_id, f"note_{insight_id}_{rev}", "Note to readers (published with it)",
                       pick.note or "")
            _text_area(day, "internal_notes", insight_id, f"internal_{insight_id}_{rev}",
                       "Internal note (only editors see it)", pick.internal_note or "")
        with st.expander("Why is this here?", icon=":material/help:"):
            widgets.why(pick)


def _text_area(day: str, field: str, insight_id: str, key: str, label: str, value: str, original: str = "") -> None:
    st.text_area(label, value=value, key=key, height=68, on_change=draft.change_text,
                 args=(day, field, insight_id, key, original))


def brief_notes(day: str, working: draft.Draft) -> None:
    """The public and the internal note on the whole brief."""
    rev = working["rev"]
    public, internal = st.columns(2)
    with public:
        _text_area(day, "notes", briefs.BRIEF_NOTE, f"brief_note_{rev}", "Note to readers at the top of the brief",
                   draft.note(working, "notes"))
    with internal:
        _text_area(day, "internal_notes", briefs.BRIEF_NOTE, f"brief_internal_{rev}",
                   "Internal note on this day (only editors see it)", draft.note(working, "internal_notes"))


def candidates(db: str, day: str, working: draft.Draft, brief: Brief) -> None:
    """The best insights not on the list, to add or exclude; then the excluded ones, to allow again."""
    st.subheader("More candidates")
    if not brief.alternates:
        st.caption("No other insights from this day's episodes.")
    for pick in brief.alternates:
        with st.container(border=True, key=f"candidate_{pick.insight_id}"):
            text_col, add_col, exclude_col = st.columns([6, 1, 1])
            text_col.markdown(f"{widgets.inert(pick.text)}")
            text_col.caption(widgets.source_line(pick.feed_title, pick.episode_title, pick.audio_url, pick.start_s)
                             + f" · score {pick.score:.2f}")
            add_col.button("Add", key=f"add_{pick.insight_id}", on_click=draft.change,
                           args=(day, draft.add, pick.insight_id), icon=":material/add:", type="tertiary")
            exclude_col.button("Exclude", key=f"exclude_candidate_{pick.insight_id}", on_click=draft.change,
                               args=(day, draft.remove, pick.insight_id, True), icon=":material/block:", type="tertiary")
    if working["excludes"]:
        st.subheader("Excluded")
        for insight_id in working["excludes"]:
            found = data.insight_detail(db, insight_id)
            text_col, allow_col = st.columns([6, 2])
            text_col.markdown(widgets.inert(found["insight"]["text"] if found else "An insight no longer stored"))
            allow_col.button("Allow again", key=f"allow_{insight_id}", on_click=draft.change,
                             args=(day, draft.allow, insight_id), icon=":material/undo:", type="tertiary")


# -- preview, changes, history ---------------------------------------------------------------------------------


def preview(day: str, markdown: str, email_html: str) -> None:
    """What readers get if the list is published now: the Markdown, rendered, with its source and a download, and the
    email as a reader with no interests of their own receives it."""
    st.caption("Exactly what readers get if you publish now.")
    markdown_tab, email_tab = st.tabs(["Markdown", "Email"])
    with email_tab:
        st.caption("As a reader with no interests of their own gets it; readers with interests get it re-ranked "
                   "around your pinned insights.")
        st.html(email_html)
    with markdown_tab:
        widgets.markdown_cards(markdown)
        st.download_button("Download this Markdown", data=markdown, file_name=f"podbrief-{day}-preview.md",
                           mime="text/markdown", on_click="ignore", icon=":material/download:")
        with st.expander("Markdown source", icon=":material/code:"):
            st.code(markdown, language="markdown")


def changes(working: draft.Draft, brief: Brief, automatic: Brief) -> None:
    """How the list differs from the automatic picks, in words."""
    texts = {p.insight_id: p.original_text for p in [*automatic.picks, *automatic.alternates, *brief.picks,
                                                    *brief.alternates]}
    found = draft.differences([p.insight_id for p in automatic.picks], working["items"], working["excludes"])
    lines = [f"- **{CHANGE_WORDS[kind]}** {('(' + detail + ')') if detail else ''}: "
             f"{widgets.inert(texts.get(insight_id, 'an insight no longer stored'))}"
             for kind, insight_id, detail in found]
    lines += [f"- **Reworded**: {widgets.inert(texts.get(i, ''))} → {widgets.inert(text)}"
              for i, text in working["edits"].items()]
    if not lines:
        st.caption("The same as the automatic picks, in the same order.")
        return
    st.caption(f"{len(lines)} change(s) from the automatic picks.")
    st.markdown("\n".join(lines))


def version_table(day: str) -> dict | None:
    """Every saved version of the day, newest first, as a table (read now); the version selected in it, if any."""
    versions = briefs.brief_history(data.store(), day)
    if not versions:
        st.caption("Nothing saved for this day yet.")
        return None
    table = pd.DataFrame({"Version": [v["version"] for v in versions],
                          "Status": [STATUS_WORDS[v["status"]] for v in versions],
                          "By": [v["editor"] or "" for v in versions],
                          "When": [widgets.human_time(v["when"]) for v in versions],
                          "Insights": [len(v["items"]) for v in versions]})
    picked = st.dataframe(table, hide_index=True, key=HISTORY_KEY, on_select="rerun", selection_mode="single-row")
    rows = picked["selection"]["rows"]
    return versions[rows[0]] if rows else None


def history(day: str) -> None:
    """The day's versions; any one can be put back in the list."""
    chosen = version_table(day)
    if chosen:
        st.button(f"Put version {chosen['version']} back in the list", on_click=draft.change,
                  args=(day, draft.restore, chosen), icon=":material/history:",
                  help="Your list becomes that version's; Save or Publish to make it the current one.")
    else:
        st.caption("Select a version to put it back in the list.")


def saved_briefs(db: str, day: str) -> None:
    """Every day with a saved brief, to reopen one."""
    st.subheader("Saved briefs")
    rows = data.saved_briefs(db)
    if not rows:
        st.caption("None yet.")
        return
    table = pd.DataFrame({"Date": [r["date"] for r in rows], "Status": [STATUS_WORDS[r["status"]] for r in rows],
                          "Version": [r["version"] for r in rows], "Insights": [r["picks"] for r in rows],
                          "By": [r["editor"] or "" for r in rows],
                          "Saved": [widgets.human_time(r["updated_at"]) for r in rows]})
    picked = st.dataframe(table, hide_index=True, key=SAVED_KEY, on_select="rerun", selection_mode="single-row")
    chosen = picked["selection"]["rows"]
    if chosen:
        reopen = rows[chosen[0]]["date"]
        st.button(f"Open {reopen}", on_click=widgets.open_date, args=(reopen,), icon=":material/history:",
                  disabled=reopen == day)
    else:
        st.caption("Select a row to open that day.")
