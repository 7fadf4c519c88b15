"""Benchmark OPML import: 20,000 outlines into an empty store, then the same file again.

Usage: python bench/opml.py [--outlines 20000]
The last line printed is one JSON object: outlines, import_s, reimport_s, table_versions, peak_rss_mb.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.ingest.catalog import import_opml  # noqa: E402
from pipeline.store import Store  # noqa: E402


def write_opml(path: Path, count: int) -> None:
    """An OPML export of `count` feeds in folders of 100, as podcast apps write them."""
    groups = []
    for start in range(0, count, 100):
        outlines = "".join(
            f'<outline type="rss" text="Show {n}" title="Show {n}" xmlUrl="https://feeds.example/show-{n}/rss.xml" '
            f'htmlUrl="https://example.org/{n}"/>'
            for n in range(start, min(start + 100, count))
        )
        groups.append(f'<outline text="Folder {start // 100}">{outlines}</outline>')
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head><title>Bench</title></head>'
                    f'<body>{"".join(groups)}</body></opml>')


def main() -> None:
    """Import the OPML twice and print the JSON summary last."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outlines", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        opml = Path(tmp) / "subscriptions.opml"
        write_opml(opml, args.outlines)
        store = Store(Path(tmp) / "db")
        before = store.table("feeds").version
        start = time.perf_counter()
        imported = import_opml(store, opml)
        first = time.perf_counter() - start
        start = time.perf_counter()
        import_opml(store, opml)
        again = time.perf_counter() - start
        versions = store.table("feeds").version - before
        assert len(imported.feeds) == store.count("feeds") == args.outlines
        print(f"{args.outlines} outlines ({opml.stat().st_size:,} bytes): {first:.2f} s, again {again:.2f} s",
              file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"outlines": args.outlines, "import_s": round(first, 2), "reimport_s": round(again, 2),
                      "table_versions": versions, "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
