"""`python -m pipeline ...` with every extractive passage score moved by a seeded random amount: the recall noise floor.

bench/recall.py --jitter runs the insight scorer with this as its interpreter. PODBRIEF_BENCH_JITTER is the largest
move (scores are 0..1 and printed to two decimals) and PODBRIEF_BENCH_SEED seeds it; the arguments are the ones the
scorer gives the interpreter ("-m pipeline extract ...").
"""

from __future__ import annotations

import os
import random
import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.insights import extractive


def main() -> None:
    """Patch the passage scores, then run the module the arguments name."""
    amount = float(os.environ["PODBRIEF_BENCH_JITTER"])
    rng = random.Random(int(os.environ.get("PODBRIEF_BENCH_SEED", "0")))
    passages = extractive._passages
    extractive._passages = lambda scored: [(extractive._clamp(score + rng.uniform(-amount, amount)), start, stop)
                                           for score, start, stop in passages(scored)]
    if sys.argv[1:2] != ["-m"] or len(sys.argv) < 3:
        sys.exit("usage: python bench/jittered.py -m MODULE [ARGS ...]")
    module = sys.argv[2]
    sys.argv = [module, *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
