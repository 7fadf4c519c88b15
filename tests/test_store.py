"""The store against a real LanceDB folder: tables made by an older version gain the columns added since."""

from collections.abc import Callable
from pathlib import Path

import lancedb
import pyarrow as pa
import pytest

from pipeline.errors import StoreError
from pipeline.store import COMMIT_ATTEMPTS, SCHEMAS, Store, _committed, insights_schema


def test_a_table_from_an_older_version_gains_new_columns_as_nulls(tmp_path: Path) -> None:
    old = pa.schema([f for f in SCHEMAS["feeds"] if f.name not in {"moved_from", "weight"}])
    lancedb.connect(str(tmp_path)).create_table("feeds", data=pa.Table.from_pylist(
        [{"feed_id": "f1", "url": "https://example.com/feed.xml", "title": "Old"}], schema=old))

    store = Store(tmp_path)
    store.update("feeds", "f1", {"weight": 2.0})

    (row,) = store.rows("feeds")
    assert row["title"] == "Old" and row["weight"] == 2.0 and row["moved_from"] is None
    assert set(store.table("feeds").schema.names) == set(SCHEMAS["feeds"].names)


def test_an_insights_table_from_an_older_version_gains_headline_flags_and_also_on(tmp_path: Path) -> None:
    new = {"headline", "flags", "also_on"}
    old = pa.schema([f for f in insights_schema(4) if f.name not in new])
    lancedb.connect(str(tmp_path)).create_table("insights", data=pa.Table.from_pylist(
        [{"insight_id": "i1", "episode_id": "e1", "text": "Old.", "vector": [0.5, 0.5, 0.5, 0.5]}], schema=old))

    (row,) = Store(tmp_path).rows("insights")

    assert row["text"] == "Old." and row["headline"] is None and row["flags"] is None and row["also_on"] is None


def test_a_merge_lance_gave_up_on_is_tried_again_and_a_hopeless_one_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pipeline.store.time.sleep", lambda _: None)
    conflict = RuntimeError("lance error: Commit conflict for version 9: Failed to commit the transaction after "
                            "20 retries.")
    tries: list[int] = []

    def flaky(fail: int) -> Callable[[], int]:
        def write() -> int:
            tries.append(1)
            if len(tries) <= fail:
                raise conflict
            return 7
        return write

    assert _committed(flaky(2), "brief_versions") == 7 and len(tries) == 3
    tries.clear()
    with pytest.raises(StoreError, match="Too many writers changed the brief_versions table"):
        _committed(flaky(99), "brief_versions")
    assert len(tries) == COMMIT_ATTEMPTS
    tries.clear()
    conflict = RuntimeError("disk full")  # anything else is not a race: raised at once
    with pytest.raises(RuntimeError, match="disk full"):
        _committed(flaky(99), "brief_versions")
    assert len(tries) == 1
