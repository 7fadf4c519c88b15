"""Benchmark the store beyond one folder: the demo ingested into a local folder, into an S3-compatible server (moto,
on 127.0.0.1) and with Ray into it, and concurrent writer processes merging into one table on it.

Usage: python bench/object_store.py [--writers 3] [--merges 15] [--no-ray]
moto keeps objects in memory behind a single Python process, so its requests are cheaper in latency than AWS S3's
(tens of ms each) and dearer in CPU; the figures show what the object store path costs here, not on AWS.
The last line printed is one JSON object: local_s, s3_s, ray_s3_s (cluster start included), the writers' wall time,
merges per second, and rows lost and duplicated (both must be 0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.store import Store  # noqa: E402
from tests.s3server import S3Server, running_s3_server  # noqa: E402

FEEDS = sorted((ROOT / "data" / "samples" / "feeds").glob("*.xml"))
WRITER = ROOT / "tests" / "store_writer.py"


def timed_ingest(db: str, tmp: Path, server: S3Server, *extra: str) -> float:
    """Seconds for `python -m pipeline ingest` of the demo feeds into the store at `db`."""
    env = {**os.environ, **server.env, "PODBRIEF_DB": db, "PODBRIEF_AUDIO_DIR": str(tmp / "audio"),
           "PODBRIEF_CACHE_DIR": str(tmp / "cache")}
    args = [arg for feed in FEEDS for arg in ("--feed", str(feed))]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "ingest", *extra, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ingest into {db} failed:\n{done.stderr}")
    print(f"{db} {' '.join(extra)}: {elapsed:.1f} s; {done.stdout.strip().splitlines()[-1]}", file=sys.stderr)
    return elapsed


def writers_trial(server: S3Server, writers: int, merges: int) -> dict:
    """Concurrent writer processes each making `merges` merges into one table; wall time, losses and duplicates."""
    os.environ.update(server.env)
    store = Store(f"s3://{server.make_bucket()}/writers")
    store.table("episodes")
    env = {**os.environ, **server.env}
    start = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, str(WRITER), store.uri, f"w{n}", str(merges)], env=env) for n in range(writers)]
    if any(proc.wait() for proc in procs):
        raise SystemExit("a writer failed")
    wall = time.perf_counter() - start
    ids = [r["episode_id"] for r in store.rows("episodes", columns=["episode_id"])]
    expected = {f"w{n}-{i}" for n in range(writers) for i in range(merges)} | {f"shared-{i}" for i in range(merges)}
    # each merge is a commit; the updates of the shared rows are one more commit per step after the first
    commits = writers * (2 * merges - 1)
    return {"writers": writers, "merges_each": merges, "writers_wall_s": round(wall, 1),
            "commits_per_s": round(commits / wall, 1), "rows_lost": len(expected - set(ids)),
            "rows_duplicated": len(ids) - len(set(ids))}


def main() -> None:
    """Run the trials and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--merges", type=int, default=15)
    parser.add_argument("--no-ray", action="store_true", help="skip the Ray ingestion")
    args = parser.parse_args()
    with running_s3_server() as server, tempfile.TemporaryDirectory() as tmp:
        result = {"local_s": round(timed_ingest(str(Path(tmp) / "local"), Path(tmp), server), 1)}
        result["s3_s"] = round(timed_ingest(f"s3://{server.make_bucket()}/one", Path(tmp), server), 1)
        if not args.no_ray:
            result["ray_s3_s"] = round(timed_ingest(f"s3://{server.make_bucket()}/ray", Path(tmp), server, "--ray"), 1)
        result |= writers_trial(server, args.writers, args.merges)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
