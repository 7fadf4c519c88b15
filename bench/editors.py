"""Benchmark of editors working on one brief at once: every change kept or refused, never lost; and how long a save takes.

Seeds a store from the bundled samples (or uses --db), then starts E editor processes on the latest day. Each makes
C changes as fast as it can (a new list and a note; every third one a publish), reloading and making it again when
its save is refused as stale, as an editor would. Afterwards every change an editor was told was saved must be in
the history exactly as sent, once. Prints one JSON object as its last line.

    python bench/editors.py --editors 4 --changes 25
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.engine.briefs import BRIEF_NOTE, brief_history, get_brief, latest_brief_date, save_brief  # noqa: E402
from pipeline.engine.rank import rank  # noqa: E402
from pipeline.engine.versions import versions  # noqa: E402
from pipeline.errors import StaleBriefError  # noqa: E402
from pipeline.store import Store  # noqa: E402


def _editor(db: str, day: str, who: str, changes: int, pool: list[str], start: object, out: object) -> None:
    """Make `changes` changes, each retried after a reload until it is saved; report each save and its timings."""
    store = Store(db)
    start.wait()
    for n in range(changes):
        note, items = f"{who}:{n}", [pool[(n * 7 + k + len(who)) % len(pool)] for k in range(4)]
        refused = 0
        while True:
            current = get_brief(store, day)
            began = time.perf_counter()
            try:
                saved = save_brief(store, day, items=items, notes={BRIEF_NOTE: note}, editor=who,
                                   expected_version=current["version"] if current else None, publish=n % 3 == 2)
            except StaleBriefError:
                refused += 1
                continue
            out.put({"who": who, "version": saved.version, "note": note, "items": items, "refused": refused,
                     "save_ms": (time.perf_counter() - began) * 1000, "published": n % 3 == 2})
            break


def run(db: str, editors: int, changes: int) -> dict:
    """Race the editors on the store at `db`; the figures."""
    store = Store(db)
    day = latest_brief_date(store)
    ranked = rank(store, day)
    pool = [p.insight_id for p in [*ranked.picks, *ranked.alternates]]
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(editors), context.Queue()
    names = [f"editor{n}" for n in range(editors)]
    workers = [context.Process(target=_editor, args=(db, day, who, changes, pool, start, out)) for who in names]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    reports = [out.get(timeout=1800) for _ in range(editors * changes)]
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.join()
    stored = {v["version"]: v for v in versions(store, day)}
    kept = sum(1 for r in reports if r["version"] in stored and stored[r["version"]]["editor"] == r["who"]
               and stored[r["version"]]["notes"].get(BRIEF_NOTE) == r["note"]
               and stored[r["version"]]["insight_ids"] == r["items"])
    saves = sorted(r["save_ms"] for r in reports)
    return {
        "editors": editors, "changes": len(reports), "kept": kept, "lost": len(reports) - kept,
        "versions": len(brief_history(store, day)), "refused_then_redone": sum(r["refused"] for r in reports),
        "published_versions": sum(1 for r in reports if r["published"]),
        "save_ms_p50": round(saves[len(saves) // 2], 1), "save_ms_p95": round(saves[int(len(saves) * 0.95)], 1),
        "changes_per_s": round(len(reports) / elapsed, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, seed a store if none is given, race the editors and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--changes", type=int, default=25, help="changes per editor")
    parser.add_argument("--db", help="a filled store to race on (a copy is not made: it gains versions)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "lancedb")
        if not args.db:
            subprocess.run([sys.executable, "-m", "pipeline", "seed", "--db", db], cwd=ROOT, check=True,
                           capture_output=True)
        print(json.dumps(run(db, args.editors, args.changes)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
