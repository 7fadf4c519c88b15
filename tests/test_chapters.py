"""Podcasting 2.0 chapters: read from the feed, fetched like a transcript, and used by extraction as the episode's
sections and context; a sponsor chapter is a sponsor read. A bad or unreachable chapters file never stops an episode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import Settings, get_settings
from pipeline.errors import TranscriptError
from pipeline.ingest.chapters import parse_chapters, stored_chapters
from pipeline.ingest.feeds import parse_feed
from pipeline.ingest.run import ingest
from pipeline.ingest.transcripts import parse_transcript
from pipeline.insights.extract import extract
from pipeline.insights.gates import SPONSOR
from pipeline.insights.sections import chapter_of, chapter_sections
from pipeline.models import Chapter
from pipeline.store import Store
from tests.feed_builder import Item, rss

TRANSCRIPTS = Path(__file__).parent / "fixtures" / "transcripts"
EPISODE = TRANSCRIPTS / "pc20ns_buzzsprout_10things.srt"
CHAPTERS = TRANSCRIPTS / "pc20ns_buzzsprout_10things_chapters.json"


def _transcript():
    return parse_transcript(EPISODE.read_bytes(), filename=EPISODE.name, content_type=None)


def _chapter_of(start_s: float, chapters: list[Chapter]) -> int:
    return max(k for k, c in enumerate(chapters) if c.start_s <= start_s)


def test_real_feeds_link_their_episodes_chapters() -> None:
    feeds = Path(__file__).parent / "fixtures" / "feeds"
    for name, url in [("mike_neumann_show.xml", "https://mikeneumann.show/feed.xml"),
                      ("podcasting20_pc20rss.xml", "https://mp3s.nashownotes.com/pc20rss.xml")]:
        content = (feeds / name).read_bytes()
        linked = [i.chapters_url for i in parse_feed(content, url).items if i.chapters_url]
        assert len(linked) == content.count(b"<podcast:chapters") > 0, name  # one per item that has the tag
        assert all(u.startswith(("https://", "http://")) for u in linked), name


def test_a_chapters_file_reads_as_timed_titles() -> None:
    chapters = parse_chapters(CHAPTERS.read_bytes())
    assert [c.title for c in chapters][:3] == ["Intro", "Good audio without a studio", "What your podcast intro should say"]
    assert len(chapters) == 11  # the "toc": false marker is left out
    example = parse_chapters((TRANSCRIPTS / "pc20ns_chapters_example.json").read_bytes())  # the namespace's own example
    assert [c.start_s for c in example] == sorted(c.start_s for c in example) and example[0].title == "Intro"


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b'{"chapters": 3}', "{\"chapters\": [\u00ff".encode("latin-1")])
def test_a_file_that_is_not_chapters_is_a_clear_error(content: bytes) -> None:
    with pytest.raises(TranscriptError, match="chapters"):
        parse_chapters(content)


def test_only_sane_start_times_and_short_plain_titles_are_kept() -> None:
    raw = {"chapters": [{"startTime": -5, "title": "before"}, {"startTime": "12", "title": "text time"},
                        {"startTime": True, "title": "bool"}, {"startTime": 1e400, "title": "inf"}, "junk",
                        {"startTime": 30, "title": "  Two\n lines  " + "x" * 500}, {"startTime": 10}]}
    chapters = parse_chapters(json.dumps(raw).encode())
    assert [c.start_s for c in chapters] == [10.0, 30.0]
    assert chapters[0].title == "" and chapters[1].title.startswith("Two lines x") and len(chapters[1].title) == 200


def test_sentences_fall_in_the_chapter_they_start_in() -> None:
    chapters = [Chapter(0, "a"), Chapter(60, "b"), Chapter(120, "c")]
    assert chapter_sections([0.0, 59.9, 60.0, 200.0], chapters) == [0, 0, 1, 2]
    assert chapter_sections([0.0, 30.0], chapters) is None  # all in one chapter: no sections to spread over
    assert chapter_sections([5.0], []) is None
    assert chapter_of([-1.0, 0.0, 61.0], chapters) == [-1, 0, 1]  # before the first chapter: none (not an ad break)


def test_insights_spread_over_the_chapters_and_a_sponsor_chapter_is_a_sponsor_read() -> None:
    chapters = parse_chapters(CHAPTERS.read_bytes())
    six = Settings(podbrief_insights_min=6, podbrief_insights_max=6)  # fewer than the seven tips with a point to make
    found = extract(_transcript(), extractor="extractive", title="10 things we wish we knew", chapters=chapters,
                    settings=six)
    kept = [i for i in found.insights if not i.flags]
    assert len(kept) == 6
    assert len({_chapter_of(i.start_s, chapters) for i in kept}) == 6  # one chapter each: the best of each first

    # The same episode with the chapter of its best insight titled as an ad break: nothing said there is one any more.
    best = _chapter_of(max(kept, key=lambda i: i.score).start_s, chapters)
    ad = [Chapter(c.start_s, "Ad break: Buzzsprout" if k == best else c.title) for k, c in enumerate(chapters)]
    start, end = chapters[best].start_s, chapters[best + 1].start_s if best + 1 < len(chapters) else float("inf")
    gated = extract(_transcript(), extractor="extractive", chapters=ad)
    assert not any(start <= i.start_s < end for i in gated.insights if not i.flags)
    assert all(SPONSOR in i.flags for i in gated.insights if start <= i.start_s < end)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return get_settings(podbrief_db=str(tmp_path / "db"), podbrief_http_timeout=2.0, podbrief_retry_base_s=3600.0)


def test_ingestion_stores_an_episodes_chapters_and_goes_on_without_bad_ones(http_server, settings: Settings) -> None:
    http_server.serve_dir(TRANSCRIPTS, prefix="/t/")
    http_server.route("/t/broken.json", body=b"{not json", content_type="application/json")
    srt = http_server.url("/t/pc20ns_buzzsprout_10things.srt")
    feed = rss("Chaptered Show", [
        Item("ep-chapters", "With chapters", transcripts=[(srt, "application/srt")],
             chapters=http_server.url("/t/pc20ns_buzzsprout_10things_chapters.json")),
        Item("ep-broken", "Broken chapters", transcripts=[(srt, "application/srt")],
             chapters=http_server.url("/t/broken.json"), published="Tue, 10 Feb 2026 10:00:00 +0000"),
        Item("ep-missing", "Missing chapters", transcripts=[(srt, "application/srt")],
             chapters=http_server.url("/t/gone.json"), published="Wed, 11 Feb 2026 10:00:00 +0000"),
        Item("ep-local", "Local file as chapters", transcripts=[(srt, "application/srt")],
             chapters="file:///etc/passwd", published="Thu, 12 Feb 2026 10:00:00 +0000"),
    ])
    http_server.route("/feed.xml", body=feed, content_type="application/rss+xml")
    store = Store(settings.podbrief_db)

    report = ingest(store, feeds=[http_server.url("/feed.xml")], settings=settings)

    assert report.failed == []
    episodes = {e["guid"]: e for e in store.rows("episodes")}
    assert {e["status"] for e in episodes.values()} == {"extracted"}
    assert stored_chapters(episodes["ep-chapters"]["chapters"]) == parse_chapters(CHAPTERS.read_bytes())
    assert all(episodes[g]["chapters"] is None for g in ("ep-broken", "ep-missing", "ep-local"))
    assert episodes["ep-local"]["chapters_url"] == "file:///etc/passwd"  # recorded, never read
