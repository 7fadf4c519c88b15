"""Feeds written to hurt: dates from the future, entity bombs, floods after a failed first poll, huge OPML files,
and runs killed in the middle of a download."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import Settings, get_settings
from pipeline.engine import briefs, export
from pipeline.errors import FeedError
from pipeline.ingest.catalog import add_feeds, import_opml
from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.poll import poll_feed
from pipeline.ingest.run import SCRATCH, ingest
from pipeline.store import Store
from tests.feed_builder import Item, rss
from tests.httpserver import LocalHTTPServer

ROOT = Path(__file__).parent.parent
AUDIO = Path(__file__).parent / "fixtures" / "audio"
FETCHED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VTT = "WEBVTT\n\n00:00.000 --> 00:04.000\nOpen source maintainers need funding to keep critical projects alive.\n"
KILL_CYCLES = 3


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(podbrief_db=str(tmp_path / "db"), podbrief_http_timeout=2.0, podbrief_retry_base_s=3600.0)


@pytest.fixture
def store(settings: Settings) -> Store:
    return Store(settings.podbrief_db)


# -- dates -----------------------------------------------------------------------------------------------------


def test_dates_from_the_future_are_clamped_to_the_fetch_time_and_kept_raw() -> None:
    feed = rss("Time travel", [
        Item("max", "Year 9999", published="Fri, 31 Dec 9999 23:59:59 +0000", audio="a.mp3"),
        Item("2090", "Year 2090", published="Sun, 01 Jan 2090 00:00:00 +0000", audio="b.mp3"),
        Item("past", "Normal", published="Tue, 10 Feb 2026 10:00:00 +0000", audio="c.mp3"),
        Item("ancient", "Before 1970", published="Mon, 01 Jan 1900 00:00:00 +0000", audio="d.mp3"),
        Item("junk", "Junk date", published="the day after tomorrow", audio="e.mp3"),
    ])
    items = {i.guid: i for i in parse_feed(feed, "https://example.org/f.xml", fetched_at=FETCHED).items}
    assert items["max"].published == items["2090"].published == "2026-03-01T12:00:00+00:00"
    assert items["max"].published_raw == "Fri, 31 Dec 9999 23:59:59 +0000"
    assert items["2090"].published_raw == "Sun, 01 Jan 2090 00:00:00 +0000"
    assert items["past"].published == "2026-02-10T10:00:00+00:00"
    assert items["ancient"].published is None and items["ancient"].published_raw == "Mon, 01 Jan 1900 00:00:00 +0000"
    assert items["junk"].published is None and items["junk"].published_raw == "the day after tomorrow"


def test_a_feed_from_the_future_neither_crashes_nor_takes_over_the_brief(tmp_path: Path, store: Store,
                                                                          settings: Settings) -> None:
    (tmp_path / "t.vtt").write_bytes((ROOT / "data" / "samples" / "transcripts" / "changelog-news-180.vtt").read_bytes())
    feed = tmp_path / "future.xml"
    feed.write_bytes(rss("Future", [
        Item("max", "From 9999", published="Fri, 31 Dec 9999 23:59:59 +0000", transcripts=[("t.vtt", "text/vtt")]),
        Item("2090", "From 2090", published="Sun, 01 Jan 2090 00:00:00 +0000", transcripts=[("t.vtt", "text/vtt")]),
    ]))
    before = datetime.now(UTC).replace(microsecond=0)
    ingest(store, feeds=[str(feed)], settings=settings)
    stored = store.rows("episodes")
    assert {e["published_raw"][:16] for e in stored} == {"Fri, 31 Dec 9999", "Sun, 01 Jan 2090"}
    assert all(before <= datetime.fromisoformat(e["published"]) <= datetime.now(UTC) for e in stored)
    day = briefs.latest_brief_date(store)
    assert day is not None and day <= datetime.now(UTC).date().isoformat()
    assert export.brief(store, day).startswith("# ")  # neither 9999 nor 2090 reaches the date arithmetic


# -- entity bombs ----------------------------------------------------------------------------------------------

BOMB_DOCTYPE = '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'


@pytest.mark.parametrize("document", [
    f'<?xml version="1.0"?>{BOMB_DOCTYPE}<rss><channel><title>&b;</title></channel></rss>'.encode(),
    # the old check read only the first 20 KB: a long comment pushed the DOCTYPE past it
    f'<?xml version="1.0"?><!--{"x" * 30_000}-->{BOMB_DOCTYPE}<rss><channel><title>&b;</title></channel></rss>'.encode(),
    f'{BOMB_DOCTYPE}<rss><channel><title>&b;</title></channel></rss>'.encode("utf-16"),
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><title>&x;</title>'
    b"<item><title>i</title><enclosure url='a.mp3'/></item></channel></rss>",
    # junk before the DOCTYPE makes feedparser fall back to its lenient parser, which would expand "safe" entities
    f"junk\n{BOMB_DOCTYPE}<rss><channel><title>&a;&a;</title></channel></rss>".encode(),
], ids=["bomb", "bomb-after-30kb", "utf-16", "external", "lenient-fallback"])
def test_xml_entities_are_never_expanded(document: bytes) -> None:
    with pytest.raises(FeedError, match="declares its own XML entities"):
        parse_feed(document, "https://example.org/feed.xml")


def test_opml_entities_are_refused_and_a_feed_error_is_per_feed(http_server: LocalHTTPServer, store: Store,
                                                                settings: Settings) -> None:
    for opml in (
        f'<?xml version="1.0"?>{BOMB_DOCTYPE}<opml><body><outline xmlUrl="https://a.example/&b;"/></body></opml>',
        '<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]><opml><body>'
        '<outline xmlUrl="https://a.example/&x;"/></body></opml>',
    ):
        with pytest.raises(FeedError, match="declares XML entities"):
            import_opml(store, opml.encode())
    assert store.count("feeds") == 0
    bomb = f'<?xml version="1.0"?>{BOMB_DOCTYPE}<rss><channel><title>&b;</title></channel></rss>'
    good = rss("Good", [Item("g", "g", transcripts=[("/t.vtt", "text/vtt")])])
    http_server.route("/t.vtt", body=VTT, content_type="text/vtt")
    report = ingest(store, feeds=[http_server.route("/bomb.xml", body=bomb), http_server.route("/good.xml", body=good)],
                    settings=settings)
    assert report.feeds_failed == 1 and "entity-expansion" in report.feed_errors[0]
    assert store.rows("episodes")[0]["status"] == "extracted"


# -- floods ----------------------------------------------------------------------------------------------------


def test_the_backlog_cap_holds_when_the_first_poll_failed(http_server: LocalHTTPServer, store: Store,
                                                           settings: Settings) -> None:
    url = http_server.route("/big.xml", status=503, body="down for maintenance")
    feed = add_feeds(store, [url])[0]
    assert poll_feed(store, feed, max_new=10, settings=settings) is None
    feed = store.rows("feeds")[0]
    assert feed["last_polled"] and not feed["last_ok"]
    items = [Item(f"e{n}", f"Episode {n}", published=f"Mon, {n % 28 + 1:02d} Feb 2025 10:00:00 +0000", audio=f"/{n}.mp3")
             for n in range(300)]
    http_server.route("/big.xml", body=rss("Big", items))
    assert poll_feed(store, feed, max_new=10, settings=settings) == 10, "the first successful poll is capped"
    assert store.count("episodes", "status = 'skipped'") == 290
    assert poll_feed(store, store.rows("feeds")[0], max_new=10, settings=settings) == 0


def test_twenty_thousand_outlines_are_imported_in_one_write(tmp_path: Path, store: Store) -> None:
    outlines = "".join(f'<outline type="rss" text="Show {n}" xmlUrl="https://feeds.example/{n}.xml"/>' for n in range(20_000))
    opml = tmp_path / "big.opml"
    opml.write_text(f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>')
    store.table("feeds")
    before = store.table("feeds").version
    imported = import_opml(store, opml)
    assert len(imported.feeds) == store.count("feeds") == 20_000 and not imported.refused
    assert store.table("feeds").version - before == 1, "one write, not one per feed"
    again = import_opml(store, opml)
    assert len(again.feeds) == 20_000 and store.count("feeds") == 20_000
    assert store.table("feeds").version - before == 1, "known feeds cost no write at all"


# -- killed runs -----------------------------------------------------------------------------------------------


def test_audio_of_killed_runs_never_piles_up(http_server: LocalHTTPServer, tmp_path: Path) -> None:
    """kill -9 a run in the middle of a download, again and again; the next run clears what they left."""
    clip = (AUDIO / "jfk.flac").read_bytes()
    http_server.route("/slow.flac", body=clip, drip=0.002, content_type="audio/flac")  # minutes to finish
    http_server.route("/feed.xml", body=rss("Audio", [Item("a", "Slow clip", audio="/slow.flac", audio_type="audio/flac")]))
    db = tmp_path / "db"
    env = {**os.environ, "PODBRIEF_DB": str(db), "PODBRIEF_FETCH_DEADLINE_S": "600"}
    cmd = [sys.executable, "-m", "pipeline", "ingest", "--feed", http_server.url("/feed.xml")]
    scratch = db / SCRATCH
    for _ in range(KILL_CYCLES):
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(p.stat().st_size for p in scratch.glob("run-*/podbrief-*")):
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        left = list(scratch.glob("run-*/*"))
        assert len(left) == 1 and left[0].stat().st_size > 0, "the kill left a partial download behind"
    http_server.route("/slow.flac", body=clip, content_type="audio/flac")
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not scratch.exists(), "the run cleared what killed runs left and its own folder"
    assert Store(db).rows("episodes")[0]["status"] == "extracted"
