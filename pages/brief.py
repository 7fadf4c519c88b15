"""Brief: the day's top five, as the Markdown export lays them out, re-ranked at once by the sidebar weights."""

import streamlit as st

from ui import data, shell, widgets

shell.guard()

db = data.db_path()
st.title("Brief")
latest = data.latest_date(db)
widgets.stop_if_empty(0 if latest is None else 1, "insights")

brief, weights_json = widgets.chosen_brief(db, latest)
markdown = data.brief_markdown(db, brief.date, weights_json)
st.caption(f"{brief.candidates} candidate insights in the window {brief.window_start} – {brief.window_end}, "
           f"{brief.eligible} above the quality floor.")

head, _ = widgets.brief_sections(markdown)
st.markdown(head.split("\n", 1)[1] if "\n" in head else "")
widgets.brief_cards(brief, markdown)
st.download_button("Download Markdown", data=markdown, file_name=f"podbrief-{brief.date}.md", mime="text/markdown",
                   on_click="ignore", icon=":material/download:", type="primary")
