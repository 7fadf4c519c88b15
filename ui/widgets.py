"""Widgets the pages share: the brief date, the weights sidebar, brief and insight cards, messages, empty-store notice.

Everything shown here that comes from feeds or editors goes through `inert` (the export's escaping, plus `$`) or a
widget that renders plain text; nothing is ever rendered as HTML.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import date

import pandas as pd
import streamlit as st

from pipeline.engine.export import escape, safe_url
from pipeline.engine.rank import Brief, Pick
from pipeline.engine.weights import COMPONENTS, Weights
from ui import data

UNESCAPED_DOLLAR = re.compile(r"(?<!\\)((?:\\\\)*)\$")  # a $ after an even number of backslashes
PICK_HEADING = "##### "  # the export's "## " headings, smaller inside a card
FLASH_KEY = "flash"
DATE_KEY = "brief_date"  # the date Brief and Curate show (YYYY-MM-DD), kept across pages
WEIGHTS_KEY = "weights"  # the sidebar weights as JSON, kept across pages
WEIGHTS_FOR_KEY = "weights_for"  # the date whose saved weights the sidebar started from
DATE_WIDGET = "brief_date_input"
WEIGHT_PREFIX = "w_"
WINDOW_HOURS = (12.0, 24.0, 48.0, 72.0, 168.0)
NEXT_STEPS = (
    "Open **Feeds** to add a feed (or upload an OPML file) and start an ingestion run, "
    "or run `python -m pipeline seed` for the bundled samples."
)


# -- safe Markdown ---------------------------------------------------------------------------------------------


def no_math(markdown: str) -> str:
    """Markdown with every unescaped `$` escaped, so Streamlit does not typeset `$…$` as LaTeX."""
    return UNESCAPED_DOLLAR.sub(r"\1\\$", markdown)


def inert(text: str | None) -> str:
    """Feed or editor text as inert Markdown for Streamlit: the export's escaping, and no LaTeX."""
    return no_math(escape(text))


# -- messages --------------------------------------------------------------------------------------------------


def flash(message: str, *, kind: str = "success") -> None:
    """Show `message` after the rerun that follows a write."""
    st.session_state[FLASH_KEY] = (kind, message)


def show_flash() -> None:
    """Show (once) the message left by the last write, if any."""
    pending = st.session_state.get(FLASH_KEY)
    if pending:
        kind, message = pending
        st.session_state[FLASH_KEY] = None
        getattr(st, kind)(message)


def stop_if_empty(count: int, what: str) -> None:
    """When nothing is stored yet, say what to do next and stop the page."""
    if count == 0:
        st.info(f"No {what} yet. {NEXT_STEPS}", icon=":material/info:")
        st.page_link("pages/feeds.py", label="Go to Feeds", icon=":material/rss_feed:")
        st.stop()


# -- the brief date and the weights ----------------------------------------------------------------------------
# Widget values are dropped when the user switches pages, so the choices live in plain session keys and the
# widgets start from them; clearing a widget's key makes it start again from the plain key.


def open_date(day: str) -> None:
    """Make `day` (YYYY-MM-DD) the date the Brief and Curate pages show (usable as a button callback)."""
    st.session_state[DATE_KEY] = day
    st.session_state.pop(DATE_WIDGET, None)


def date_picker(latest: str) -> str:
    """The brief date (YYYY-MM-DD), shared by Brief and Curate; the latest date with insights until one is chosen."""
    if st.session_state[DATE_KEY] is None:
        open_date(latest)
    picked = st.date_input("Brief date", value=date.fromisoformat(st.session_state[DATE_KEY]), key=DATE_WIDGET,
                           format="YYYY-MM-DD")
    st.session_state[DATE_KEY] = picked.isoformat()
    return st.session_state[DATE_KEY]


def offer_latest_date(brief: Brief, latest: str) -> None:
    """When the brief's window has no episodes, say so and offer the most recent date that has some."""
    if brief.candidates == 0 and brief.date != latest:
        st.warning(f"No episodes in the {brief.weights.window_hours:g} h window ending {brief.date}. "
                   f"The most recent date with some is {latest}.")
        st.button(f"Open {latest}", on_click=open_date, args=(latest,), type="primary", icon=":material/event:")


def chosen_brief(db: str, latest: str) -> tuple[Brief, str | None]:
    """The date picker and the weights sidebar, and the brief they select with its status shown.

    Returns the brief and the weights it was ranked with as JSON, or None when they are the date's saved ones.
    """
    day = date_picker(latest)
    saved = data.saved_brief(db, day)
    base = saved["weights"] if saved else Weights()
    weights = weights_sidebar(base, day)
    weights_json = weights.to_json() if weights != base else None
    brief = data.brief(db, day, weights_json)
    offer_latest_date(brief, latest)
    if brief.status == "published":
        st.success(f"Published by {inert(brief.editor or 'an editor')} at {brief.published_at}.", icon=":material/verified:")
    elif brief.status == "draft":
        st.info(f"Draft saved by {inert(brief.editor or 'an editor')} at {brief.updated_at}.", icon=":material/edit_note:")
    else:
        st.caption("Automatic picks: no editor has saved this date yet.")
    if weights_json:
        st.caption("Ranked with the sidebar weights, not the saved ones. *Reset to the saved weights* in the sidebar goes back.")
    return brief, weights_json


