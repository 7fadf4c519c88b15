"""Property-based fuzzing (hypothesis) of every parser that reads strangers' bytes: feeds, OPML, transcripts.

Each parser either returns well-formed data or raises its own error (FeedError, TranscriptError) for that item;
nothing else escapes, and a poll of a broken feed loses nothing already stored. PODBRIEF_FUZZ_EXAMPLES raises
the number of examples for a longer hunt (the README's figure came from such a run).
"""

from __future__ import annotations

import json
import math
import os
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import get_settings
from pipeline.errors import FeedError, TranscriptError
from pipeline.ingest import catalog
from pipeline.ingest.catalog import add_feeds
from pipeline.ingest.feeds import EARLIEST, MAX_BYTES_FIELD, MAX_DURATION_S, parse_feed
from pipeline.ingest.poll import poll_feed
from pipeline.ingest.run import ingest
from pipeline.ingest.transcripts import MAX_TIME_S, parse_transcript
from pipeline.store import Store

EXAMPLES = int(os.environ.get("PODBRIEF_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="PODBRIEF_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).parent.parent

wild_dates = st.sampled_from([
    "Fri, 31 Dec 9999 23:59:59 +0000", "Mon, 01 Jan 0001 00:00:00 GMT", "2090-01-01T00:00:00Z", "", "garbage",
    "Tue, 10 Feb 2026 10:00:00 +0000", "99999999999", "Thu, 30 Feb 2026 25:61:61 +9999", "1969-12-31T23:59:59Z",
    "Sat, 01 Jan 10000 00:00:00 GMT", "2026-02-10T10:00:00" + "9" * 500,
]) | st.text(max_size=40)
wild_urls = st.sampled_from([
    "file:///etc/passwd", "/etc/passwd", "../../secrets.toml", "http://127.0.0.1/x", "http://169.254.169.254/",
    "javascript:alert(1)", "http://[::1", "ht!tp://x", "", "a.mp3", "https://example.org/ep.mp3", "//evil.example/x", "~0",
]) | st.text(max_size=30)
wild_numbers = st.sampled_from(["1e400", "nan", "-5", "99:99:99", "1:2:3:4:5", "inf", "00:30:00", "9" * 5000,
                                "99999999999999999999999", "0x10", "1,000", "", "²", "١٢٣"]) | st.text(max_size=12)
words = st.text(max_size=60)


def _xml_text(draw: st.DrawFn) -> str:
    text = draw(words)
    return escape(text) if draw(st.booleans()) else text  # raw text may break the XML: the lenient path


@st.composite
def feed_documents(draw: st.DrawFn) -> bytes:
    """RSS/Atom-shaped documents with hostile values, optionally broken or re-encoded."""
    items = []
    for _ in range(draw(st.integers(0, 4))):
        parts = [f"<title>{_xml_text(draw)}</title>", f"<guid>{_xml_text(draw)}</guid>",
                 f"<pubDate>{escape(draw(wild_dates))}</pubDate>",
                 f"<enclosure url={quoteattr(draw(wild_urls))} length={quoteattr(draw(wild_numbers))} "
                 f"type={quoteattr(draw(st.sampled_from(['audio/mpeg', 'text/html', '', 'video/mp4'])))}/>",
                 f"<itunes:duration>{escape(draw(wild_numbers))}</itunes:duration>",
                 f"<podcast:transcript url={quoteattr(draw(wild_urls))} type={quoteattr(draw(words))}/>"]
        items.append("<item>" + "".join(draw(st.permutations(parts))[: draw(st.integers(0, len(parts)))]) + "</item>")
    prolog = draw(st.sampled_from([
        '<?xml version="1.0" encoding="UTF-8"?>', "", "\ufeff", '<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN">',
        '<?xml version="1.0" encoding="\x80UTF-8"?>', '<?xml version="1.0" encoding="\x00UTF-8"?>',
        '<?xml version="1.0" encoding="no-such-codec"?>',
        '<!DOCTYPE r [<!ENTITY a "aaaa">]>', "junk before the root ", "<!-- " + "x" * 25_000 + " -->",
    ]))
    channel = (f"<title>{_xml_text(draw)}</title><itunes:new-feed-url>{escape(draw(wild_urls))}</itunes:new-feed-url>"
               + draw(st.sampled_from(["", "<podcast:block>yes</podcast:block>", "<itunes:block>yes</itunes:block>"])))
    doc = (f"{prolog}<rss version='2.0' xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd' "
           f"xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel>{channel}{''.join(items)}</channel></rss>")
    data = doc.encode(draw(st.sampled_from(["utf-8", "utf-16", "latin-1"])), errors="replace")
    cut = draw(st.integers(0, len(data)))
    return data if draw(st.booleans()) else data[:cut] + draw(st.binary(max_size=20)) + data[cut:]


@st.composite
def opml_documents(draw: st.DrawFn) -> bytes:
    outlines = "".join(
        f"<outline text={quoteattr(draw(words))} {draw(st.sampled_from(['xmlUrl', 'xmlurl', 'url']))}="
        f"{quoteattr(draw(wild_urls))}/>"
        for _ in range(draw(st.integers(0, 6)))
    )
    nest = draw(st.integers(0, 3))
    doc = f"<opml><body>{'<outline>' * nest}{outlines}{'</outline>' * nest}</body></opml>"
    return draw(st.sampled_from(["", '<?xml version="1.0"?>', '<!DOCTYPE o [<!ENTITY e "x">]>'])).encode() + doc.encode()


stamps = st.sampled_from(["00:00.000", "00:01.500", "01:00:00.000", "99:59.999", "9" * 50 + ":00:00.000", "00:61.000",
                          "9" * 5000 + ":00:00.000", "9999:59:59.999",
                          "-00:01.000", "00:00,500", "1:2:3", "00:05.000"]) | st.text(max_size=14)


@st.composite
def transcripts(draw: st.DrawFn) -> tuple[bytes, str]:
    """(document, file name) in every format Podbrief reads, with hostile timing and text."""
    kind = draw(st.sampled_from(["vtt", "srt", "json", "html", "txt", "bytes"]))
    if kind in ("vtt", "srt"):
        cues = [f"{n}\n{draw(stamps)} --> {draw(stamps)}\n{draw(words)}" for n in range(draw(st.integers(0, 5)))]
        text = ("WEBVTT\n\n" if kind == "vtt" else "") + "\n\n".join(cues)
    elif kind == "json":
        number = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**30), 10**30), words)
        segment = st.fixed_dictionaries({"startTime": number, "endTime": number},
                                        optional={"body": words, "speaker": words | st.integers()})
        doc = draw(st.one_of(
            st.fixed_dictionaries({"segments": st.lists(segment, max_size=6)}, optional={"language": words | st.integers()}),
            st.recursive(st.none() | st.booleans() | number, lambda inner: st.lists(inner) | st.dictionaries(words, inner),
                         max_leaves=8),
        ))
        text = json.dumps(doc) if draw(st.booleans()) else "[" * draw(st.integers(1, 100_000))
    elif kind == "html":
        tags = [f"<{t}>{draw(words)}</{t}>" for t in draw(st.lists(st.sampled_from(["cite", "time", "p", "script", "div"]),
                                                                   max_size=8))]
        text = "<html><body>" + "".join(tags) + draw(st.sampled_from(["", "<p>", "</body></html>"]))
    elif kind == "txt":
        text = draw(st.text(max_size=300))
    else:
        return draw(st.binary(max_size=300)), "t.bin"
    return text.encode(draw(st.sampled_from(["utf-8", "utf-16", "cp1252"])), errors="replace"), f"t.{kind}"


