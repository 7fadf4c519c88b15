"""Benchmark ingestion: ASR accuracy and speed per audio condition, and transcript-bearing episodes per minute.

Usage: python bench/ingest.py [--audio DIR] [--repeats 4] [--episodes 40]
ASR runs on the reference clips of DIR (default ../shared/data/audio, else tests/fixtures/audio), clean and in
degraded copies made here (bench/asr_conditions.py), for plain faster-whisper and for Podbrief's setups.
The last line printed is one JSON object: asr (per condition and setup), asr_rtf and asr_wer (Podbrief's default
on clean long-form audio), episodes_per_min, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.asr_conditions import CONDITIONS, calibration, clips, degrade, long_form, measure, setups  # noqa: E402
from pipeline.config import get_settings  # noqa: E402
from pipeline.ingest.run import ingest  # noqa: E402
from pipeline.insights.embed import embed  # noqa: E402
from pipeline.store import Store  # noqa: E402

SHARED_AUDIO = ROOT.parent / "shared" / "data" / "audio"
AUDIO = SHARED_AUDIO if SHARED_AUDIO.is_dir() else ROOT / "tests" / "fixtures" / "audio"
TRANSCRIPTS = ROOT / "data" / "samples" / "transcripts"
CONFIDENCE_THRESHOLD = 0.6  # where the calibration line splits the clips
MIME = {".vtt": "text/vtt", ".srt": "application/srt", ".json": "application/json", ".html": "text/html"}


def bench_asr(audio: Path, repeats: int, threads: int, beam: int, sweep: bool) -> dict[str, dict]:
    """Per condition and setup: clip WER and speed, and long-form WER and speed where the setup asks for it.

    Also how the default setup's segment confidence tracks WER, over all clips and conditions.
    """
    runs = setups(threads, beam, sweep=sweep)
    source = clips(audio)
    results: dict[str, dict] = {}
    scored: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        conditions = degrade(source, Path(tmp))
        for setup in runs:  # load each model and warm it up outside the timing
            setup.run(source[0].path, source[0].context)
        for condition in CONDITIONS:
            results[condition] = {}
            for setup in runs:
                results[condition][setup.name] = measure(setup, conditions[condition], scored if setup is runs[-1] else [])
            for setup in (run for run in runs if run.long_form):
                results[condition][setup.name]["long_form"] = long_form(setup, conditions[condition], repeats, Path(tmp))
            for name, row in results[condition].items():
                print(f"asr {condition:>14} | {name:<36} {json.dumps(row)}", file=sys.stderr)
    results["confidence"] = calibration(scored, CONFIDENCE_THRESHOLD)
    print(f"asr confidence of {runs[-1].name}: {json.dumps(results['confidence'])}", file=sys.stderr)
    return results


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audio", type=Path, default=AUDIO, help="a folder of clips with a REFERENCES.tsv")
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=4, help="how often the clips are joined for the long-form ASR run")
    parser.add_argument("--sweep", action="store_true", help="also try decoding options on plain faster-whisper")
    parser.add_argument("--threads", type=int, default=2, help="ASR threads (the machine this plans for has 2 cores)")
    args = parser.parse_args()
    settings = get_settings()
    asr = bench_asr(args.audio, args.repeats, args.threads, settings.podbrief_whisper_beam, args.sweep)
    default = asr["clean"][list(asr["clean"])[-1]]["long_form"]
    per_min = bench_episodes(args.episodes)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"asr": asr, "asr_rtf": default["x_real_time"], "asr_wer": default["wer"],
                      "episodes_per_min": round(per_min, 1), "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
