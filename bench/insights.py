"""Benchmark insight extraction and embedding on an hour-long real transcript (Go Time #339, 60 minutes).

Usage: python bench/insights.py [--repeats 5]
The last line printed is one JSON object: episode_s (the transcript, from its feed to stored, embedded insights,
extractive, median of --repeats fresh stores), insights_per_s (extraction alone), embeddings_per_s (the bundled
MiniLM over every sentence of the episode) and peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import get_settings  # noqa: E402
from pipeline.ingest.run import ingest  # noqa: E402
from pipeline.ingest.transcripts import parse_transcript  # noqa: E402
from pipeline.insights.embed import embed  # noqa: E402
from pipeline.insights.extract import extract  # noqa: E402
from pipeline.insights.sentences import split_sentences  # noqa: E402
from pipeline.store import Store  # noqa: E402

TRANSCRIPT = ROOT / "data" / "samples" / "transcripts" / "go-time-339.vtt"
TITLE = "Go Time #339: Kent Quirk and Christian Gabrielsson on whether Go still makes sense"  # as its feed gives it


def _feed(folder: Path) -> Path:
    """A one-episode feed next to a copy of the transcript (a local feed may only name files in its own folder)."""
    transcript = folder / TRANSCRIPT.name
    shutil.copyfile(TRANSCRIPT, transcript)
    feed = folder / "feed.xml"
    feed.write_text(
        "<rss xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel><title>Bench</title><item>"
        f"<guid>hour</guid><title>{TITLE}</title><pubDate>Wed, 11 Feb 2026 10:00:00 +0000</pubDate>"
        f"<podcast:transcript url='{transcript.as_uri()}' type='text/vtt'/></item></channel></rss>"
    )
    return feed


def bench_episode(repeats: int) -> tuple[float, int]:
    """Seconds from feed to stored, embedded insights for the hour-long episode (median), and how many insights."""
    times, count = [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            settings = get_settings(podbrief_db=str(Path(tmp) / "db"))
            start = time.perf_counter()
            report = ingest(Store(settings.podbrief_db), feeds=[str(_feed(Path(tmp)))], settings=settings)
            times.append(time.perf_counter() - start)
            count = report.insights
    return statistics.median(times), count


def main() -> None:
    """Warm the models, run the three measurements and print the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    transcript = parse_transcript(TRANSCRIPT.read_bytes(), filename=TRANSCRIPT.name)
    sentences = [s.text for s in split_sentences(transcript)]
    embed(sentences[:8])  # load the ONNX model outside the timings

    start = time.perf_counter()
    rounds = 0
    while time.perf_counter() - start < 3 or rounds < 3:
        found = extract(transcript, extractor="extractive", title=TITLE).insights
        rounds += 1
    insights_per_s = rounds * len(found) / (time.perf_counter() - start)

    start = time.perf_counter()
    embed(sentences)
    embeddings_per_s = len(sentences) / (time.perf_counter() - start)

    episode_s, count = bench_episode(args.repeats)
    print(f"{transcript.duration_s / 60:.0f}-minute transcript, {len(sentences)} sentences, {count} insights; "
          f"feed to stored insights in {episode_s:.2f}s", file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"episode_s": round(episode_s, 2), "insights_per_s": round(insights_per_s, 1),
                      "embeddings_per_s": round(embeddings_per_s, 1), "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
