"""The store against a real LanceDB folder: tables made by an older version gain the columns added since."""

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa
import pytest
from lancedb.index import Bitmap, IvfHnswSq

from pipeline import store as store_module
from pipeline.errors import StoreError
from pipeline.store import (
    COMMIT_ATTEMPTS,
    LOOKUP_BY_ID,
    SCHEMAS,
    VECTOR_INDEX_TYPE,
    Store,
    _committed,
    insights_schema,
)


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


def test_a_table_whose_creation_was_killed_reads_empty_and_is_made_afresh(tmp_path: Path) -> None:
    for name, rows in (("insights", [{"insight_id": "i0", "episode_id": "e0", "text": "Lost.", "vector": [1.0] * 4}]),
                       ("segments", [{"segment_id": "s0", "episode_id": "e0", "idx": 0, "text": "Lost."}])):
        schema = insights_schema(4) if name == "insights" else SCHEMAS[name]
        lancedb.connect(str(tmp_path)).create_table(name, data=pa.Table.from_pylist(rows, schema=schema))
        for folder in ("_versions", "_transactions"):  # a kill -9 before the first version was committed
            shutil.rmtree(tmp_path / f"{name}.lance" / folder)

    store = Store(tmp_path)
    assert store.rows("insights") == [] and store.count("segments") == 0
    store.insights_table("test-model", 4)
    store.upsert("insights", [{"insight_id": "i1", "episode_id": "e1", "text": "Kept.", "vector": [0.5] * 4}])
    store.upsert("segments", [{"segment_id": "s1", "episode_id": "e1", "idx": 0, "text": "Kept."}])

    again = Store(tmp_path)
    assert [r["text"] for r in again.rows("insights")] == ["Kept."]
    assert [r["segment_id"] for r in again.rows("segments")] == ["s1"]


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
    conflict = RuntimeError("lance error: Incompatible transaction: This Update transaction is incompatible with "
                            "concurrent transaction Overwrite at version 2.")  # seen in a CI run of the editors' race
    assert _committed(flaky(1), "brief_versions") == 7 and len(tries) == 2
    tries.clear()
    conflict = RuntimeError("disk full")  # anything else is not a race: raised at once
    with pytest.raises(RuntimeError, match="disk full"):
        _committed(flaky(99), "brief_versions")
    assert len(tries) == 1


def test_an_old_store_with_topics_in_its_insights_moves_them_out_and_keeps_its_vector_index(tmp_path: Path) -> None:
    old = pa.schema([*insights_schema(4), ("topic_id", pa.string()), ("x", pa.float64()), ("y", pa.float64())])
    rng = np.random.default_rng(0)
    rows = [{"insight_id": f"i{n:03d}", "episode_id": "e1", "text": f"Insight {n}.", "vector": rng.normal(size=4).tolist(),
             "topic_id": None if n % 10 == 0 else f"topic-{n % 3}", "x": float(n), "y": -float(n)} for n in range(300)]
    db = lancedb.connect(str(tmp_path))
    table = db.create_table("insights", data=pa.Table.from_pylist(rows, schema=old))
    table.create_index("vector", config=IvfHnswSq(distance_type="cosine", num_partitions=1))
    table.create_index("topic_id", config=Bitmap())
    renamed = {"topic_id": "topic-1", "label": "An editor's name", "label_source": "editor", "edited_by": "ana"}
    db.create_table("topics", data=pa.Table.from_pylist([renamed], schema=SCHEMAS["topics"]))

    store = Store(tmp_path)

    assert not {"topic_id", "x", "y"} & set(store.table("insights").schema.names)
    moved = {r["insight_id"]: r for r in store.rows("insight_topics")}
    assert len(moved) == 270 and moved["i004"] == {"insight_id": "i004", "topic_id": "topic-1", "x": 4.0, "y": -4.0,
                                                "history_sim": None}
    assert store.vector_index_coverage() == 1.0  # dropping columns rewrote no indexed row
    assert store.rows("topics")[0]["label"] == "An editor's name"
    Store(tmp_path).rows("insights")  # opening it again moves nothing twice
    assert store.count("insight_topics") == 270


def test_many_rows_get_their_topics_as_another_handle_last_wrote_them(tmp_path: Path) -> None:
    reader, writer = Store(tmp_path / "db"), Store(tmp_path / "db")
    ids = [f"in-{n:05d}" for n in range(LOOKUP_BY_ID + 1)]  # past the lookup by id: the whole table is read
    writer.upsert("insight_topics", [{"insight_id": i, "topic_id": "t1", "x": 0.0, "y": 0.0} for i in ids[1:]])
    wanted = pa.table({"insight_id": ids})
    assert reader.with_topics(wanted).column("topic_id").to_pylist() == [None] + ["t1"] * (len(ids) - 1)

    writer.upsert("insight_topics", [{"insight_id": ids[0], "topic_id": "t2", "x": 0.0, "y": 0.0}])
    assert reader.with_topics(wanted).column("topic_id").to_pylist()[:2] == ["t2", "t1"]


