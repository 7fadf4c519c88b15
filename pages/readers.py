"""Readers (editors): who gets the brief; add, import, change, pause; preview any reader's next email; the outbox."""

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from pipeline.delivery import import_csv, outbox, readers
from pipeline.delivery.send import send_test
from pipeline.errors import PodbriefError
from ui import auth, data, delivery, jobs, shell, widgets

shell.guard()

db = data.db_path()
st.title("Readers")
widgets.show_flash()
editor = auth.editor_gate("see and manage readers")  # addresses are personal data: nothing below without sign-in
if not editor:
    st.stop()


def _done(message: str) -> None:
    delivery.clear()
    widgets.flash(message)
    st.rerun()


def _try(action: Callable[..., object], *args: object, **kwargs: object) -> object | None:
    """Call a pipeline write on the store; show its error (and return None) when it refuses."""
    try:
        return action(data.store(), *args, **kwargs)
    except PodbriefError as exc:
        st.error(widgets.inert(str(exc)))
        return None


rows = delivery.reader_rows(db)
statuses = pd.Series([r["status"] for r in rows], dtype="object").value_counts()
cols = st.columns(len(readers.STATUSES))
for col, status in zip(cols, readers.STATUSES, strict=True):
    col.metric(status.capitalize(), int(statuses.get(status, 0)))

tab_readers, tab_add, tab_outbox, tab_feedback = st.tabs(["Readers", "Add or import", "Outbox", "Feedback"])

with tab_add:
    st.subheader("Add a reader")
    values = delivery.reader_form("add_reader", None)
    if values is not None and _try(readers.add_reader, values.pop("email"), **values):
        _done("Reader added.")
    st.subheader("Import from CSV")
    st.caption("One reader per row. Columns: email (required), name, tz, hour, cadence, day, size, and topics, podcasts, "
               "keywords, muted, channels with items separated by ';'. Readers already on the list are updated; "
               "anyone who unsubscribed stays unsubscribed.")
    with st.form("import_readers", clear_on_submit=True):
        upload = st.file_uploader("CSV file", type=["csv"])
        if st.form_submit_button("Import", icon=":material/upload_file:") and upload is not None:
            try:
                report = import_csv.import_readers(data.store(), upload.getvalue())
            except PodbriefError as exc:
                st.error(widgets.inert(str(exc)))
            else:
                skipped = "".join(f"\n- {widgets.inert(line)}" for line in report.errors)
                delivery.clear()
                widgets.flash(f"Imported {len(report.added)} new and updated {len(report.updated)} reader(s)."
                              + (f" {len(report.errors)} row(s) skipped:{skipped}" if skipped else ""),
                              kind="warning" if skipped else "success")
                st.rerun()

