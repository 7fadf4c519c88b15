"""Widgets the pages share: the brief date, the weights sidebar, brief and insight cards, "Add to today's brief",
human times, messages, the empty-store notice.

Everything shown here that comes from feeds or editors goes through `inert` (the export's escaping, plus `$`) or a
widget that renders plain text; nothing is ever rendered as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import streamlit as st

from pipeline.engine import presets
from pipeline.engine.export import escape, safe_url
from pipeline.engine.rank import FIRST_DATE, Brief, Pick
from pipeline.engine.weights import COMPONENT_LABELS, COMPONENTS, Weights
from pipeline.errors import PodbriefError
from ui import auth, data, draft, jobs

UNESCAPED_DOLLAR = re.compile(r"(?<!\\)((?:\\\\)*)\$")  # a $ after an even number of backslashes
PICK_HEADING = "##### "  # the export's "## " headings, smaller inside a card
FLASH_KEY = "flash"
DATE_KEY = "brief_date"  # the date Brief and Curate show (YYYY-MM-DD), kept across pages
WEIGHTS_KEY = "weights"  # the sidebar weights as JSON, kept across pages
WEIGHTS_FOR_KEY = "weights_for"  # the date whose saved weights the sidebar started from
DATE_WIDGET = "brief_date_input"
WEIGHT_PREFIX = "w_"
PRESET_NAME_KEY = "preset_name"
PRESET_CHOICE_KEY = "preset_choice"
WINDOW_HOURS = (12.0, 24.0, 48.0, 72.0, 168.0)
JOB_POLL_S = 2  # how often a running background job's panel is redrawn
NEXT_STEPS = "Open **Feeds** to add a feed (or upload an OPML file) and start an ingestion run."


# -- safe Markdown ---------------------------------------------------------------------------------------------


def no_math(markdown: str) -> str:
    """Markdown with every unescaped `$` escaped, so Streamlit does not typeset `$…$` as LaTeX."""
    return UNESCAPED_DOLLAR.sub(r"\1\\$", markdown)


def inert(text: str | None) -> str:
    """Feed or editor text as inert Markdown for Streamlit: the export's escaping, and no LaTeX."""
    return no_math(escape(text))


def held_back(flags: list[str] | None) -> str:
    """Why an insight is never picked for a brief ("sponsor read", "intro", ...), or "" when it may be."""
    return ", ".join(flags or [])


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


def job_panel(panel: Callable[[], None], job: tuple[int, str]) -> None:
    """Draw a background job's panel, redrawn every JOB_POLL_S seconds while the job runs (not after it ended)."""
    st.fragment(panel, run_every=JOB_POLL_S if jobs.job_state(*job).running else None)()


def job_outcome(state: jobs.JobState, *, running: str, failed: str, done: str) -> bool:
    """Say how a background job stands (Markdown the caller made safe): `running`, `failed` followed by its last log
    lines, or `done`. True once it finished well."""
    if state.running:
        st.info(running, icon=":material/hourglass_top:")
        return False
    if state.returncode not in (0, None):
        st.error(failed + inert(" ".join(state.tail[-3:])))
        return False
    st.success(done)
    return True


def pager(key: str, page: int, pages: int) -> None:
    """Previous / "Page i of n" / Next under a paged list; the page number lives in session state under `key`."""
    if pages <= 1:
        return
    back, where, forward = st.columns([1, 2, 1])
    back.button("Previous", key=f"{key}_back", disabled=page == 0, on_click=_turn, args=(key, -1),
                icon=":material/chevron_left:")
    where.caption(f"Page {page + 1} of {pages}")
    forward.button("Next", key=f"{key}_next", disabled=page >= pages - 1, on_click=_turn, args=(key, 1),
                   icon=":material/chevron_right:")


