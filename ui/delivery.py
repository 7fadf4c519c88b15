"""Cached reads and shared widgets of the Readers page: readers, the outbox, feedback, and the email preview.

Readers' addresses are personal data: these are called only after the page's editor gate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import available_timezones

import streamlit as st

from pipeline.delivery import feedback, outbox, readers, schedule
from pipeline.delivery.feedback import Learned
from pipeline.delivery.plan import reader_channels
from pipeline.delivery.send import next_brief
from pipeline.store import open_store
from ui import data

LIST_TTL_S = 5  # editors act on these tables; changes from a sending run show up within seconds
PREVIEW_TTL_S = 60
TIME_ZONES = sorted(available_timezones())


@st.cache_data(ttl=LIST_TTL_S, max_entries=8, show_spinner=False)
def reader_rows(db: str) -> list[dict]:
    """Every reader as the table shows them (no token), with their next send and last brief."""
    now = datetime.now(UTC)
    last = outbox.last_dates(open_store(db))
    rows = []
    for reader in readers.list_readers(open_store(db)):
        row = reader.public()
        row["channels"] = list(reader_channels(reader))  # labels: a channel URL carries its token
        row["next_send"] = schedule.next_slot(reader, now).strftime("%Y-%m-%d %H:%M UTC") if reader.status == "active" else ""
        row["last_brief"] = last.get(reader.email, "")
        rows.append(row)
    return rows


@st.cache_data(ttl=LIST_TTL_S, max_entries=8, show_spinner=False)
def outbox_rows(db: str, status: str | None) -> list[dict]:
    """The newest outbox rows (optionally of one status)."""
    return outbox.outbox_rows(open_store(db), status=status, limit=500)


@st.cache_data(ttl=PREVIEW_TTL_S, max_entries=8, show_spinner=False)
def pick_feedback(db: str) -> list[dict]:
    """Thumbs per insight: which picks landed with readers."""
    return feedback.pick_feedback(open_store(db))


@st.cache_data(ttl=PREVIEW_TTL_S, max_entries=16, show_spinner="Rendering the email…")
def preview(db: str, email: str, updated_at: str | None) -> dict | None:
    """The reader's next email as it would be sent: subject, HTML (CSS inlined), text and item count; None if none.

    `updated_at` is part of the key so a change to the reader renders again at once.
    """
    found = next_brief(open_store(db), email)
    if found is None:
        return None
    brief, message = found
    return {"subject": str(message["Subject"]), "date": brief.date, "items": len(brief.items),
            "html": message.get_body(("html",)).get_content(), "text": message.get_body(("plain",)).get_content()}


@st.cache_data(ttl=PREVIEW_TTL_S, max_entries=8, show_spinner=False)
def learned(db: str, email: str) -> Learned:
    """What the reader's thumbs taught: topics and podcasts liked and disliked (ids)."""
    return feedback.learned(open_store(db), [email]).get(email, Learned())


def clear() -> None:
    """Forget cached delivery reads after a write."""
    for func in (reader_rows, outbox_rows, pick_feedback, preview, learned):
        func.clear()


def reader_form(key: str, reader: readers.Reader | None) -> dict | None:
    """Fields for a reader's preferences (empty for a new one); returns them when the form is submitted."""
    db = data.db_path()
    topics = {t["topic_id"]: t["label"] for t in data.topic_list(db)}
    podcasts = data.feed_titles(db)
    r = reader or readers.Reader(email="")
    with st.form(key, clear_on_submit=reader is None):
        values: dict[str, object] = {}
        if reader is None:
            values["email"] = st.text_input("Email address", placeholder="name@example.com")
        left, middle, right = st.columns(3)
        values["name"] = left.text_input("Name", value=r.name)
        values["size"] = middle.number_input("Insights per brief", readers.SIZE_MIN, readers.SIZE_MAX, value=r.size)
        values["tz"] = right.selectbox("Time zone", TIME_ZONES, index=TIME_ZONES.index(r.tz) if r.tz in TIME_ZONES else 0)
        values["hour"] = left.number_input("Send at (hour, their time)", 0, 23, value=r.hour)
        values["cadence"] = middle.selectbox("Cadence", readers.CADENCES, index=readers.CADENCES.index(r.cadence))
        values["day"] = right.selectbox("Day (weekly)", readers.DAYS, index=readers.DAYS.index(r.day))
        values["topics"] = st.multiselect("Topics they follow", list(topics), default=[t for t in r.topics if t in topics],
                                          format_func=lambda t: topics[t])
        values["podcasts"] = st.multiselect("Podcasts they follow", list(podcasts),
                                            default=[p for p in r.podcasts if p in podcasts], format_func=podcasts.get)
        values["muted"] = st.multiselect("Podcasts they never want", list(podcasts),
                                         default=[p for p in r.muted if p in podcasts], format_func=podcasts.get)
        keywords = st.text_input("Keywords (comma-separated; each also adds alerts)", value=", ".join(r.keywords))
        values["email_channel"] = st.checkbox("Send by email", value=readers.EMAIL_CHANNEL in r.channels)
        channels = st.text_area("Chat or webhook channels, one Apprise URL per line (Slack, Discord, Teams, ntfy, "
                                "Telegram, json://…)", value="\n".join(r.apprise_urls))
        if not st.form_submit_button("Add reader" if reader is None else "Save changes", type="primary"):
            return None
    values["keywords"] = [k.strip() for k in keywords.split(",") if k.strip()]
    values["channels"] = [c.strip() for c in channels.splitlines() if c.strip()]
    return values


def masked(email: str) -> str:
    """An address shown to whoever holds a reader's link: enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
