"""The dashboard under streamlit.testing.v1.AppTest, on real stores filled by the real pipeline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipeline.engine import briefs, export
from pipeline.engine.weights import Weights
from pipeline.store import open_store
from tests.app_fixtures import APP
from ui import auth, widgets

RUN_TIMEOUT_S = 120
JOB_WAIT_S = 300  # a background job started from a page (ingestion, sending) finishes within this
PAGES = ["brief", "explore", "search", "curate", "archive", "feeds"]
NOVELTY_ONLY = {"quality": 0.0, "novelty": 2.0, "corroboration": 0.0, "recency": 0.0, "interest": 0.0, "podcast": 0.0}


def open_app(page: str | None = None, *, secrets: dict | None = None, user: dict | None = None,
             editor: str | None = "local") -> AppTest:
    """The app from its entry point, on `page`, with no error shown; signed in as `editor` (None: signed out)."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    at.secrets = secrets or {"podbrief_test": True}  # keeps a developer's .streamlit/secrets.toml (and its OIDC) out
    if user is not None:
        at.user = user
    if editor:  # as the sign-in form leaves it (the fixtures set an editor password)
        at.session_state[auth.EDITOR_KEY] = editor
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    """No exception and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def pick_sections(at: AppTest) -> list[str]:
    """The Markdown of each pick card on the Brief page."""
    return [m.value for m in at.markdown if m.value.startswith(widgets.PICK_HEADING)]


def click(at: AppTest, label: str) -> AppTest:
    """Click the (first) button with this label and rerun."""
    return next(b for b in at.button if b.label == label).click().run()


def latest_day(db: Path) -> str:
    """The latest date with insights in the store."""
    day = briefs.latest_brief_date(open_store(str(db)))
    assert day
    return day


# -- every page ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_empty_store_says_what_to_do_next(empty_db: Path, page: str) -> None:
    at = open_app(page)
    notices = " ".join(i.value for i in at.info)
    assert "No " in notices and ("Feeds" in notices or "Add a feed" in notices), notices


@pytest.mark.parametrize(("page", "expected"), [
    ("brief", "Why is this here?"), ("explore", "Topics over time"), ("search", "Search insights and transcripts"),
    ("curate", "Saved briefs"), ("feeds", "Episodes"),
])
def test_every_page_renders_the_filled_store(app_db: Path, page: str, expected: str) -> None:
    at = open_app(page)
    texts = [*(s.value for s in at.subheader), *(e.label for e in at.expander), *(t.label for t in at.text_input)]
    assert expected in texts


# -- Brief -----------------------------------------------------------------------------------------------------


def test_brief_opens_on_the_latest_date_and_offers_it_for_an_empty_one(app_db: Path) -> None:
    at = open_app("brief")
    latest = latest_day(app_db)
    assert at.date_input[0].value == date.fromisoformat(latest)
    assert len(pick_sections(at)) >= 3

    at.date_input[0].set_value(date(2020, 1, 1)).run()
    assert_clean(at)
    assert any(latest in w.value for w in at.warning)
    assert not pick_sections(at)
    click(at, f"Open {latest}")
    assert at.date_input[0].value == date.fromisoformat(latest)
    assert pick_sections(at)


def test_changing_weights_reranks_at_once_as_the_engine_does(app_db: Path) -> None:
    at = open_app("brief")
    day = latest_day(app_db)
    before = pick_sections(at)
    for name, value in NOVELTY_ONLY.items():
        at.sidebar.slider(key=f"w_{name}").set_value(value)
    at.run()
    assert_clean(at)
    after = pick_sections(at)
    assert after != before
    expected = briefs.assemble_brief(open_store(str(app_db)), day, weights=Weights(**NOVELTY_ONLY).to_json())
    assert [s.split("\n")[0] for s in after] == [f"{widgets.PICK_HEADING}{n}\\. {export.escape(p.text)}" for n, p in
                                                 enumerate(expected.picks, start=1)]
    click(at, "Reset to the saved weights")
    assert pick_sections(at) == before


def test_each_pick_says_why_and_matches_the_markdown_export(app_db: Path) -> None:
    at = open_app("brief")
    cli_markdown = export.brief(open_store(str(app_db)), latest_day(app_db))
    sections = pick_sections(at)
    assert sections == [widgets.PICK_HEADING + widgets.no_math(block.strip()) for block in cli_markdown.split("\n## ")[1:]]
    assert len(at.expander) >= len(sections)
    assert all("score" in at.expander[n].markdown[0].value for n in range(len(sections)))
    assert at.download_button[0].label == "Download Markdown"


def test_feed_text_is_escaped_not_rendered(app_db: Path) -> None:
    store = open_store(str(app_db))
    hostile = "<img src=x onerror=alert(1)> **Loud** [click](javascript:alert(1)) costs $5 or $10"
    feed_ids = {row["feed_id"] for row in store.rows("feeds")}
    store.update_many("feeds", [{"feed_id": feed_id, "title": hostile} for feed_id in feed_ids])
    at = open_app("brief")
    shown = "\n".join(pick_sections(at))
    assert "\\<img" in shown and "<img" not in shown.replace("\\<", "")  # "<" only ever backslash-escaped
    assert "\\*\\*Loud\\*\\*" in shown and "\\[click\\]" in shown
    assert "costs \\$5 or \\$10" in shown  # Streamlit would typeset $…$ as LaTeX


# -- Sign-in (the editor's morning is in test_app_curate.py) --------------------------------------------------


def test_editing_needs_sign_in_when_a_password_is_set(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR_PASSWORD", "s3cret")
    at = open_app("curate", editor=None)
    assert not any(b.label == "Publish" for b in at.button) and any("Sign in" in i.value for i in at.info)
    password = next(t for t in at.text_input if t.label == "Editor password")
    password.input("wrong")
    click(at, "Sign in")
    assert any("Wrong password" in e.value for e in at.error)
    next(t for t in at.text_input if t.label == "Editor password").input("s3cret")
    click(at, "Sign in")
    assert_clean(at)
    assert any(b.label == "Publish" for b in at.button)
    at.switch_page("pages/feeds.py").run()
    assert any(b.label == "Start ingestion run" for b in at.button)

    at = open_app("feeds", editor=None)  # a new session is signed out: it can look, not act
    assert not any(b.label in {"Preview", "Start ingestion run"} for b in at.button)
    assert at.dataframe


OIDC = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                 "client_id": "podbrief", "client_secret": "s", "server_metadata_url": "https://id.example.com/.well-known"}}


def test_editing_needs_the_oidc_login_when_one_is_configured(app_db: Path) -> None:
    at = open_app("curate", secrets=OIDC, user={"is_logged_in": False}, editor=None)
    assert not any(b.label == "Publish" for b in at.button) and any(b.label == "Sign in" for b in at.button)
    at = open_app("curate", secrets=OIDC, user={"is_logged_in": True, "email": "ed@example.com", "name": "Ed"},
                  editor=None)
    next(b for b in at.button if b.label == "Down").click().run()
    click(at, "Save draft")
    assert briefs.get_brief(open_store(str(app_db)), latest_day(app_db))["editor"] == "ed@example.com"


# -- Explore and Search ----------------------------------------------------------------------------------------


def test_explore_lists_a_topic_and_map_selection(app_db: Path) -> None:
    at = open_app("explore")
    topics = at.dataframe[0].value
    assert len(topics) >= 1 and set(topics.columns) >= {"label", "keywords", "size", "trend"}
    at.session_state["topic_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    assert any(s.value.startswith("Topic: ") for s in at.subheader)
    some_ids = open_store(str(app_db)).rows("insights", columns=["insight_id"])[:3]
    points = [{"customdata": [r["insight_id"]]} for r in some_ids]
    at.session_state["topic_map"] = {"selection": {"points": points, "point_indices": [], "box": [], "lasso": []}}
    at.run()
    assert any(s.value == "3 selected on the map" for s in at.subheader)


def test_search_combines_words_and_meaning_and_opens_the_detail(app_db: Path) -> None:
    at = open_app("search")
    at.text_input(key="search_query").input("Go programming language").run()
    assert_clean(at)
    results = [m.value for m in at.markdown if m.value.startswith(":blue-badge[insight]")]
    assert results
    assert any("meaning" in c.value for c in at.caption)
    at.button(key="hit_0").click().run()
    assert_clean(at)
    assert [s.value for s in at.subheader][:2] == ["Insight", "Related insights from other podcasts"]
    assert at.expander[0].label == "Transcript around it" and at.expander[0].markdown


def test_explore_filters_the_map_by_date_and_podcast(app_db: Path) -> None:
    import base64
    import json

    import numpy as np

    at = open_app("explore")
    store = open_store(str(app_db))

    def points_on_map() -> int:
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        xs = [trace.get("x", []) for trace in spec["data"]]  # plotly sends numbers as typed arrays
        return sum(len(base64.b64decode(x["bdata"])) // np.dtype(x["dtype"]).itemsize if isinstance(x, dict) else len(x)
                   for x in xs)

    assert points_on_map() == store.count("insights")
    day = latest_day(app_db)
    at.date_input[0].set_value((date.fromisoformat(day), date.fromisoformat(day))).run()
    assert_clean(at)
    assert points_on_map() == store.count("insights", f"published >= '{day}' AND published < '{day}~'")
    feed_id = store.rows("insights", f"published >= '{day}'", columns=["feed_id"])[0]["feed_id"]
    at.multiselect[0].set_value([feed_id]).run()
    assert points_on_map() == store.count("insights", f"feed_id = '{feed_id}' AND published >= '{day}' AND published < '{day}~'")


def test_a_transcript_hit_opens_its_passage_in_context(app_db: Path) -> None:
    at = open_app("search")
    at.text_input(key="search_query").input("MuleSoft enterprise").run()
    badges = [m.value for m in at.markdown if m.value.startswith((":blue-badge[insight]", ":gray-badge[transcript]"))]
    first_segment = next(n for n, text in enumerate(badges) if text.startswith(":gray-badge[transcript]"))
    at.button(key=f"hit_{first_segment}").click().run()
    assert_clean(at)
    assert [s.value for s in at.subheader][:2] == ["Transcript passage", "Related insights from other podcasts"]
    assert at.expander[0].label == "Transcript around it"
    assert any("MuleSoft" in m.value for m in at.expander[0].markdown)
