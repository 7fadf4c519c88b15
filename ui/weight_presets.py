"""The sidebar's saved weights, for signed-in editors: use a preset, save the sliders as one, or as everyone's default."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from pipeline.engine import presets
from pipeline.engine.weights import Weights
from pipeline.errors import PodbriefError
from ui import auth, data

NAME_KEY = "preset_name"
CHOICE_KEY = "preset_choice"


def panel(db: str, weights: Weights, day: str, *, on_use: Callable[[Weights, str], None],
          notify: Callable[..., None]) -> None:
    """The presets expander; `on_use(weights, day)` loads a preset into the sliders, `notify(text, kind=)` reports."""
    saved = data.weight_presets(db)
    with st.sidebar.expander("Saved weights", icon=":material/bookmarks:"):
        if saved:
            by_name = {p["name"]: p for p in saved}
            chosen = st.selectbox("Preset", list(by_name), key=CHOICE_KEY, format_func=_title)
            st.caption(f"Saved by {by_name[chosen]['editor'] or 'an editor'}.")
            st.button("Use this preset", on_click=on_use, args=(by_name[chosen]["weights"], day),
                      icon=":material/download:")
        else:
            st.caption("No presets yet. Save the weights above under a name to use them again.")
        st.text_input("Name", key=NAME_KEY, placeholder="e.g. Morning news", max_chars=presets.MAX_NAME)
        st.button("Save the weights above as a preset", on_click=_save, args=(weights, None, notify),
                  icon=":material/bookmark_add:")
        st.button("Make them everyone's default", on_click=_save, args=(weights, presets.DEFAULT_PRESET, notify),
                  icon=":material/group:", help="New days' automatic picks, for every editor, start from these.")


def _title(name: str) -> str:
    return "Everyone's default" if name == presets.DEFAULT_PRESET else name


def _save(weights: Weights, name: str | None, notify: Callable[..., None]) -> None:
    try:
        saved = presets.save_preset(data.store(), name or st.session_state[NAME_KEY], weights,
                                    editor=auth.current_editor())
    except PodbriefError as exc:
        notify(str(exc), kind="error")
        return
    data.clear_briefs()
    notify(f"Saved the weights as “{_title(saved['name'])}”.")
