"""The Feeds page under AppTest: preview before adding, refusals that keep the input, OPML, pause, weight, remove,
background ingestion, plain-word tables, and what signed-out visitors and a dashboard without a password get."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline.ingest.catalog import add_feeds
from pipeline.ingest.run import ingest
from pipeline.store import open_store, sql_eq
from tests.app_fixtures import SAMPLE_FEEDS
from tests.feed_builder import Item, rss
from tests.httpserver import LocalHTTPServer
from tests.test_app import JOB_WAIT_S, assert_clean, click, open_app
from ui import auth, feed_admin, jobs, widgets

MANAGE = "Pause, re-weight or remove a feed"


def _show(server: LocalHTTPServer) -> str:
    server.route("/t/ep1.vtt", body="WEBVTT\n\n00:00.000 --> 00:02.000\nHello there.\n", content_type="text/vtt")
    feed = rss("Tiny Show", [
        Item("ep1", "First", published="Mon, 09 Feb 2026 10:00:00 +0000",
             transcripts=[(server.url("/t/ep1.vtt"), "text/vtt")]),
        Item("ep2", "Second", published="Tue, 10 Feb 2026 10:00:00 +0000", audio=server.url("/a/ep2.mp3")),
        Item("ep3", "Third, audio only", published="Wed, 11 Feb 2026 10:00:00 +0000", audio=server.url("/a/ep3.mp3")),
    ])
    return server.route("/show.xml", body=feed, content_type="application/rss+xml")


def _preview(at: AppTest, url: str) -> AppTest:
    at.text_input(key=feed_admin.URL_INPUT).input(url)
    return click(at, "Preview")


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "error", "success", "warning") for e in at.get(kind)]
    frames = [df.value.to_csv() for df in at.dataframe]
    return "\n".join(str(p) for p in [*parts, *frames])


def test_a_web_feed_is_previewed_then_added(empty_db: Path, http_server: LocalHTTPServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODBRIEF_ALLOW_PRIVATE_URLS", "1")  # the test server is on 127.0.0.1
    url = _show(http_server)
    at = _preview(open_app("feeds"), url)
    assert_clean(at)
    shown = _texts(at)
    assert "**Tiny Show**" in shown
    assert "3 episodes: 1 with a transcript from the publisher, 2 with audio only" in shown
    assert "Newest episode: 11 Feb 2026." in shown
    assert open_store(str(empty_db)).count("feeds") == 0, "nothing is saved before the editor says so"

    click(at, "Add this feed")
    assert_clean(at)
    assert any("Added Tiny Show" in s.value for s in at.success)
    assert at.text_input(key=feed_admin.URL_INPUT).value == ""
    feed = open_store(str(empty_db)).rows("feeds")[0]
    assert (feed["url"], feed["added_via"]) == (url, "page")
    assert at.dataframe[0].value["Podcast"].tolist() == ["(not read yet)"]

    _preview(at, url)
    assert any("already in the list" in i.value for i in at.info)


@pytest.mark.parametrize(("address", "why"), [
    ("not a url", "is not a web address"),
    ("/etc/passwd", "is not a web address"),
    ("file:///etc/passwd", "is not a web address"),
    ("ftp://example.com/feed.xml", "is not a web address"),
    ("http://127.0.0.1:9/feed.xml", "127.0.0.1 is a loopback address"),
    ("http://localhost:9/feed.xml", "127.0.0.1 is a loopback address"),
    ("http://10.1.2.3/feed.xml", "10.1.2.3 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[::1]:9/feed.xml", "::1 is a loopback address"),
])
def test_a_refused_address_says_why_and_stays_in_the_box(empty_db: Path, address: str, why: str) -> None:
    at = _preview(open_app("feeds"), address)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("This feed cannot be added.") and why in errors[0], errors
    assert at.text_input(key=feed_admin.URL_INPUT).value == address
    assert not any(b.label == "Add this feed" for b in at.button)
    assert open_store(str(empty_db)).count("feeds") == 0


def test_a_web_page_is_refused_with_what_to_add_instead(empty_db: Path, http_server: LocalHTTPServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    page = http_server.route("/page", body="<!DOCTYPE html><html><body>Hi</body></html>", content_type="text/html")
    at = _preview(open_app("feeds"), page)
    assert any("127.0.0.1 is a loopback address" in e.value for e in at.error)
    assert http_server.hits("/page") == 0
    monkeypatch.setenv("PODBRIEF_ALLOW_PRIVATE_URLS", "1")
    at = _preview(open_app("feeds"), page)
    assert any("is a web page, not a feed. Find the RSS link" in e.value for e in at.error)
    assert http_server.hits("/page") == 1


def test_opml_from_the_page_adds_web_feeds_and_lists_the_rest(empty_db: Path) -> None:
    opml = ('<opml version="2.0"><body>'
            '<outline text="A" xmlUrl="https://a.example/feed.xml"/>'
            '<outline text="Secrets" xmlUrl="file:///etc/passwd"/>'
            '<outline text="Local" xmlUrl="http://127.0.0.1/feed.xml"/>'
            '<outline text="B" xmlUrl="https://b.example/feed.xml"/></body></opml>')
    at = open_app("feeds")
    at.file_uploader[0].upload("subscriptions.opml", opml.encode(), "text/x-opml")
    click(at, "Import OPML")
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "Imported 2 feed(s)" in warning and "2 entries were not added" in warning
    assert "file:///etc/passwd" in warning and "127.0.0.1 is a loopback address" in warning
    assert sorted(f["url"] for f in open_store(str(empty_db)).rows("feeds")) == [
        "https://a.example/feed.xml", "https://b.example/feed.xml"]


def test_feeds_can_be_paused_reweighted_and_removed(empty_db: Path) -> None:
    store = open_store(str(empty_db))
    feeds = add_feeds(store, [str(SAMPLE_FEEDS / "podcasting-qa.xml"), str(SAMPLE_FEEDS / "changelog-news.xml")])
    ingest(store)
    qa, news = (f["feed_id"] for f in feeds)
    at = open_app("feeds")
    assert at.expander[0].label == MANAGE
    at.selectbox(key="manage_feed").set_value(qa).run()
    click(at, "Pause")
    assert store.rows("feeds", sql_eq("feed_id", qa))[0]["paused"] is True
    assert ingest(store).feeds_polled == 1, "a paused feed is not polled"
    assert "Paused" in at.dataframe[0].value["State"].tolist()
    click(at, "Resume")
    assert store.rows("feeds", sql_eq("feed_id", qa))[0]["paused"] is False

    at.number_input[0].set_value(2.5)
    click(at, "Save weight")
    assert store.rows("feeds", sql_eq("feed_id", qa))[0]["weight"] == 2.5

    episodes = store.count("episodes", sql_eq("feed_id", qa))
    click(at, "Remove feed")  # not confirmed: nothing happens
    assert any("Tick the box" in w.value for w in at.warning) and store.count("feeds", "removed_at IS NULL") == 2
    at.checkbox[0].check()
    click(at, "Remove feed")
    assert_clean(at)
    assert store.rows("feeds", sql_eq("feed_id", qa))[0]["removed_at"], "kept as a removed entry that names its episodes"
    assert store.count("episodes", sql_eq("feed_id", qa)) == episodes and store.count("insights", sql_eq("feed_id", qa))
    assert len(at.dataframe[0].value) == 1

    at.radio[0].set_value(feed_admin.DELETE)
    at.checkbox[0].check()
    click(at, "Remove feed")
    assert any("Deleted 1 episode(s)" in s.value for s in at.success)
    assert store.count("feeds", sql_eq("feed_id", news)) == 0
    assert store.count("episodes", sql_eq("feed_id", news)) == store.count("insights", sql_eq("feed_id", news)) == 0


def test_tables_speak_plainly_and_say_why_an_episode_has_no_insights(empty_db: Path) -> None:
    store = open_store(str(empty_db))
    add_feeds(store, [str(SAMPLE_FEEDS / "podcasting-qa.xml")])
    ingest(store)
    episode = store.rows("episodes")[0]
    store.delete("insights", sql_eq("episode_id", episode["episode_id"]))
    store.update("episodes", episode["episode_id"], {"extract_note": "The transcript is music only, no speech."})
    at = open_app("feeds")
    assert_clean(at)
    feeds, episodes = at.dataframe[0].value, at.dataframe[1].value
    assert list(feeds.columns) == ["Podcast", "Address", "State", "Weight", "Episodes", "Done", "Failed", "Last checked",
                                   "Problem"]
    assert feeds["Last checked"].tolist() == ["just now"]
    assert episodes["Published"].tolist() == ["10 Feb 2026"] and episodes["State"].tolist() == ["Done"]
    assert episodes["Note"].tolist() == ["The transcript is music only, no speech."]
    assert episodes["Transcript"].tolist() == ["From the publisher"]
    cells = [str(v) for frame in (feeds, episodes) for v in frame.to_numpy().ravel()]
    assert "None" not in cells and "nan" not in cells
    assert {m.label for m in at.metric} >= {"Episodes waiting", "Episodes done", "Episodes failed"}


def test_signed_out_visitors_see_no_store_path_and_no_credentials(empty_db: Path) -> None:
    store = open_store(str(empty_db))
    store.upsert("feeds", [{"feed_id": "f1", "url": "https://ed:hunter2@private.example/feed.xml", "title": "Private",
                            "last_error": "HTTP 401 for https://ed:hunter2@private.example/feed.xml"}])
    at = open_app("feeds", editor=None)
    assert not at.exception
    shown = _texts(at)
    assert "hunter2" not in shown and "https://***@private.example/feed.xml" in shown
    assert str(empty_db) not in shown and widgets.inert(str(empty_db)) not in shown
    at = open_app("feeds")
    assert any(widgets.inert(str(empty_db)) in c.value for c in at.caption), "an editor sees where the store is"
    assert "hunter2" not in _texts(at)

    add_feeds(store, [str(SAMPLE_FEEDS / "go-time.xml")])
    st.cache_data.clear()  # as after the few seconds the page caches the feed list
    at = open_app("feeds", editor=None)
    assert "A file on the server (go-time.xml)" in at.dataframe[0].value["Address"].tolist()
    assert str(SAMPLE_FEEDS) not in _texts(at)
    assert str(SAMPLE_FEEDS / "go-time.xml") in "".join(open_app("feeds").dataframe[0].value["Address"])


def test_without_a_password_editing_is_off_not_open(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for empty in ("", "   "):
        monkeypatch.setenv("EDITOR_PASSWORD", empty)
        for page in ("feeds", "curate"):
            at = open_app(page, editor="someone")  # even a session that claims an editor
            assert not at.exception
            assert any(auth.EDITING_OFF in i.value for i in at.info), page
            assert not any(b.label in {"Preview", "Start ingestion run", "Rebuild the search index", "Save draft", "Publish"}
                           for b in at.button)
            assert not at.data_editor and not any(t.label == "Editor password" for t in at.text_input)


def test_ingestion_runs_in_the_background_and_failures_can_be_retried(empty_db: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Broken Audio</title><item><title>Missing clip</title>'
        '<guid>missing-1</guid><pubDate>Mon, 09 Feb 2026 10:00:00 GMT</pubDate>'
        '<enclosure url="gone.mp3" type="audio/mpeg" length="1000"/></item></channel></rss>'
    )
    add_feeds(open_store(str(empty_db)), [str(SAMPLE_FEEDS / "go-time.xml"), str(broken)])
    at = open_app("feeds")
    click(at, "Start ingestion run")
    assert_clean(at)
    pid, log = at.session_state["job_pid"], at.session_state["job_log"]
    _wait_for(pid, log, empty_db)
    at.run()
    assert_clean(at)
    assert any(f"Ingestion run {pid} finished" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Episodes done"] == "1" and metrics["Episodes failed"] == "1"
    assert "Missing clip" in at.dataframe[1].value["Episode"].tolist()
    note = at.dataframe[1].value.set_index("Episode").loc["Missing clip", "Note"]
    assert "gone.mp3 does not exist" in note

    click(at, "Retry all 1 failed")
    assert any("1 episode(s) queued again" in s.value for s in at.success)
    episode = open_store(str(empty_db)).rows("episodes", "title = 'Missing clip'")[0]
    assert episode["status"] == "new" and episode["attempts"] == 0


def test_an_editor_rebuilds_the_search_index_in_the_background(empty_db: Path) -> None:
    at = open_app("feeds")
    click(at, "Rebuild the search index")
    assert_clean(at)
    pid, log = at.session_state["index_job"]
    _wait_for(pid, log, empty_db)
    at.run()
    assert_clean(at)
    assert any("Fewer than 20,000 insights: searches look at every one" in s.value for s in at.success)


def _wait_for(pid: int, log: str, db: Path) -> None:
    """Wait for a background job of the store at `db` to end, and check it ended well."""
    assert Path(log).parent == db / jobs.JOBS_FOLDER
    deadline = time.monotonic() + JOB_WAIT_S
    while jobs.job_state(pid, log).running and time.monotonic() < deadline:
        time.sleep(1)
    assert jobs.job_state(pid, log).returncode == 0, jobs.job_state(pid, log).tail


def test_a_long_episode_list_comes_a_page_at_a_time_newest_first(empty_db: Path) -> None:
    store = open_store(str(empty_db))
    store.upsert("feeds", [{"feed_id": "f1", "url": "https://example.com/feed.xml", "title": "Daily Show"}])
    store.upsert("episodes", [{"episode_id": f"e{n:03d}", "feed_id": "f1", "title": f"Episode {n}",
                               "published": f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}",
                               "status": "failed" if n % 10 == 0 else "extracted"} for n in range(230)])
    store.insights_table("test-model", 4)
    store.upsert("insights", [{"insight_id": f"i{n}", "episode_id": "e229", "feed_id": "f1", "text": f"Point {n}.",
                               "vector": [1.0, 0.0, 0.0, 0.0]} for n in range(3)])
    at = open_app("feeds")
    assert_clean(at)
    table = at.dataframe[1].value
    assert table["Episode"].tolist() == [f"Episode {n}" for n in range(229, 129, -1)]
    assert table["Insights"].tolist()[:2] == [3, 0]
    assert any("Episodes 1-100 of 230, newest first" in c.value for c in at.caption)
    click(at, "Next")
    click(at, "Next")
    assert at.dataframe[1].value["Episode"].tolist() == [f"Episode {n}" for n in range(29, -1, -1)]
    assert any("Episodes 201-230 of 230" in c.value for c in at.caption)
    assert next(b for b in at.button if b.label == "Next").disabled
    next(s for s in at.selectbox if s.label == "State").set_value("failed").run()  # another state starts again at the first page
    assert at.dataframe[1].value["Episode"].tolist() == [f"Episode {n}" for n in range(220, -1, -10)]
    assert not any(b.label == "Next" for b in at.button)