with tab_readers:
    if not rows:
        st.info("No readers yet. Add one, or import a CSV file, under *Add or import*.", icon=":material/group_add:")
    else:
        table = pd.DataFrame(rows)[["email", "name", "status", "size", "cadence", "hour", "tz", "next_send",
                                    "last_brief", "keywords", "channels", "status_note"]]
        picked = st.dataframe(table, hide_index=True, key="readers_table", on_select="rerun", selection_mode="single-row")
        chosen = picked["selection"]["rows"]
        if chosen:
            st.session_state.reader_email = rows[chosen[0]]["email"]
        email = st.session_state.reader_email
        reader = readers.find_reader(data.store(), email) if email else None
        shown_email = widgets.inert(reader.email) if reader else ""  # an address may hold Markdown's * or _
        if reader is None:
            st.caption("Select a reader to change them, preview their next brief or send a test.")
        else:
            st.subheader(shown_email)
            taste = delivery.learned(db, reader.email)
            if taste:
                topics = {t["topic_id"]: t["label"] for t in data.topic_list(db)}
                names = data.feed_titles(db)
                more = [topics.get(t, t) for t in taste.topics] + [names.get(p, p) for p in taste.podcasts]
                less = [topics.get(t, t) for t in taste.less_topics] + [names.get(p, p) for p in taste.less_podcasts]
                st.caption(widgets.inert(f"From their thumbs: more of {', '.join(more) or 'nothing yet'}; "
                                         f"less of {', '.join(less) or 'nothing yet'}."))
            pause_col, resume_col, remove_col = st.columns(3)
            if pause_col.button("Pause", disabled=reader.status != "active", icon=":material/pause:") \
                    and _try(readers.pause_reader, reader.email):
                _done(f"Paused {shown_email}.")
            if resume_col.button("Resume", disabled=reader.status not in ("paused", "bounced"), icon=":material/play_arrow:") \
                    and _try(readers.resume_reader, reader.email):
                _done(f"Resumed {shown_email}.")
            with remove_col.popover("Remove", icon=":material/delete:"):
                st.write("Forget this reader, their outbox history and their feedback?")
                if st.button("Yes, remove", type="primary"):
                    _try(readers.remove_reader, reader.email)
                    st.session_state.reader_email = None
                    _done(f"Removed {shown_email}.")
            with st.expander("Change preferences", icon=":material/tune:"):
                values = delivery.reader_form(f"edit_{reader.email}", reader)
                if values is not None and _try(readers.update_reader, reader.email, **values):
                    _done(f"Saved {shown_email}.")

            st.subheader("Their next brief")
            shown = delivery.preview(db, reader.email, reader.updated_at)
            if shown is None:
                st.info("No brief is published yet. Publish one on the Curate page.", icon=":material/info:")
            else:
                st.caption(f"The brief for {shown['date']}: {shown['items']} insight(s), exactly as the email renders.")
                st.text(f"Subject: {shown['subject']}")
                with st.container(height=640, border=True):
                    st.html(shown["html"])  # our template's HTML: every feed and editor text in it is escaped
                with st.expander("Plain-text part"):
                    st.text(shown["text"])
                with st.form("send_test"):
                    to = st.text_input("Send a test to", placeholder="you@example.com")
                    if st.form_submit_button("Send test", icon=":material/send:"):
                        where = _try(send_test, reader.email, to)
                        if where:
                            st.success(widgets.inert(f"Sent a test of {reader.email}'s brief to {to} ({where})."))

with tab_outbox:
    status = st.selectbox("Status", [None, *outbox.STATUSES], format_func=lambda s: "Any status" if s is None else s)
    sent_rows = delivery.outbox_rows(db, status)
    if not sent_rows:
        st.caption("Nothing has been sent yet.")
    else:
        frame = pd.DataFrame(sent_rows)
        frame["email"] = frame["email"].replace("", "(the list's channels)")
        picked = st.dataframe(frame, hide_index=True, key="outbox_table", on_select="rerun", selection_mode="multi-row",
                              column_order=["date", "email", "channel", "status", "attempts", "last_error", "next_retry",
                                            "sent_at", "items", "brief_version", "transport"])
        failed = [sent_rows[i]["outbox_id"] for i in picked["selection"]["rows"] if sent_rows[i]["status"] == "failed"]
        if st.button(f"Retry {len(failed)} selected failed", disabled=not failed, icon=":material/replay:",
                     help="Select failed rows in the table above."):
            count = outbox.retry_now(data.store(), failed, datetime.now(UTC))
            _done(f"{count} message(s) will go with the next sending run.")
    if st.button("Send what is due now", icon=":material/send:",
                 help="Sends every reader whose hour has come, and retries that are due. The watch process does this "
                      "after each ingestion pass."):
        st.session_state.send_job = jobs.start_job(db, ["send"])
        widgets.flash(f"Sending run {st.session_state.send_job[0]} started; this table shows its results as they come.")
        st.rerun()

with tab_feedback:
    votes = delivery.pick_feedback(db)
    if not votes:
        st.caption("No reader has used the thumbs yet.")
    else:
        st.caption("Which picks landed: readers' thumbs per insight, most liked first.")
        widgets.insight_table(pd.DataFrame(votes), ["date", "text", "up", "down", "net"])
