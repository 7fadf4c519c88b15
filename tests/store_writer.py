"""One writer of the concurrent-writer trial: `python tests/store_writer.py STORE_URI NAME MERGES`.

Each of its MERGES merges into `episodes` inserts a row only this writer writes and a row that every writer inserts
at the same step (one new key racing in from several processes), and updates the shared row of the step before.
Used by tests/test_object_store.py and bench/object_store.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.store import Store


def write(store: Store, name: str, merges: int) -> None:
    """Make this writer's merges."""
    for i in range(merges):
        store.upsert("episodes", [{"episode_id": f"{name}-{i}", "title": name, "attempts": i},
                                  {"episode_id": f"shared-{i}", "title": name, "attempts": i}])
        if i:
            store.update("episodes", f"shared-{i - 1}", {"status": name})


if __name__ == "__main__":
    write(Store(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
