"""Every fetch has an overall deadline and a size cap enforced while streaming, against real misbehaving servers."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from pathlib import Path

import pytest

from pipeline.config import get_settings
from pipeline.errors import DownloadError
from pipeline.ingest.http import GB, MB, Budget, download, fetch
from pipeline.ingest.reach import operator_access
from pipeline.ingest.run import ingest
from pipeline.store import Store
from tests.feed_builder import Item, rss
from tests.httpserver import LocalHTTPServer

VTT = "WEBVTT\n\n00:00.000 --> 00:03.000\nA perfectly ordinary sentence about podcasts and their listeners.\n"


def _budget(max_bytes: int = 1_000_000, seconds: float = 30.0, timeout: float = 5.0) -> Budget:
    return Budget(max_bytes, seconds, timeout, "PODBRIEF_TEST_MB", "PODBRIEF_TEST_DEADLINE_S")


def _zeros_gzipped(size: int) -> bytes:
    """size bytes of zeros, gzipped a megabyte at a time (a decompression bomb about size/1000 bytes long)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MB)
    return b"".join(packer.compress(block) for _ in range(size // MB)) + packer.flush()


def test_a_slow_drip_cannot_hold_a_fetch_past_its_deadline(http_server: LocalHTTPServer) -> None:
    body = b"<rss>" + b" " * 2000 + b"</rss>"  # at a byte every 0.1 s this would take over 200 s
    url = http_server.route("/drip.xml", body=body, drip=0.1)
    with pytest.raises(DownloadError) as raised:
        fetch(url, access=operator_access(), budget=_budget(seconds=1.5, timeout=1.0))
    message = str(raised.value)
    assert message.startswith(f"Gave up on {url} after 1.5 s in all (it had sent ")
    assert message.endswith("raise PODBRIEF_TEST_DEADLINE_S.")
    sent = int(message.split("it had sent ")[1].split(" bytes")[0].replace(",", ""))
    assert 0 < sent < len(body) and http_server.dripped("/drip.xml") < len(body)


def test_a_server_that_never_answers_is_left_at_the_deadline(http_server: LocalHTTPServer) -> None:
    url = http_server.route("/silent.xml", body="<rss/>", delay=30)
    with pytest.raises(DownloadError, match=r"Gave up on .*/silent.xml after 1 s in all: the server sends too slowly"):
        fetch(url, access=operator_access(), budget=_budget(seconds=1.0, timeout=10.0))


def test_audio_deadlines_grow_with_the_size_at_ten_minutes_a_gigabyte() -> None:
    settings = get_settings()
    audio = Budget.audio(settings)
    assert settings.podbrief_audio_s_per_gb == 600 and settings.podbrief_fetch_deadline_s == 60
    assert audio.seconds_for(2 * GB) == audio.seconds_for(None) == settings.podbrief_max_audio_mb / 1024 * 600
    assert audio.seconds_for(GB // 4) == 150
    assert audio.seconds_for(10 * MB) == 60, "never under the feed deadline"
    assert Budget.feed(settings).seconds_for(5 * GB) == 60
    big = Budget.audio(get_settings(podbrief_max_audio_mb=4096))
    assert big.seconds_for(3 * GB) == 1800


def test_a_slow_feed_and_a_slow_transcript_do_not_stop_the_run(http_server: LocalHTTPServer, tmp_path: Path) -> None:
    settings = get_settings(podbrief_db=str(tmp_path / "db"), podbrief_fetch_deadline_s=1.5, podbrief_http_timeout=1.0,
                            podbrief_retry_base_s=3600.0)
    http_server.route("/slow.xml", body=rss("Slow", [Item("x", "x", transcripts=[("/ok.vtt", "text/vtt")])]), drip=0.05)
    http_server.route("/drip.vtt", body=VTT, drip=0.1, content_type="text/vtt")
    http_server.route("/ok.vtt", body=VTT, content_type="text/vtt")
    fine = rss("Fine", [
        Item("dripping", "Dripping transcript", transcripts=[(http_server.url("/drip.vtt"), "text/vtt")]),
        Item("ok", "Fine transcript", transcripts=[(http_server.url("/ok.vtt"), "text/vtt")]),
    ])
    store = Store(settings.podbrief_db)
    report = ingest(store, feeds=[http_server.url("/slow.xml"), http_server.route("/fine.xml", body=fine)],
                    settings=settings)
    assert report.feeds_failed == 1 and "Gave up on" in report.feed_errors[0]
    episodes = {e["guid"]: e for e in store.rows("episodes")}
    assert episodes["ok"]["status"] == "extracted"
    assert episodes["dripping"]["status"] == "failed" and "Gave up on" in episodes["dripping"]["error"]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_a_compressed_body_is_capped_while_it_inflates(http_server: LocalHTTPServer, coding: str) -> None:
    plain = b"<rss>" + b"x" * 300_000 + b"</rss>"
    # raw deflate: the zlib stream without its 2-byte header and 4-byte checksum, as some servers send "deflate"
    body = {"gzip": gzip.compress(plain), "deflate": zlib.compress(plain), "raw-deflate": zlib.compress(plain)[2:-4]}[coding]
    header = "gzip" if coding == "gzip" else "deflate"
    url = http_server.route("/feed.xml", body=body, headers={"Content-Encoding": header})
    assert fetch(url, access=operator_access(), budget=_budget()).content == plain
    assert http_server.requests("/feed.xml")[0].headers["accept-encoding"] == "gzip, deflate"
    with pytest.raises(DownloadError, match=r"over the 100,000-byte limit \(the body kept coming\).*PODBRIEF_TEST_MB"):
        fetch(url, access=operator_access(), budget=_budget(max_bytes=100_000))


def test_a_gzip_bomb_stays_small_in_memory(http_server: LocalHTTPServer) -> None:
    bomb = _zeros_gzipped(200 * MB)  # about 200 KB on the wire
    url = http_server.route("/bomb.xml", body=bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(DownloadError, match="over the 2,000,000-byte limit"):
            fetch(url, access=operator_access(), budget=_budget(max_bytes=2_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(bomb) < MB and peak < 8 * MB, f"peak {peak:,} bytes: the body was inflated before it was counted"


def test_unknown_or_stacked_encodings_and_corrupt_bodies_are_refused(http_server: LocalHTTPServer) -> None:
    for path, encoding, body, why in [
        ("/br.xml", "br", b"\x00\x01", "compressed as 'br'"),
        ("/twice.xml", "gzip, gzip", gzip.compress(gzip.compress(b"<rss/>")), "compressed as 'gzip, gzip'"),
        ("/corrupt.xml", "gzip", b"\x1f\x8b\x08\x00garbage-garbage", "corrupt gzip body"),
    ]:
        url = http_server.route(path, body=body, headers={"Content-Encoding": encoding})
        with pytest.raises(DownloadError, match=why):
            fetch(url, access=operator_access(), budget=_budget())


def test_audio_is_capped_on_the_decompressed_size_too(http_server: LocalHTTPServer, tmp_path: Path) -> None:
    url = http_server.route("/ep.mp3", body=gzip.compress(b"ID3" + bytes(3 * MB)), content_type="audio/mpeg",
                            headers={"Content-Encoding": "gzip"})
    with pytest.raises(DownloadError, match=r"over the 1,000,000-byte limit .* raise PODBRIEF_TEST_MB"):
        download(url, tmp_path, access=operator_access(), budget=_budget())
    assert list(tmp_path.iterdir()) == []


def test_size_errors_name_settings_that_exist() -> None:
    settings = get_settings()
    names = {name.upper() for name in settings.__dataclass_fields__}
    for budget in (Budget.feed(settings), Budget.transcript(settings), Budget.audio(settings)):
        assert budget.bytes_setting in names and budget.seconds_setting in names
