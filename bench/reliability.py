"""Benchmark reliability: ingestion runs killed with SIGKILL at random moments, and how long a slow server can hold one.

Usage: python bench/reliability.py [--kills 60] [--seed 1] [--no-drip]
Kill cycles: `python -m pipeline ingest` over a feed served on 127.0.0.1 (publisher transcripts and audio for
speech recognition) is killed at a random moment, again and again; after each kill the store must open with no
duplicated row, and after the last a normal run must finish every episode and leave no audio behind.
Drip: one feed fetch against a server that sends a byte a second, and one against a server that sends nothing.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.config import get_settings  # noqa: E402
from pipeline.errors import DownloadError  # noqa: E402
from pipeline.ingest.http import Budget, fetch  # noqa: E402
from pipeline.ingest.reach import operator_access  # noqa: E402
from pipeline.ingest.run import SCRATCH  # noqa: E402
from pipeline.store import Store  # noqa: E402
from tests.feed_builder import Item, rss  # noqa: E402
from tests.httpserver import LocalHTTPServer  # noqa: E402

SAMPLES = ROOT / "data" / "samples"
TRANSCRIPTS = {"go-time-339.vtt": "text/vtt", "buzzsprout-10-things.srt": "application/srt",
               "today-in-focus-cyclone-idai.json": "application/json", "ship-it-135.vtt": "text/vtt"}
AUDIO = ["jfk.flac", "librispeech_2412-153948-0000.flac"]
KILL_WINDOW_S = (0.5, 12.0)  # a kill lands anywhere from start-up to extraction
KEYS = {"episodes": "episode_id", "segments": "segment_id", "insights": "insight_id", "feeds": "feed_id"}


def serve_feed(server: LocalHTTPServer) -> str:
    """A feed of publisher-transcript and audio-only episodes on the local server; returns its URL."""
    server.serve_dir(SAMPLES / "transcripts", prefix="/t/")
    server.serve_dir(SAMPLES / "audio", prefix="/a/")
    items = [Item(f"t{n}", f"Transcript {name}", published=f"Mon, {n + 2:02d} Feb 2026 10:00:00 +0000",
                  transcripts=[(f"/t/{name}", kind)]) for n, (name, kind) in enumerate(TRANSCRIPTS.items())]
    items += [Item(f"a{n}", f"Audio {name}", published=f"Tue, {n + 2:02d} Feb 2026 10:00:00 +0000", audio=f"/a/{name}",
                   audio_type="audio/flac") for n, name in enumerate(AUDIO)]
    return server.route("/feed.xml", body=rss("Reliability", items))


def duplicates(db: Path) -> int:
    """Rows whose id appears more than once, over the tables that have ids."""
    store = Store(db)
    extra = 0
    for table, key in KEYS.items():
        ids = [r[key] for r in store.rows(table, columns=[key])]
        extra += len(ids) - len(set(ids))
    return extra


def kill_cycles(url: str, kills: int, folder: Path, rng: random.Random) -> dict:
    """Kill runs at random moments; a run that finished first starts a new store, so kills keep hitting real work."""
    cmd = [sys.executable, "-m", "pipeline", "ingest", "--feed", url]
    stores, finished_first, most_left, dupes = 0, 0, 0, 0
    db = folder / "db0"
    for cycle in range(kills):
        env = {**os.environ, "PODBRIEF_DB": str(db)}
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=rng.uniform(*KILL_WINDOW_S))
            finished_first += 1
            stores += 1
            db = folder / f"db{stores}"
            continue
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        most_left = max(most_left, sum(1 for p in (db / SCRATCH).rglob("*") if p.is_file()))
        if (db / "episodes.lance").exists():
            dupes += duplicates(db)
        print(f"cycle {cycle + 1}/{kills}: killed", file=sys.stderr)
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "PODBRIEF_DB": str(db)}, capture_output=True, text=True,
                          timeout=900)
    store = Store(db)
    states = [e["status"] for e in store.rows("episodes")]
    return {
        "kill_cycles": kills - finished_first, "runs_that_finished_before_their_kill": finished_first,
        "most_audio_files_a_kill_left": most_left,
        "leaked_audio_files": sum(1 for p in (db / SCRATCH).rglob("*") if p.is_file()) if (db / SCRATCH).exists() else 0,
        "duplicate_rows": dupes + duplicates(db), "final_run_exit": done.returncode,
        "episodes_done": f"{states.count('extracted')}/{len(states)}",
    }


def hold(url: str) -> float:
    """Seconds one feed fetch is held by the server at url, under the default settings."""
    start = time.perf_counter()
    try:
        fetch(url, access=operator_access(), budget=Budget.feed(get_settings()))
    except DownloadError as exc:
        print(f"{url}: {exc}", file=sys.stderr)
    return round(time.perf_counter() - start, 1)


def drip_holds(server: LocalHTTPServer) -> dict:
    """How long a server dripping a byte a second, and one sending nothing, hold a fetch (run side by side)."""
    drip = server.route("/drip.xml", body=b"<rss>" + b" " * 100_000 + b"</rss>", drip=1.0)
    silent = server.route("/silent.xml", body=b"<rss/>", delay=3600)
    results: dict[str, float] = {}
    threads = [threading.Thread(target=lambda k=k, u=u: results.__setitem__(k, hold(u)))
               for k, u in (("drip_hold_s", drip), ("silent_hold_s", silent))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results | {"fetch_deadline_s": get_settings().podbrief_fetch_deadline_s}


def main() -> None:
    """Run both benchmarks and print the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-drip", action="store_true", help="skip the two one-minute drip measurements")
    args = parser.parse_args()
    summary: dict = {}
    with LocalHTTPServer() as server, tempfile.TemporaryDirectory() as tmp:
        url = serve_feed(server)
        if not args.no_drip:
            summary |= drip_holds(server)
        summary |= kill_cycles(url, args.kills, Path(tmp), random.Random(args.seed))
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
