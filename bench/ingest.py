"""Benchmark ingestion: ASR speed and accuracy on the bundled clips, and transcript-bearing episodes per minute.

Usage: python bench/ingest.py [--episodes 40]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import get_settings  # noqa: E402
from pipeline.embed import embed  # noqa: E402
from pipeline.ingest import ingest  # noqa: E402
from pipeline.store import Store  # noqa: E402
from pipeline.transcribe import transcribe  # noqa: E402
from pipeline.wer import wer  # noqa: E402

AUDIO = ROOT / "tests" / "fixtures" / "audio"
TRANSCRIPTS = ROOT / "data" / "samples" / "transcripts"


def bench_asr() -> tuple[float, float]:
    """Audio seconds per wall second and mean WER over the clips with reference text (model load excluded)."""
    with (AUDIO / "REFERENCES.tsv").open() as fh:
        refs = list(csv.DictReader(fh, delimiter="\t"))
    transcribe(AUDIO / refs[0]["file"])  # load the model once, outside the timing
    audio_s = wall_s = 0.0
    errors = []
    for ref in refs:
        start = time.perf_counter()
        result = transcribe(AUDIO / ref["file"])
        wall_s += time.perf_counter() - start
        audio_s += float(ref["duration_s"])
        errors.append(wer(ref["reference_text"], result.text))
        print(f"asr {ref['file']}: {float(ref['duration_s']):.1f}s audio, WER {errors[-1]:.3f}", file=sys.stderr)
    return audio_s / wall_s, sum(errors) / len(errors)


def bench_episodes(count: int) -> float:
    """Transcript-bearing episodes per minute: feed to stored segments, insights and vectors."""
    transcripts = sorted(p for p in TRANSCRIPTS.iterdir() if p.suffix in {".vtt", ".srt", ".json", ".html"})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for p in transcripts:
            shutil.copy(p, folder / p.name)
        items = "".join(
            f"<item><guid>bench-{i}</guid><title>Episode {i}</title><pubDate>Mon, 09 Feb 2026 10:00:00 +0000</pubDate>"
            f"<podcast:transcript url='{transcripts[i % len(transcripts)].name}' type='text/vtt'/></item>"
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
    args = parser.parse_args()
    rtf, error = bench_asr()
    per_min = bench_episodes(args.episodes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"asr_rtf": round(rtf, 1), "asr_wer": round(error, 3), "episodes_per_min": round(per_min, 1),
                      "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