def test_a_rebuild_of_the_vector_index_keeps_searches_answering_and_ends_covering_every_insight(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path)
    store.insights_table("test-model", 16)
    vectors = np.random.default_rng(1).normal(size=(2001, 16)).astype(np.float32)
    rows = [{"insight_id": f"i{n:04d}", "episode_id": "e1", "text": f"Insight {n}.", "vector": v.tolist()}
            for n, v in enumerate(vectors)]
    store.upsert("insights", rows[:-1])
    assert store.ensure_vector_index(min_rows=1000)
    old_index = store.table("insights").list_indices()
    build = store_module._build_vector_index

    def build_then_save_one(tbl: object, count: int) -> None:  # an insight saved while the new index was built
        build(tbl, count)
        store.upsert("insights", rows[-1:])

    monkeypatch.setattr(store_module, "_build_vector_index", build_then_save_one)
    building, finished = threading.Event(), threading.Event()
    answers: list[tuple[bool, str, float | None]] = []

    def search() -> None:  # another handle on the same store, as the dashboard has while a job rebuilds
        searcher = Store(tmp_path)
        while not finished.is_set():
            top = searcher.vector_search(vectors[7], limit=3, columns=["insight_id"])[0]["insight_id"]
            answers.append((building.is_set(), top, searcher.vector_index_coverage()))

    stages: list[tuple[int, int, str]] = []

    def progress(stage: str, done: int, total: int, item: str) -> None:
        stages.append((done, total, item))
        building.set()

    searching = threading.Thread(target=search)
    searching.start()
    try:
        coverage = store.rebuild_vector_index(min_rows=1000, progress=progress)
    finally:
        finished.set()
        searching.join()

    assert coverage == 1.0
    [new_index] = [i for i in store.table("insights").list_indices() if "vector" in i.columns]
    assert new_index.index_uuid not in {i.index_uuid for i in old_index}
    during = [a for a in answers if a[0]]
    assert during, "no search ran while the index was rebuilt"
    assert all(top == "i0007" and cover is not None for _, top, cover in during)  # answered, with an index, all along
    assert stages[0] == (0, 3, "building over 2,000 insights") and stages[-1] == (3, 3, "")
    assert store.rebuild_vector_index(min_rows=10_000) is None  # too few insights for an index: nothing to rebuild


def test_a_vector_index_of_an_earlier_kind_is_replaced_when_indexes_are_next_ensured(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.insights_table("test-model", 8)
    vectors = np.random.default_rng(2).normal(size=(300, 8))
    store.upsert("insights", [{"insight_id": f"i{n:03d}", "episode_id": "e1", "text": f"Insight {n}.", "vector": v.tolist()}
                              for n, v in enumerate(vectors)])
    store.table("insights").create_index("vector", config=IvfHnswSq(distance_type="cosine", num_partitions=1))

    assert store.ensure_vector_index(min_rows=1000)  # too few insights to build one: the old one stays
    assert [i.index_type for i in store.table("insights").list_indices()] == ["IvfHnswSq"]
    assert store.ensure_vector_index(min_rows=100)
    assert [i.index_type for i in store.table("insights").list_indices()] == [VECTOR_INDEX_TYPE]
    assert store.vector_index_coverage() == 1.0


def test_a_kept_read_is_reused_until_another_handle_writes_to_its_tables(tmp_path: Path) -> None:
    store, writer = Store(tmp_path), Store(tmp_path)
    writer.upsert("feeds", [{"feed_id": "f1", "url": "https://example.com/a.xml"}])
    reads: list[int] = []

    def count() -> int:
        reads.append(1)
        return store.count("feeds")

    assert store.kept("feeds", ("feeds",), count) == 1
    assert store.kept("feeds", ("feeds",), count) == 1 and len(reads) == 1
    writer.upsert("feeds", [{"feed_id": "f2", "url": "https://example.com/b.xml"}])  # another process's write
    assert store.kept("feeds", ("feeds",), count) == 2 and len(reads) == 2
    for n in range(store_module.KEPT_READS):  # older keys make way for newer ones
        store.kept(("other", n), ("feeds",), lambda: 0)
    assert store.kept("feeds", ("feeds",), count) == 2 and len(reads) == 3


def test_several_vectors_are_searched_in_one_query_with_each_vector_its_own_answer(tmp_path: Path) -> None:
    vectors = np.random.default_rng(2).normal(size=(40, 8)).astype(np.float32)
    store = Store(tmp_path / "db")
    assert store.vector_search_many([vectors[0]], limit=3) == [[]]  # no insights table yet
    store.insights_table("test-model", 8)
    store.upsert("insights", [{"insight_id": f"i{n:02d}", "episode_id": f"e{n % 3}", "text": f"Insight {n}.",
                               "vector": v.tolist()} for n, v in enumerate(vectors)])
    queries, where = [vectors[4], vectors[30]], "NOT (episode_id = 'e0')"  # i30 is in e0

    together = store.vector_search_many(queries, where=where, limit=3, columns=["insight_id", "episode_id"])

    assert together == [store.vector_search(q, where=where, limit=3, columns=["insight_id", "episode_id"])
                        for q in queries]
    assert together[0][0]["insight_id"] == "i04" and all(len(found) == 3 for found in together)
    assert {r["episode_id"] for found in together for r in found} <= {"e1", "e2"}
    assert store.vector_search_many([], limit=3) == []