def load_weights(weights: Weights, day: str) -> None:
    """Start the sidebar from `weights` (on opening a date, or on reset; usable as a button callback)."""
    st.session_state[WEIGHTS_KEY] = weights.to_json()
    st.session_state[WEIGHTS_FOR_KEY] = day
    for f in fields(Weights):
        st.session_state.pop(_weight_key(f.name), None)


def _weight_key(name: str) -> str:
    return WEIGHT_PREFIX + name


def weights_sidebar(base: Weights, day: str) -> Weights:
    """Ranking weights, diversity and window in the sidebar, starting from `base` (the date's saved weights)."""
    if st.session_state[WEIGHTS_FOR_KEY] != day or st.session_state[WEIGHTS_KEY] is None:
        load_weights(base, day)
    now = Weights.from_json(st.session_state[WEIGHTS_KEY])
    key = _weight_key
    values: dict[str, object] = {}
    st.sidebar.subheader("Ranking")
    with st.sidebar.expander("Score weights", expanded=True, icon=":material/tune:"):
        for name in COMPONENTS:
            values[name] = st.slider(name.capitalize(), 0.0, 2.0, value=float(now.weight_of(name)), step=0.1, key=key(name))
        interests = st.text_input("Interests", value=", ".join(now.interests), key=key("interests"),
                                  help="Keywords, topic ids or insight ids, comma-separated; "
                                       "the interest weight scores closeness to them.")
    with st.sidebar.expander("Diversity and window", expanded=True, icon=":material/diversity_3:"):
        values["mmr_lambda"] = st.slider("Diversity λ (1: score only)", 0.0, 1.0, value=now.mmr_lambda, step=0.05,
                                         key=key("mmr_lambda"))
        values["max_per_podcast"] = st.number_input("Max per podcast", 1, 5, value=now.max_per_podcast,
                                                     key=key("max_per_podcast"))
        values["max_per_topic"] = st.number_input("Max per topic", 1, 5, value=now.max_per_topic, key=key("max_per_topic"))
        values["window_hours"] = st.select_slider("Window (hours)", options=WINDOW_HOURS, key=key("window_hours"),
                                                  value=min(WINDOW_HOURS, key=lambda h: abs(h - now.window_hours)))
        values["quality_floor"] = st.slider("Quality floor", 0.0, 1.0, value=now.quality_floor, step=0.05,
                                            key=key("quality_floor"))
        values["related_threshold"] = st.slider("Related threshold", 0.0, 1.0, value=now.related_threshold, step=0.05,
                                                key=key("related_threshold"))
    st.sidebar.button("Reset to the saved weights", on_click=load_weights, args=(base, day), icon=":material/restart_alt:")
    values["interests"] = [part.strip() for part in interests.split(",") if part.strip()]
    weights = Weights(**values)  # type: ignore[arg-type]
    st.session_state[WEIGHTS_KEY] = weights.to_json()
    return weights


# -- cards -----------------------------------------------------------------------------------------------------


def brief_sections(markdown: str) -> tuple[str, list[str]]:
    """The exported Markdown split into its head (title, note) and one block per pick."""
    head, *picks = markdown.split("\n## ")
    return no_math(head), [PICK_HEADING + no_math(block) for block in picks]


def brief_cards(brief: Brief, markdown: str) -> None:
    """Each pick as the Markdown export shows it, with why it is there."""
    _, sections = brief_sections(markdown)
    for pick, section in zip(brief.picks, sections, strict=True):
        with st.container(border=True):
            st.markdown(section)
            with st.expander("Why is this here?", icon=":material/help:"):
                why(pick)


def why(pick: Pick) -> None:
    """A pick's score breakdown: the ranking's explanation and its components."""
    st.markdown(inert(pick.why))
    parts = {name: value for name, value in pick.components.items() if value is not None}
    st.bar_chart(pd.DataFrame({"component": list(parts), "value": list(parts.values())}), x="component", y="value",
                 height=180, horizontal=True)


def source_line(feed_title: str, episode_title: str, audio_url: str | None, start_s: float | None, *,
                episode_link: str | None = None, speaker: str | None = None) -> str:
    """Speaker · podcast · episode (linked to its page) · a timestamp (linked to the audio at that second when it is on
    the web), as safe Markdown."""
    seconds = float(start_s or 0.0)
    stamp = clock(seconds)
    audio = safe_url(audio_url, seconds=seconds)
    page = safe_url(episode_link)
    episode = f"[{inert(episode_title)}]({page})" if page and episode_title else inert(episode_title)
    parts = [f"**{inert(speaker)}**" if speaker else "", f"*{inert(feed_title)}*", episode,
             f"[▶ {stamp}]({audio})" if audio else stamp]
    return " · ".join(part for part in parts if part)


def clock(seconds: float | None) -> str:
    """A timestamp such as 4:05 or 1:02:03."""
    hours, rest = divmod(int(seconds or 0), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def insight_card(text: str, feed_title: str, episode_title: str, audio_url: str | None, start_s: float | None, *,
                 episode_link: str | None = None, speaker: str | None = None) -> None:
    """One insight with its speaker, podcast, episode and timestamp (Search results and details)."""
    st.markdown(inert(text))
    st.caption(source_line(feed_title, episode_title, audio_url, start_s, episode_link=episode_link, speaker=speaker))
