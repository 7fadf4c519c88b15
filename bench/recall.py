"""Recall@10 of reference insights on the team-labelled episodes in bench/labelled/, by the shared insight scorer.

Usage: python bench/recall.py [-v] [--scorer ../shared/tools/insight_recall.py]
The scorer (`insight_recall.py`, outside this repository) runs `python -m pipeline extract --json --title` on each
episode and matches its top ten against the references; its last line is JSON: recall, found, total, negatives,
bad_length. The episodes are a second, larger yardstick beside the editor's six dev episodes: a change that helps
there but not here is fitted to those six.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "bench" / "labelled"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scorer", type=Path, default=ROOT.parent / "shared" / "tools" / "insight_recall.py")
    parser.add_argument("-v", "--verbose", action="store_true", help="show what was found, missed and picked")
    args = parser.parse_args()
    if not args.scorer.is_file():
        print(f"The insight scorer {args.scorer} is not there; pass its path with --scorer.", file=sys.stderr)
        return 2
    refs = json.loads((LABELLED / "refs.json").read_text(encoding="utf-8"))
    for episode in refs["episodes"]:  # the scorer joins a relative path to its own data folder; an absolute one stands
        episode["file"] = str(LABELLED / episode["file"])
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as absolute:
        json.dump(refs, absolute)
        absolute.flush()
        command = [sys.executable, str(args.scorer), "--python", sys.executable, "--refs", absolute.name]
        return subprocess.run(command + ["-v"] * args.verbose, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
