"""Play from here: an episode's audio from a timestamp, only from sources that are safe to hand to `st.audio`.

`st.audio` given a string that is not an http(s) URL reads that path on the server and serves it to the browser,
so a feed that names `/etc/passwd` or `file:///...` as its enclosure must never reach it. `playable` applies the
pipeline's rule (`pipeline.ingest.http.playable_audio`) and Streamlit's own idea of a URL.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import urlsplit

import streamlit as st
from streamlit import url_util

from pipeline.config import get_settings
from pipeline.ingest.http import playable_audio
from ui.widgets import clock

PLAYING_KEY = "playing"  # which item's player is open (one at a time: a local file is loaded into memory to serve it)
STREAMLIT_URL_SCHEMES = ("http", "https", "data")  # what st.audio passes to the browser instead of reading a file


def playable(url: str | None) -> str | None:
    """What `st.audio` may be given for an episode's audio: an http(s) URL as it is, or a file inside the store's
    audio folder (PODBRIEF_AUDIO_DIR) as its real path; None for anything else."""
    source = playable_audio((url or "").strip() or None, get_settings())
    if source is None or not urlsplit(source).scheme:
        return source
    # st.audio must see it as a URL too, or it would read it as a path.
    return source if url_util.is_url(source, allowed_schemas=STREAMLIT_URL_SCHEMES) else None


def play_from_here(audio_url: str | None, start_s: float | None, key: str, *, quiet: bool = False) -> None:
    """A "Play from M:SS" button that opens the episode's audio at that second; says why there is none to play unless
    `quiet` (in long lists of results)."""
    source = playable(audio_url)
    seconds = int(start_s or 0)
    if source is None:
        if not quiet:
            st.caption("This episode's audio can't be played here: it is neither on the web nor in the audio folder."
                       if audio_url else "This episode has no audio.")
        return
    if st.session_state.get(PLAYING_KEY) == key:
        # A local file is served with the type its name says (st.audio would call a FLAC file WAV).
        st.audio(source, format=mimetypes.guess_type(source)[0] or "audio/mpeg", start_time=seconds)
    else:
        st.button(f"Play from {clock(seconds)}", key=f"play_{key}", icon=":material/play_arrow:",
                  on_click=_open_player, args=(key,))


def _open_player(key: str) -> None:
    st.session_state[PLAYING_KEY] = key
