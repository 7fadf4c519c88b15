"""Brief: the day's top five, as the Markdown export lays them out, re-ranked at once by the sidebar weights."""

import streamlit as st

from ui import data, shell, widgets

shell.guard()

db = data.db_path()
st.title("Brief")
latest = data.latest_date(db)
widgets.stop_if_empty(0 if latest is None else 1, "insights")

brief, weights_json = widgets.chosen_brief(db, latest)
markdown = data.brief_markdown(db, brief.date, weights_json, brief.version)
st.caption(f"Chosen from {brief.candidates} insights of episodes out in the {brief.weights.window_hours:g} hours up to "
           f"the end of {brief.date}; {brief.eligible} of them scored above {brief.weights.quality_floor:.2f}.")

head, _ = widgets.brief_sections(markdown)
st.markdown(head.split("\n", 1)[1] if "\n" in head else "")
widgets.brief_cards(brief, markdown)
st.download_button("Download Markdown", data=markdown, file_name=f"podbrief-{brief.date}.md", mime="text/markdown",
                   on_click="ignore", icon=":material/download:", type="primary")