@FUZZ
@given(feed_documents())
def test_feed_parser_returns_sane_items_or_a_feed_error(document: bytes) -> None:
    try:
        parsed = parse_feed(document, "https://example.org/feed.xml", fetched_at=NOW)
    except FeedError:
        return
    assert isinstance(parsed.title, str)
    for item in parsed.items:
        assert item.episode_id and isinstance(item.title, str)
        assert item.published is None or EARLIEST <= datetime.fromisoformat(item.published) <= NOW
        assert item.duration_s is None or (math.isfinite(item.duration_s) and 0 < item.duration_s <= MAX_DURATION_S)
        assert item.audio_length is None or 0 < item.audio_length <= MAX_BYTES_FIELD
        assert item.published_raw is None or len(item.published_raw) <= 100


@FUZZ
@given(opml_documents(), st.sampled_from(["page", "opml"]))
def test_opml_gives_addresses_or_a_feed_error(document: bytes, via: str) -> None:
    try:
        urls = catalog._outline_urls(document)
    except FeedError:
        return
    added, refused = catalog._normalise_all(urls, via)
    assert len(added) + len(refused) == len(urls)
    if via == "page":
        assert all(u.lower().startswith(("http://", "https://")) for u in added)


@FUZZ
@given(transcripts(), st.sampled_from([None, "text/vtt", "application/json", "text/html", "text/plain", "image/png"]))
def test_transcript_parser_returns_timed_text_or_a_transcript_error(sample: tuple[bytes, str], content_type: str | None
                                                                    ) -> None:
    data, name = sample
    try:
        transcript = parse_transcript(data, filename=name, content_type=content_type)
    except TranscriptError:
        return
    assert transcript.segments
    for segment in transcript.segments:
        assert math.isfinite(segment.start_s) and math.isfinite(segment.end_s)
        assert 0 <= segment.start_s <= segment.end_s <= MAX_TIME_S
        assert segment.text.strip()


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path, dict]:
    """A store with a real feed ingested: the fuzzed documents replace that feed's file, poll after poll."""
    folder = tmp_path_factory.mktemp("fuzzfeed")
    sample = ROOT / "data" / "samples"
    (folder / "t.vtt").write_bytes((sample / "transcripts" / "changelog-news-180.vtt").read_bytes())
    feed = folder / "feed.xml"
    feed.write_text((sample / "feeds" / "changelog-news.xml").read_text().replace("../transcripts/changelog-news-180.vtt",
                                                                                  "t.vtt"))
    store = Store(folder / "db")
    add_feeds(store, [str(feed)])
    assert ingest(store, settings=get_settings(podbrief_db=str(folder / "db"))).extracted == 1
    return store, feed, {name: store.count(name) for name in ("episodes", "segments", "insights")}


@settings(max_examples=max(10, EXAMPLES // 10), deadline=None, derandomize="PODBRIEF_FUZZ_EXAMPLES" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(feed_documents())
def test_polling_a_broken_feed_loses_nothing_stored(polled: tuple[Store, Path, dict], document: bytes) -> None:
    store, path, counts = polled
    before = {e["episode_id"]: e["status"] for e in store.rows("episodes")}
    path.write_bytes(document)
    store.update("feeds", store.rows("feeds")[0]["feed_id"],  # undo the moves of earlier examples
                 {"url": path.as_uri(), "moved_from": None, "added_via": "cli"})
    feed = store.rows("feeds")[0]
    poll_feed(store, feed, max_new=2, settings=get_settings())
    after = {e["episode_id"]: e["status"] for e in store.rows("episodes")}
    assert all(after.get(k) == v for k, v in before.items()), "an episode already stored changed or vanished"
    assert store.count("segments") == counts["segments"] and store.count("insights") == counts["insights"]
    assert store.count("feeds") == 1
