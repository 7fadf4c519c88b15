"""Benchmark of the dashboard: page load and re-rank time on a store of N insights, through AppTest.

Uses the store bench/engine.py builds (real sentences, perturbed vectors, clustered into topics); pass --dir to
reuse one, else it is built first. Each page is opened cold (fresh caches: the first visitor after a restart)
and warm (the same session rerun); re-rank is the Brief page after one weight slider moves. Prints one JSON
object as its last line.

    python bench/engine.py --n 100000 --dir /tmp/bench100k   # builds /tmp/bench100k/bench.lancedb
    python bench/dashboard.py --n 100000 --dir /tmp/bench100k
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["brief", "explore", "search", "curate", "feeds"]
RERANKS = 6
WARM_RUNS = 3
SEARCH_QUERY = "open source maintainers"
TIMEOUT_S = 600


def _timed_s(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _app(page: str):
    """A new session, and the call that opens `page` in it with every cache emptied, as after a restart."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pipeline.store import open_store

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    at.secrets = {"bench": True}
    os.environ.setdefault("EDITOR_PASSWORD", "bench")  # editing is off without one; measure the editor's pages
    at.session_state["editor"] = "bench"  # signed in, as the sign-in form leaves it
    at.run()  # AppTest runs the entry point (session defaults, navigation) only from the first run on
    st.cache_data.clear()
    st.cache_resource.clear()
    open_store.cache_clear()
    return at, lambda: at.switch_page(f"pages/{page}.py").run()


def _check(at) -> None:
    if at.exception:
        raise SystemExit(f"the page raised: {[e.value for e in at.exception]}")


def measure() -> dict[str, float]:
    """Cold and warm load of every page, and Brief re-rank after a weight change (seconds, medians)."""
    result: dict[str, float] = {}
    for page in PAGES:
        at, load = _app(page)
        if page == "search":
            at.session_state["search_query"] = SEARCH_QUERY
        cold = _timed_s(load)
        _check(at)
        warm = statistics.median(_timed_s(at.run) for _ in range(WARM_RUNS))
        _check(at)
        result[f"{page}_cold_s"], result[f"{page}_warm_s"] = round(cold, 3), round(warm, 3)
    at, load = _app("brief")
    load()
    times = []
    for k in range(RERANKS):
        at.sidebar.slider(key="w_novelty").set_value(round(0.1 * (k + 1), 1))
        times.append(_timed_s(at.run))
        _check(at)
    result["rerank_median_s"] = round(statistics.median(times), 3)
    result["rerank_max_s"] = round(max(times), 3)
    return result


def main(argv: list[str] | None = None) -> int:
    """Build the store when needed, measure, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="insights in the store (when it is built here)")
    parser.add_argument("--dir", help="folder of bench/engine.py's store (built there when missing)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir or tmp)
        db = folder / "bench.lancedb"
        if not db.exists():
            subprocess.run([sys.executable, str(ROOT / "bench" / "engine.py"), "--n", str(args.n), "--dir", str(folder)],
                           check=True)
        os.environ["PODBRIEF_DB"] = str(db)
        from pipeline.store import open_store

        result: dict[str, float] = {"insights": open_store(str(db)).count("insights")}
        result |= measure()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
