"""Ingestion end to end over real HTTP, a real LanceDB and the real ASR model; bad input of every kind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.config import Settings, get_settings
from pipeline.errors import LockedError
from pipeline.ingest.catalog import add_feeds, retry_failed, status
from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.poll import poll_feed
from pipeline.ingest.run import SCRATCH, ingest
from pipeline.lock import ingest_lock
from pipeline.store import Store, sql_eq
from tests.feed_builder import Item, rss

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(
        podbrief_db=str(tmp_path / "db"), podbrief_audio_dir=str(tmp_path / "audio"), podbrief_http_timeout=2.0,
        podbrief_retry_base_s=3600.0, podbrief_max_audio_mb=5,
    )


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store(settings.podbrief_db)


def _good_feed(server) -> str:
    server.serve_dir(FIXTURES / "transcripts", prefix="/t/")
    server.serve_dir(FIXTURES / "audio", prefix="/a/")
    feed = rss("Good Show", [
        Item("ep-srt", "Ten things (SRT and HTML)",
             transcripts=[(server.url("/t/pc20ns_buzzsprout_10things.html"), "text/html"),
                          (server.url("/t/pc20ns_buzzsprout_10things.srt"), "application/srt")],
             audio=server.url("/a/missing.mp3")),
        Item("ep-vtt", "Trailer (VTT)", transcripts=[(server.url("/t/pc20ns_buzzsprout_trailer_snippet.vtt"), "text/vtt")],
             published="Tue, 10 Feb 2026 10:00:00 +0000"),
        Item("ep-audio", "JFK (audio only)", audio=server.url("/a/jfk.flac"), audio_type="audio/flac",
             published="Wed, 11 Feb 2026 10:00:00 +0000"),
    ])
    server.route("/good.xml", body=feed, content_type="application/rss+xml", etag='"v1"')
    return server.url("/good.xml")


def _episodes(store: Store) -> dict[str, dict]:
    return {e["guid"]: e for e in store.rows("episodes")}


def test_ingest_takes_publisher_transcripts_and_transcribes_audio(http_server, store: Store, settings: Settings) -> None:
    url = _good_feed(http_server)
    report = ingest(store, feeds=[url], settings=settings)
    assert report.failed == []
    eps = _episodes(store)
    assert {e["status"] for e in eps.values()} == {"extracted"}
    assert eps["ep-srt"]["transcript_source"] == "publisher"
    assert eps["ep-srt"]["transcript_format"] == "srt"  # SRT preferred over HTML
    assert eps["ep-vtt"]["transcript_format"] == "vtt"
    assert eps["ep-audio"]["transcript_source"] == "asr"
    jfk = store.rows("segments", sql_eq("episode_id", eps["ep-audio"]["episode_id"]))
    assert "ask not what your country" in " ".join(s["text"] for s in jfk).lower()
    assert all(0 <= s["start_s"] <= s["end_s"] for s in jfk)
    assert http_server.hits("/a/missing.mp3") == 0, "a publisher transcript means no audio download"
    assert store.count("insights") > 0
    assert not Path(settings.podbrief_audio_dir).exists(), "audio is deleted after ASR, nothing is kept"
    assert not (store.work_dir / SCRATCH).exists(), "the run's scratch folder is gone"

    counts = {name: store.count(name) for name in ("episodes", "segments", "insights")}
    again = ingest(store, feeds=[url], settings=settings)
    assert (again.new_episodes, again.transcribed, again.extracted) == (0, 0, 0)
    assert {name: store.count(name) for name in counts} == counts
    assert http_server.requests("/good.xml")[-1].headers.get("if-none-match") == '"v1"'


def test_first_poll_of_a_long_feed_is_capped(store: Store, settings: Settings) -> None:
    path = FIXTURES / "feeds" / "coding_blocks.xml"
    feed = add_feeds(store, [str(path)])[0]
    assert poll_feed(store, feed, max_new=10, settings=settings) == 10
    newest_ten = sorted((i.published for i in parse_feed(path.read_bytes(), path.as_uri()).items), reverse=True)[:10]
    queued = store.rows("episodes", "status = 'new'")
    assert sorted(e["published"] for e in queued) == sorted(newest_ten)  # the newest, not the oldest
    feed = store.rows("feeds")[0]
    assert poll_feed(store, feed, max_new=10, settings=settings) == 0, "a later poll only adds new items"


def test_permanent_redirect_and_new_feed_url_are_recorded(http_server, store: Store, settings: Settings) -> None:
    http_server.route("/moved.xml", body=rss("Moved", [Item("a", "A", audio="http://127.0.0.1:9/a.mp3")]))
    http_server.redirect("/old.xml", "/moved.xml", status=301)
    feed = add_feeds(store, [http_server.url("/old.xml")])[0]
    poll_feed(store, feed, max_new=10, settings=settings)
    row = store.rows("feeds")[0]
    assert (row["url"], row["moved_from"]) == (http_server.url("/moved.xml"), http_server.url("/old.xml"))

    new_home = "<itunes:new-feed-url>" + http_server.url("/home.xml") + "</itunes:new-feed-url>"
    http_server.route("/moved.xml", body=rss("Moved", [], extra_channel=new_home))
    poll_feed(store, row, max_new=10, settings=settings)
    assert store.rows("feeds")[0]["url"] == http_server.url("/home.xml")


def test_blocked_feed_is_listed_but_not_ingested(http_server, store: Store, settings: Settings) -> None:
    http_server.route("/blocked.xml", body=rss("Private", [Item("a", "A", audio="http://127.0.0.1:9/a.mp3")],
                                               extra_channel="<podcast:block>yes</podcast:block>"))
    ingest(store, feeds=[http_server.url("/blocked.xml")], settings=settings)
    assert store.count("episodes") == 0
    assert "podcast:block" in store.rows("feeds")[0]["last_error"]


def test_bad_input_is_recorded_per_item_and_the_run_goes_on(http_server, store: Store, settings: Settings) -> None:
    good = _good_feed(http_server)
    http_server.route("/404.xml", status=404, body="nope")
    http_server.route("/500.xml", status=500, body="boom")
    http_server.route("/slow.xml", body=rss("Slow", []), delay=4)
    http_server.route("/page.xml", body="<!DOCTYPE html><html><body>Hi</body></html>", content_type="text/html")
    http_server.route("/junk.xml", body="this is not a feed at all")
    http_server.route("/cut.xml", body=(FIXTURES / "feeds" / "serial.rss").read_bytes()[:30000])
    http_server.route("/bomb.xml", body=b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
                                        b"<rss><channel><title>&b;</title></channel></rss>")
    http_server.redirect("/loop1.xml", "/loop2.xml")
    http_server.redirect("/loop2.xml", "/loop1.xml")
    http_server.route("/big.mp3", body=b"ID3" + b"\0" * (6 * 1024 * 1024), content_type="audio/mpeg")
    http_server.route("/html.mp3", body="<html>not audio</html>", content_type="text/html")
    http_server.route("/corrupt.mp3", body=b"ID3\x04\0\0\0\0\0\0" + os.urandom(20000), content_type="audio/mpeg")
    http_server.route("/bad.vtt", body="WEBVTT\n\nthis cue has no timing line\n", content_type="text/vtt")
    episodes = rss("Broken Episodes", [
        Item("big", "Too big", audio=http_server.url("/big.mp3")),
        Item("html", "Not audio", audio=http_server.url("/html.mp3")),
        Item("corrupt", "Corrupt audio", audio=http_server.url("/corrupt.mp3")),
        Item("badvtt", "Malformed transcript, no audio", transcripts=[(http_server.url("/bad.vtt"), "text/vtt")]),
        Item("t404", "Transcript 404 falls back to ASR", transcripts=[(http_server.url("/t/none.vtt"), "text/vtt")],
             audio=http_server.url("/a/jfk.flac"), audio_type="audio/flac"),
    ])
    http_server.route("/episodes.xml", body=episodes)
    bad_feeds = ["/404.xml", "/500.xml", "/slow.xml", "/page.xml", "/junk.xml", "/cut.xml", "/bomb.xml", "/loop1.xml"]
    report = ingest(store, feeds=[good, http_server.url("/episodes.xml"), *map(http_server.url, bad_feeds)], settings=settings)

    info = status(store)
    feed_errors = {f["feed"].rsplit("/", 1)[1]: f["error"] for f in info["failures"] if f["episode"] is None}
    assert "404" in feed_errors["404.xml"]
    assert "500" in feed_errors["500.xml"]
    assert "timed out" in feed_errors["slow.xml"].lower()
    assert "web page, not a feed" in feed_errors["page.xml"]
    assert "not XML" in feed_errors["junk.xml"] or "not an RSS" in feed_errors["junk.xml"]
    assert "truncated" in feed_errors["cut.xml"]
    assert "entity" in feed_errors["bomb.xml"]
    assert "redirect" in feed_errors["loop1.xml"].lower()
    episode_errors = {f["episode"]: f["error"] for f in info["failures"] if f["episode"]}
    assert "MB" in episode_errors["Too big"] or "large" in episode_errors["Too big"].lower()
    assert "not audio" in episode_errors["Not audio"].lower() or "text/html" in episode_errors["Not audio"]
    assert episode_errors["Corrupt audio"]
    assert "transcript" in episode_errors["Malformed transcript, no audio"].lower()
    assert len(report.failed) == 4 and all("python -m pipeline retry --episode" in line for line in report.failed)
    eps = _episodes(store)
    assert eps["t404"]["status"] == "extracted" and eps["t404"]["transcript_source"] == "asr"
    assert {eps[g]["status"] for g in ("ep-srt", "ep-vtt", "ep-audio")} == {"extracted"}
    assert info["feeds"] == 10


def test_failed_episodes_back_off_then_retry(http_server, store: Store, settings: Settings) -> None:
    http_server.route("/gone.mp3", status=404)
    http_server.route("/f.xml", body=rss("F", [Item("x", "Gone", audio=http_server.url("/gone.mp3"))]))
    ingest(store, feeds=[http_server.url("/f.xml")], settings=settings)
    ingest(store, settings=settings)
    assert http_server.hits("/gone.mp3") == 1, "backoff: not retried at once"
    assert store.rows("episodes")[0]["attempts"] == 1
    assert retry_failed(store) == 1
    ingest(store, settings=settings)
    assert http_server.hits("/gone.mp3") == 2
    assert store.rows("episodes")[0]["status"] == "failed"


def test_only_one_ingestion_at_a_time(store: Store, settings: Settings) -> None:
    with ingest_lock(store), pytest.raises(LockedError, match="Another ingestion run"):
        ingest(store, settings=settings)
    ingest(store, settings=settings)  # released afterwards


def test_killed_run_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """kill -9 an ingestion while it writes; the rerun finishes the job with every row exactly once."""
    db = tmp_path / "db"
    feeds = [str(p) for p in sorted((ROOT / "data" / "samples" / "feeds").glob("*.xml"))]
    env = {**os.environ, "PODBRIEF_DB": str(db), "PODBRIEF_AUDIO_DIR": str(tmp_path / "audio")}
    cmd = [sys.executable, "-m", "pipeline", "ingest", *[arg for f in feeds for arg in ("--feed", f)]]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (db / "segments.lance").exists() and Store(db).count("segments") > 0:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    store = Store(db)
    assert store.count("episodes") > 0
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    store = Store(db)
    statuses = {e["status"] for e in store.rows("episodes")}
    assert statuses == {"extracted"}, status(store)["failures"]
    for table, key in (("episodes", "episode_id"), ("segments", "segment_id"), ("insights", "insight_id")):
        ids = [r[key] for r in store.rows(table, columns=[key])]
        assert len(ids) == len(set(ids)), f"duplicate rows in {table}"
    for ep in store.rows("episodes"):
        segs = store.rows("segments", sql_eq("episode_id", ep["episode_id"]), columns=["idx"])
        assert sorted(s["idx"] for s in segs) == list(range(len(segs)))