def _turn(key: str, step: int) -> None:
    st.session_state[key] += step


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
    today = date.today()
    chosen = min(max(date.fromisoformat(st.session_state[DATE_KEY]), FIRST_DATE), today)
    picked = st.date_input("Brief date", value=chosen, min_value=FIRST_DATE, max_value=today, key=DATE_WIDGET,
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
    saved = data.current_version(db, day)
    base = saved["weights"] if saved else data.default_weights(db)
    weights = weights_sidebar(db, base, day)
    weights_json = weights.to_json() if weights != base else None
    brief = data.brief(db, day, weights_json, saved["version"] if saved else None)
    offer_latest_date(brief, latest)
    brief_status(saved)
    if weights_json:
        st.caption("Picked automatically with the sidebar weights, not the saved brief. "
                   "*Reset to the saved weights* in the sidebar goes back.")
    return brief, weights_json


def brief_status(saved: dict | None) -> None:
    """Which version of the date's brief this is, who saved it when, and when it was last published."""
    if saved is None:
        st.caption("Automatic picks: no editor has saved this date yet.")
        return
    who = inert(saved["editor"] or "an editor")
    if saved["status"] == "published":
        st.success(f"Published by {who} {human_time(saved['updated_at'])} (version {saved['version']}).",
                   icon=":material/verified:")
        return
    published = (f" Readers last got version {saved['published_version']}, published "
                 f"{human_time(saved['published_at'])}." if saved["published_version"] else " Not published yet.")
    st.info(f"Draft saved by {who} {human_time(saved['updated_at'])} (version {saved['version']}).{published}",
            icon=":material/edit_note:")


def human_time(iso: str | None) -> str:
    """An ISO time as people say it, in the viewer's time zone: "today at 09:41", "yesterday at 17:02",
    "on Tue 11 Feb 2026 at 09:41"."""
    if not iso:
        return "never"
    local = _local(iso)
    today = datetime.now(local.tzinfo).date()
    if local.date() == today:
        return f"today at {clock_time(iso)}"
    if local.date() == today - timedelta(days=1):
        return f"yesterday at {clock_time(iso)}"
    return f"on {local:%a} {local.day} {local:%b %Y} at {clock_time(iso)}"


def clock_time(iso: str) -> str:
    """The hour and minute of an ISO time in the viewer's time zone (marked UTC when the browser did not say)."""
    zone_known = _viewer_zone()[1]
    return f"{_local(iso):%H:%M}" + ("" if zone_known else " UTC")


def _local(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(_viewer_zone()[0])


def _viewer_zone() -> tuple[tzinfo, bool]:
    """The browser's time zone, and whether it is known (UTC otherwise)."""
    try:
        return ZoneInfo(st.context.timezone), True
    except (TypeError, ValueError, ZoneInfoNotFoundError):  # no browser (tests, bare mode) or an unknown name
        return UTC, False


def load_weights(weights: Weights, day: str) -> None:
    """Start the sidebar from `weights` (on opening a date, or on reset; usable as a button callback)."""
    st.session_state[WEIGHTS_KEY] = weights.to_json()
    st.session_state[WEIGHTS_FOR_KEY] = day
    for f in fields(Weights):
        st.session_state.pop(_weight_key(f.name), None)


def _weight_key(name: str) -> str:
    return WEIGHT_PREFIX + name


def weights_sidebar(db: str, base: Weights, day: str) -> Weights:
    """Ranking weights, variety and window in the sidebar, starting from `base` (the date's saved weights);
    signed-in editors can also load and save named presets and everyone's default."""
    if st.session_state[WEIGHTS_FOR_KEY] != day or st.session_state[WEIGHTS_KEY] is None:
        load_weights(base, day)
    now = Weights.from_json(st.session_state[WEIGHTS_KEY])
    key = _weight_key
    values: dict[str, object] = {}
    st.sidebar.subheader("Ranking")
    with st.sidebar.expander("Score weights", expanded=True, icon=":material/tune:"):
        st.caption("How much each reason counts towards an insight's score.")
        for name in COMPONENTS:
            values[name] = st.slider(COMPONENT_LABELS[name].capitalize(), 0.0, 2.0, value=float(now.weight_of(name)),
                                     step=0.1, key=key(name))
        interests = st.text_input("Your interests", value=", ".join(now.interests), key=key("interests"),
                                  help="Words or subjects, separated by commas: insights close to them score higher "
                                       "under “matches your interests”.")
    with st.sidebar.expander("Variety and time window", expanded=True, icon=":material/diversity_3:"):
        values["mmr_lambda"] = st.slider("Best scores over variety", 0.0, 1.0, value=now.mmr_lambda, step=0.05,
                                         key=key("mmr_lambda"),
                                         help="At 1 the highest scores win; lower values prefer insights unlike the "
                                              "ones already picked.")
        values["max_per_podcast"] = st.number_input("At most this many from one show", 1, 5,
                                                     value=now.max_per_podcast, key=key("max_per_podcast"))
        values["max_per_topic"] = st.number_input("At most this many on one topic", 1, 5, value=now.max_per_topic,
                                                   key=key("max_per_topic"))
        values["window_hours"] = st.select_slider("Episodes from the last (hours)", options=WINDOW_HOURS,
                                                  key=key("window_hours"),
                                                  value=min(WINDOW_HOURS, key=lambda h: abs(h - now.window_hours)))
        values["quality_floor"] = st.slider("Lowest score for an automatic pick", 0.0, 1.0, value=now.quality_floor,
                                            step=0.05, key=key("quality_floor"))
        values["related_threshold"] = st.slider("How close a related insight must be", 0.0, 1.0,
                                                value=now.related_threshold, step=0.05, key=key("related_threshold"),
                                                help="From here on two insights say the same idea: shown as related, "
                                                     "counted as said on other shows, and no longer new.")
    st.sidebar.button("Reset to the saved weights", on_click=load_weights, args=(base, day), icon=":material/restart_alt:")
    values["interests"] = [part.strip() for part in interests.split(",") if part.strip()]
    weights = Weights(**values)  # type: ignore[arg-type]
    st.session_state[WEIGHTS_KEY] = weights.to_json()
    if auth.current_editor():
        presets_panel(db, weights, day)
    return weights


def presets_panel(db: str, weights: Weights, day: str) -> None:
    """For editors, in the sidebar: use a saved preset, save the weights above as one, or as everyone's default."""
    saved = data.weight_presets(db)
    with st.sidebar.expander("Saved weights", icon=":material/bookmarks:"):
        if saved:
            by_name = {p["name"]: p for p in saved}
            chosen = st.selectbox("Preset", list(by_name), key=PRESET_CHOICE_KEY, format_func=_preset_title)
            st.caption(f"Saved by {inert(by_name[chosen]['editor'] or 'an editor')} "
                       f"{human_time(by_name[chosen]['updated_at'])}.")
            st.button("Use this preset", on_click=load_weights, args=(by_name[chosen]["weights"], day),
                      icon=":material/download:")
        else:
            st.caption("No presets yet. Save the weights above under a name to use them again.")
        st.text_input("Name", key=PRESET_NAME_KEY, placeholder="e.g. Morning news", max_chars=presets.MAX_NAME)
        st.button("Save the weights above as a preset", on_click=_save_preset, args=(weights, None),
                  icon=":material/bookmark_add:")
        st.button("Make them everyone's default", on_click=_save_preset, args=(weights, presets.DEFAULT_PRESET),
                  icon=":material/group:", help="New days' automatic picks, for every editor, start from these.")


def _preset_title(name: str) -> str:
    return "Everyone's default" if name == presets.DEFAULT_PRESET else name


def _save_preset(weights: Weights, name: str | None) -> None:
    try:
        saved = presets.save_preset(data.store(), name or st.session_state[PRESET_NAME_KEY], weights,
                                    editor=auth.current_editor())
    except PodbriefError as exc:
        flash(inert(str(exc)), kind="error")
        return
    data.clear_briefs()
    flash(f"Saved the weights as “{inert(_preset_title(saved['name']))}”.")


# -- cards -----------------------------------------------------------------------------------------------------


def brief_sections(markdown: str) -> tuple[str, list[str]]:
    """The exported Markdown split into its head (title, note) and one block per pick."""
    head, *picks = markdown.split("\n## ")
    return no_math(head), [PICK_HEADING + no_math(block) for block in picks]


def markdown_cards(markdown: str) -> None:
    """An exported brief as readers read it: its note, then each pick in a card, with headings sized for a page."""
    head, sections = brief_sections(markdown)
    st.markdown(head.split("\n", 1)[1] if "\n" in head else "")
    for section in sections:
        with st.container(border=True):
            st.markdown(section)


def brief_cards(brief: Brief, markdown: str) -> None:
    """Each pick as the Markdown export shows it, with why it is there."""
    _, sections = brief_sections(markdown)
    for pick, section in zip(brief.picks, sections, strict=True):
        with st.container(border=True):
            st.markdown(section)
            with st.expander("Why is this here?", icon=":material/help:"):
                why(pick)


def why(pick: Pick) -> None:
    """Why an insight is here, in words, and how much each reason adds to its score, as a small bar chart."""
    st.markdown(inert(pick.why))
    if not pick.contributions:
        return
    reasons = pd.DataFrame({"reason": [COMPONENT_LABELS[name].capitalize() for name in pick.contributions],
                            "adds": list(pick.contributions.values())})
    st.bar_chart(reasons, x="reason", y="adds", x_label="Adds to the score", y_label="", height=40 + 30 * len(reasons),
                 horizontal=True, sort="-adds")
    st.caption(f"The bars add up to its score of {pick.score:.2f} (the best possible is 1).")


def add_to_brief_button(insight_id: str | None) -> None:
    """For signed-in editors: "Add to today's brief", which puts the insight at the end of Curate's list, pinned.

    Shows nothing for None (a transcript passage, or no single insight chosen) or to visitors who are not signed in.
    """
    if insight_id is None or not auth.current_editor():
        return
    db = data.db_path()
    latest = data.latest_date(db)
    day = st.session_state[DATE_KEY] or latest
    if day is None:
        return
    working = draft.current(day)
    if working and insight_id in working["items"]:
        st.caption(f"In the brief for {day}, number {working['items'].index(insight_id) + 1}. "
                   "Place it and publish it on the Curate page.")
        st.page_link("pages/curate.py", label="Open it in Curate", icon=":material/edit_note:")
        return
    label = "Add to today's brief" if day == latest else f"Add to the brief for {day}"
    st.button(label, key=f"add_to_brief_{insight_id}", on_click=_add_to_brief, args=(db, day, insight_id),
              icon=":material/playlist_add:", help=f"Puts it at the end of the brief for {day} on the Curate page, "
                                                   "pinned; Save or Publish there.")


def _add_to_brief(db: str, day: str, insight_id: str) -> None:
    saved = data.current_version(db, day)
    weights = saved["weights"] if saved else data.default_weights(db)
    draft.follow(day, saved, [p.insight_id for p in data.automatic(db, day, weights.to_json()).picks])
    draft.change(day, draft.add, insight_id)
    open_date(day)  # Curate opens on the date it went to


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
