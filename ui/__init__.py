"""Streamlit helpers the pages share: cached reads, widgets, charts, the editor gate and background jobs."""
