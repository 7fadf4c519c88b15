"""The feed stage on real feeds: the 20 bundled podcasts, odd feeds, and gPodder's 70 edge cases."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.errors import FeedError
from pipeline.ingest.feeds import parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
FEEDS = FIXTURES / "feeds"
ODD = FIXTURES / "feeds_odd"
GPODDER = ODD / "gpodder_podcastparser_unit"


def _index() -> list[dict]:
    with (FEEDS / "INDEX.tsv").open() as fh:
        return [row for row in csv.DictReader(fh, delimiter="\t") if row["file"].startswith("feeds/")]


@pytest.mark.parametrize("row", _index(), ids=lambda r: Path(r["file"]).name)
def test_every_real_feed_is_read_with_its_episode_count(row: dict) -> None:
    path = FEEDS / Path(row["file"]).name
    parsed = parse_feed(path.read_bytes(), path.as_uri())
    assert len(parsed.items) == int(row["items"])
    assert parsed.title.strip()[:20] == row["channel_title"].strip()[:20]
    assert len({i.episode_id for i in parsed.items}) == len(parsed.items), "episode ids must be unique"


def test_all_podcast_transcript_tags_are_kept_and_relative_urls_resolved() -> None:
    parsed = parse_feed((FEEDS / "mike_neumann_show.xml").read_bytes(), "https://example.org/feeds/mike.xml")
    links = [t for i in parsed.items for t in i.transcripts]
    assert len(links) == 56  # 54 SRT and 2 VTT: feedparser alone keeps one per item
    assert {t.type for t in links} == {"application/x-subrip", "text/vtt"}
    relative = parse_feed(
        b'<rss xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>t</title><item><guid>g</guid>'
        b'<enclosure url="audio/a.mp3" type="audio/mpeg"/><podcast:transcript url="t/a.vtt" type="text/vtt"/>'
        b"</item></channel></rss>",
        "file:///srv/feeds/show.xml",
    )
    assert relative.items[0].audio_url == "file:///srv/feeds/audio/a.mp3"
    assert relative.items[0].transcripts[0].url == "file:///srv/feeds/t/a.vtt"


def test_podcast_block_and_new_feed_url() -> None:
    spec = parse_feed((ODD / "pc20ns_spec_example.xml").read_bytes(), "https://example.org/pc20.xml")
    assert spec.blocked  # <podcast:block>yes</podcast:block>; the id="..." ones are for other platforms
    moved = parse_feed(
        b'<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>t</title>'
        b"<itunes:new-feed-url>https://new.example/feed</itunes:new-feed-url></channel></rss>",
        "https://old.example/feed",
    )
    assert moved.new_feed_url == "https://new.example/feed"
    assert not moved.blocked


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((ODD / "not_xml.rss").read_bytes(), "is not XML"),
        (b"<!DOCTYPE html><html><body>Welcome</body></html>", "is a web page, not a feed"),
        (b"", "is empty"),
        ((FEEDS / "serial.rss").read_bytes()[:40000], "is truncated"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<rss><channel><title>&b;</title></channel></rss>",
            "entity-expansion",
        ),
        (b'<?xml version="1.0" encoding="\x80UTF-8"?><rss><channel><title>t</title></channel></rss>', "encoding is broken"),
        (b'<?xml version="1.0" encoding="\x00UTF-8"?><rss><channel><title>t</title></channel></rss>', "encoding is broken"),
    ],
    ids=["not-xml", "html-page", "empty", "truncated", "entity-bomb", "bad-encoding", "null-in-encoding"],
)
def test_bad_feeds_raise_a_specific_error(content: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(content, "https://example.org/feed")


def test_odd_but_real_feeds_are_read() -> None:
    for name in ("apple_example_single_quoted_attrs.xml", "podcast_help_desk_no_pubdate.rss", "unicode_stress.rss"):
        parsed = parse_feed((ODD / name).read_bytes(), (ODD / name).as_uri())
        assert parsed.items, name
    no_dates = parse_feed((ODD / "podcast_help_desk_no_pubdate.rss").read_bytes(), "https://example.org/f")
    assert any(i.published is None for i in no_dates.items)


def _gpodder_cases() -> list[Path]:
    return sorted(p for p in GPODDER.iterdir() if p.suffix in {".rss", ".xml"})


@pytest.mark.parametrize("path", _gpodder_cases(), ids=lambda p: p.stem)
def test_gpodder_edge_cases_agree_with_gpodders_parser(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text())
    # gPodder's tests parse with this base URL, which its expected guids and links are relative to.
    base = "file://tests/data/" + path.name
    try:
        parsed = parse_feed(path.read_bytes(), base)
    except FeedError:
        assert not expected.get("episodes"), "only feeds gPodder also finds empty may fail"
        return
    by_guid = {item.guid: item for item in parsed.items if item.guid}
    by_audio = {item.audio_url: item for item in parsed.items if item.audio_url}
    for want in expected.get("episodes", []):
        url = want["enclosures"][0]["url"] if want.get("enclosures") else None
        item = by_guid.get(want.get("guid")) or by_audio.get(url)
        assert item is not None or not url, f"episode {want['title']!r} with audio {url} was not read"
        if item is None:
            continue
        if want["title"]:
            assert item.title == want["title"]
        if url:
            assert item.audio_url == url
        if want.get("published"):
            assert item.published == datetime.fromtimestamp(want["published"], UTC).isoformat()
