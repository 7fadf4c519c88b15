"""The app shell: the page list that app.py navigates, and the guard every page calls first.

Streamlit still treats a `pages/` folder beside the entry script as a legacy multipage app until the first
`st.navigation` call in the server process. So the very first visit straight to a page's URL (a bookmark
after `make run`) would run that page alone, without app.py's navigation and session defaults. The guard
notices that, registers the navigation, which switches the legacy mode off, and reruns through app.py.
"""

import streamlit as st

SHELL_KEY = "podbrief_shell"  # set by app.py on every session it runs
PAGES = [  # file, title, icon
    ("pages/brief.py", "Brief", ":material/newspaper:"),
    ("pages/explore.py", "Explore", ":material/scatter_plot:"),
    ("pages/search.py", "Search", ":material/search:"),
    ("pages/curate.py", "Curate", ":material/edit_note:"),
    ("pages/archive.py", "Archive", ":material/inventory_2:"),
    ("pages/feeds.py", "Feeds", ":material/rss_feed:"),
    ("pages/readers.py", "Readers", ":material/group:"),
]
HIDDEN_PAGES = [  # reached only from links: a reader's unsubscribe and feedback links land here
    ("pages/reader.py", "Your brief", ":material/mail:"),
]


def pages() -> list:
    """The dashboard's pages for `st.navigation`, Brief first (the home page)."""
    return [st.Page(path, title=title, icon=icon, default=n == 0) for n, (path, title, icon) in enumerate(PAGES)] + [
        st.Page(path, title=title, icon=icon, visibility="hidden") for path, title, icon in HIDDEN_PAGES]


def guard() -> None:
    """Rerun through app.py when Streamlit ran this page on its own."""
    if SHELL_KEY not in st.session_state:
        st.navigation(pages())
        st.rerun()
