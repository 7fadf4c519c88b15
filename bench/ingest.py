"""Benchmark ingestion: ASR speed and accuracy on the bundled clips, and transcript-bearing episodes per minute.

Usage: python bench/ingest.py [--episodes 40] [--repeats 4]
The last line printed is one JSON object: asr_rtf, asr_wer, episodes_per_min, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import get_settings  # noqa: E402
from pipeline.ingest.run import ingest  # noqa: E402
from pipeline.ingest.transcribe import transcribe  # noqa: E402
from pipeline.ingest.wer import wer  # noqa: E402
from pipeline.insights.embed import embed  # noqa: E402
from pipeline.store import Store  # noqa: E402

AUDIO = ROOT / "tests" / "fixtures" / "audio"
TRANSCRIPTS = ROOT / "data" / "samples" / "transcripts"
MIME = {".vtt": "text/vtt", ".srt": "application/srt", ".json": "application/json", ".html": "text/html"}
SAMPLE_RATE = 16000


def bench_asr(repeats: int) -> tuple[float, float]:
    """Audio seconds per wall second and WER on the bundled clips, played back to back as one long episode.

    Podcasts are long; Whisper encodes 30-second windows, so a 3-second clip alone costs as much as 30 seconds
    of speech. Each clip's own speed goes to stderr; the figure returned is for the joined audio.
    """
    from faster_whisper import decode_audio

    with (AUDIO / "REFERENCES.tsv").open() as fh:
        refs = list(csv.DictReader(fh, delimiter="\t"))
    transcribe(AUDIO / refs[0]["file"])  # load the model once, outside the timing
    for ref in refs:
        start = time.perf_counter()
        text = transcribe(AUDIO / ref["file"]).text
        wall = time.perf_counter() - start
        print(f"asr {ref['file']}: {float(ref['duration_s']) / wall:.1f}x real time alone, "
              f"WER {wer(ref['reference_text'], text):.3f}", file=sys.stderr)
    pause = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    joined = np.concatenate([part for _ in range(repeats) for ref in refs
                             for part in (decode_audio(str(AUDIO / ref["file"]), sampling_rate=SAMPLE_RATE), pause)])
    reference = " ".join(ref["reference_text"] for _ in range(repeats) for ref in refs)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "joined.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes((np.clip(joined, -1, 1) * 32767).astype("<i2").tobytes())
        start = time.perf_counter()
        text = transcribe(path).text
        wall = time.perf_counter() - start
    seconds = len(joined) / SAMPLE_RATE
    print(f"asr joined: {seconds:.0f}s audio in {wall:.1f}s", file=sys.stderr)
    return seconds / wall, wer(reference, text)


def bench_episodes(count: int) -> float:
    """Transcript-bearing episodes per minute: feed to stored segments, insights and vectors."""
    transcripts = sorted(p for p in TRANSCRIPTS.iterdir() if p.suffix in {".vtt", ".srt", ".json", ".html"})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for p in transcripts:
            shutil.copy(p, folder / p.name)
        items = "".join(
            f"<item><guid>bench-{i}</guid><title>Episode {i}</title><pubDate>Mon, 09 Feb 2026 10:00:00 +0000</pubDate>"
            f"<podcast:transcript url='{transcripts[i % len(transcripts)].name}' "
            f"type='{MIME[transcripts[i % len(transcripts)].suffix]}'/></item>"
            for i in range(count)
        )
        feed = folder / "feed.xml"
        feed.write_text(
            "<rss xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel><title>Bench</title>"
            f"{items}</channel></rss>"
        )
        settings = get_settings(podbrief_db=str(folder / "db"))
        store = Store(settings.podbrief_db)
        embed(["warm up the embedder outside the timing"], settings=settings)
        start = time.perf_counter()
        report = ingest(store, feeds=[str(feed)], max_new=count, settings=settings)
        elapsed = time.perf_counter() - start
        print(f"episodes: {report.extracted} in {elapsed:.1f}s ({report.insights} insights)", file=sys.stderr)
        return report.extracted / elapsed * 60


def main() -> None:
    """Run both benchmarks and print the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=4, help="how often the clips are joined for the long-form ASR run")
    args = parser.parse_args()
    rtf, error = bench_asr(args.repeats)
    per_min = bench_episodes(args.episodes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"asr_rtf": round(rtf, 1), "asr_wer": round(error, 3), "episodes_per_min": round(per_min, 1),
                      "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
