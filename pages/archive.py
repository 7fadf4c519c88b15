"""Archive: every published brief, exactly as readers got it, with its versions."""

import pandas as pd
import streamlit as st

from ui import curate_view, data, shell, widgets

shell.guard()

TABLE_KEY = "archive_table"

db = data.db_path()
st.title("Archive")
widgets.stop_if_empty(0 if data.latest_date(db) is None else 1, "insights")
published = [row for row in data.saved_briefs(db) if row["published_version"]]
if not published:
    st.info("No brief has been published yet. Editors publish the day's brief on the Curate page.",
            icon=":material/info:")
    st.page_link("pages/curate.py", label="Go to Curate", icon=":material/edit_note:")
    st.stop()

table = pd.DataFrame({
    "Date": [r["date"] for r in published],
    "Version": [r["published_version"] for r in published],
    "Published": [widgets.human_time(r["published_at"]) for r in published],
})
list_col, brief_col = st.columns([2, 3], gap="large")
with list_col:
    st.caption(f"{len(published)} published brief(s), newest first. Select one to read it.")
    picked = st.dataframe(table, hide_index=True, key=TABLE_KEY, on_select="rerun", selection_mode="single-row")
rows = picked["selection"]["rows"]
chosen = published[rows[0] if rows else 0]
with brief_col:
    markdown = data.published_markdown(db, chosen["date"], chosen["published_version"])
    st.subheader(f"The brief for {chosen['date']}")
    newer = " Editors have a newer draft of this day." if chosen["version"] != chosen["published_version"] else ""
    st.caption(f"Version {chosen['published_version']}, published {widgets.human_time(chosen['published_at'])}, "
               f"exactly as readers got it.{newer}")
    widgets.markdown_cards(markdown)
    st.download_button("Download Markdown", data=markdown, file_name=f"podbrief-{chosen['date']}.md",
                       mime="text/markdown", on_click="ignore", icon=":material/download:")
    with st.expander("Versions of this day", icon=":material/history:"):
        curate_view.version_table(chosen["date"])
