"""Tables of insights the researcher selected: shown as plain text, downloaded as CSV and JSON, and highlighted hits."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from pipeline.engine.export import safe_url
from ui.widgets import clock, inert

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run a cell starting with these as a formula
WORD = re.compile(r"\w+")
MARK_OPEN, MARK_CLOSE = "\x00", "\x01"  # survive the Markdown escaping, then become the highlight syntax
EXPORT_COLUMNS = {  # the export's column: where it comes from
    "insight": "text", "speaker": "speaker", "podcast": "podcast", "episode": "episode", "published": "published",
    "at": "at", "topic": "topic", "listen": "listen", "episode_page": "episode_page",
}


def export_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Insights (or hits) as the researcher exports them: text, who and where, when, and links to hear them."""
    frame = rows.copy()
    for column in ("speaker", "podcast", "episode", "topic", "audio_url", "episode_link", "published", "start_s"):
        if column not in frame:
            frame[column] = None
    frame["published"] = frame["published"].fillna("").astype(str).str[:10]
    frame["at"] = frame["start_s"].map(clock)
    frame["listen"] = [safe_url(_text(u), seconds=float(s or 0)) for u, s in zip(frame["audio_url"], frame["start_s"],
                                                                                  strict=True)]
    frame["episode_page"] = frame["episode_link"].map(lambda u: safe_url(_text(u)))
    return frame[list(EXPORT_COLUMNS.values())].set_axis(list(EXPORT_COLUMNS), axis=1)


def _text(value: object) -> str | None:
    """A cell as text, or None when empty (pandas gives NaN for missing values)."""
    return value if isinstance(value, str) and value else None


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as formulas, prefixed with an apostrophe so they stay text."""
    def cell(value: object) -> object:
        return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value

    return frame.apply(lambda column: column.map(cell))


def export_buttons(frame: pd.DataFrame, name: str, *, key: str) -> None:
    """Download buttons for a table as CSV (safe to open in a spreadsheet) and as JSON (the values as they are)."""
    left, right = st.columns(2)
    left.download_button("Download CSV", spreadsheet_safe(frame).to_csv(index=False).encode("utf-8"),
                         file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv", icon=":material/table:")
    right.download_button("Download JSON", frame.to_json(orient="records", force_ascii=False, indent=1).encode("utf-8"),
                          file_name=f"{name}.json", mime="application/json", key=f"{key}_json", icon=":material/data_object:")


def highlight(text: str | None, query: str) -> str:
    """Feed text as inert Markdown with the query's words (and their plural or -ing/-ed forms) highlighted."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # not worth a highlight

    wanted = {_stem(w) for w in WORD.findall(query.lower()) if w not in ENGLISH_STOP_WORDS}
    raw = (text or "").replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    marked = WORD.sub(lambda m: f"{MARK_OPEN}{m.group(0)}{MARK_CLOSE}" if _stem(m.group(0).lower()) in wanted
                      else m.group(0), raw)
    return inert(marked).replace(MARK_OPEN, ":orange-background[").replace(MARK_CLOSE, "]")


def _stem(word: str) -> str:
    """A light English stem, so "sources", "sourced" and "source" match one another (not a linguist's stemmer)."""
    word = word.removesuffix("'s")
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)].rstrip("e")
    return word.rstrip("e") if len(word) > 3 else word
