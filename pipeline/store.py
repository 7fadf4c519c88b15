"""The LanceDB store: the only module that imports lancedb.

Tables (see DESIGN.md): feeds, episodes, segments, insights, insight_topics (each insight's topic and map position,
kept out of the insights rows so that re-clustering never rewrites what the vector index covers), topics,
brief_versions (the editors' briefs, one row per saved version; see pipeline/engine/versions.py), weight_presets,
readers, outbox, feedback, meta (embedding model and dimension) and leases (the ingestion lease on an object store).
Rows are plain dicts; every write is an upsert or an insert-if-absent keyed by a stable id, so re-running any stage
duplicates nothing.

The store is a local folder or an object store URI (`s3://bucket/prefix`, also gs:// and az://). Each table
declares its key as LanceDB's (unenforced) primary key, so two processes that merge the same new key at once
conflict and retry instead of both inserting it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from hashlib import sha1
from pathlib import Path
from typing import Any, TypeVar

import lancedb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lancedb.index import FTS, Bitmap, BTree, IvfFlat

from .config import Settings, get_settings
from .errors import EmbeddingError, StoreError
from .locations import is_object_store, open_error, storage_options

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int, str], None]  # (stage, done, total, item title)

STR, F64, I64, BOOL = pa.string(), pa.float64(), pa.int64(), pa.bool_()
STRS = pa.list_(pa.string())
# Lance checks concurrent merge_inserts for clashing keys only on a column marked as the primary key (without it
# two writers racing to insert the same key both succeed); the column must then be non-nullable.
PRIMARY_KEY = {b"lance-schema:unenforced-primary-key": b"true"}
T = TypeVar("T")
CONFLICTS = ("Commit conflict", "Incompatible transaction")  # Lance's words for a write another one beat
COMMIT_ATTEMPTS = 6  # merges tried when many writers conflict (each try is Lance's own 20 quick retries)

SCHEMAS: dict[str, pa.Schema] = {
    "feeds": pa.schema(
        [
            ("feed_id", STR), ("url", STR), ("title", STR), ("author", STR), ("image", STR), ("language", STR),
            ("link", STR), ("etag", STR), ("last_modified", STR), ("last_polled", STR), ("last_error", STR),
            ("weight", F64), ("blocked", BOOL), ("added_at", STR), ("moved_from", STR),
            # added_via: cli | opml | page | moved (what the feed may reach, see ingest/reach.py)
            ("added_via", STR), ("paused", BOOL), ("removed_at", STR), ("last_ok", STR),
        ]
    ),
    "episodes": pa.schema(
        [
            ("episode_id", STR), ("feed_id", STR), ("guid", STR), ("title", STR), ("published", STR),
            ("audio_url", STR), ("audio_type", STR), ("audio_length", I64), ("duration_s", F64), ("link", STR),
            ("description", STR), ("transcripts", STR), ("transcript_source", STR), ("transcript_format", STR),
            ("status", STR), ("failed_stage", STR), ("error", STR), ("attempts", I64), ("next_attempt_at", STR),
            ("extractor", STR), ("extract_note", STR), ("tokens", I64), ("created_at", STR), ("updated_at", STR),
            ("published_raw", STR), ("chapters_url", STR), ("chapters", STR),
        ]
    ),
    "segments": pa.schema(
        [
            ("segment_id", STR), ("episode_id", STR), ("feed_id", STR), ("idx", I64), ("start_s", F64),
            ("end_s", F64), ("text", STR), ("speaker", STR), ("confidence", F64),
        ]
    ),
    "insight_topics": pa.schema([("insight_id", STR), ("topic_id", STR), ("x", F64), ("y", F64),
                                 ("history_sim", pa.float32())]),
    "topics": pa.schema(
        [
            ("topic_id", STR), ("label", STR), ("keywords", STRS), ("size", I64), ("centroid", pa.list_(pa.float32())),
            ("updated_at", STR), ("label_source", STR),
            # An editor's rename (label_source "editor") and merges: re-clustering carries both over.
            ("edited_by", STR), ("edited_at", STR), ("merged_ids", STRS),
        ]
    ),
    "brief_versions": pa.schema(
        [
            pa.field("brief_id", STR, nullable=False, metadata=PRIMARY_KEY), ("date", STR), ("version", I64),
            ("status", STR), ("insight_ids", STRS), ("pins", STRS), ("excludes", STRS), ("edits", STR),
            ("notes", STR), ("internal_notes", STR), ("weights", STR), ("editor", STR), ("updated_at", STR),
            ("snapshot", STR),
        ]
    ),
    "weight_presets": pa.schema([("name", STR), ("weights", STR), ("editor", STR), ("updated_at", STR)]),
    "readers": pa.schema(
        [
            ("email", STR), ("name", STR), ("tz", STR), ("hour", I64), ("cadence", STR), ("day", STR), ("size", I64),
            ("topics", STRS), ("podcasts", STRS), ("keywords", STRS), ("muted", STRS), ("channels", STRS),
            ("status", STR), ("status_note", STR), ("token", STR), ("bounces", I64), ("last_slot", STR),
            ("created_at", STR), ("updated_at", STR),
        ]
    ),
    "outbox": pa.schema(
        [
            ("outbox_id", STR), ("email", STR), ("date", STR), ("channel", STR), ("status", STR), ("attempts", I64),
            ("last_error", STR), ("next_retry", STR), ("message_id", STR), ("brief_version", STR), ("items", I64),
            ("transport", STR), ("queued_at", STR), ("sent_at", STR), ("updated_at", STR),
        ]
    ),
    "feedback": pa.schema(
        [
            ("feedback_id", STR), ("email", STR), ("insight_id", STR), ("date", STR), ("vote", I64), ("topic_id", STR),
            ("feed_id", STR), ("updated_at", STR),
        ]
    ),
    "meta": pa.schema([("key", STR), ("value", STR)]),
    "topic_days": pa.schema([("key", STR), ("day", STR), ("topic_id", STR), ("count", I64)]),
    "leases": pa.schema([("name", STR), ("owner", STR), ("expires_at", STR), ("taken_at", STR)]),
}
KEYS = {
    "feeds": "feed_id", "episodes": "episode_id", "segments": "segment_id", "insights": "insight_id",
    "insight_topics": "insight_id",
    "topics": "topic_id", "brief_versions": "brief_id", "weight_presets": "name", "readers": "email",
    "outbox": "outbox_id", "feedback": "feedback_id", "meta": "key", "leases": "name",
    "topic_days": "key",
}
SCALAR_INDEXES = {
    "episodes": ["episode_id", "status", "feed_id"],
    "insights": ["insight_id", "feed_id", "published", "episode_id"],
    "insight_topics": ["insight_id", "topic_id"],
    "segments": ["episode_id"],
    "outbox": ["status", "date"],
}
BITMAP_COLUMNS = {"status", "feed_id", "topic_id"}  # few distinct values: bitmap; the rest: btree
VECTOR_INDEX_MIN_ROWS = 20_000  # below this a flat scan is fast enough and an index not worth its build
# IVF_FLAT: sqrt(rows) partitions of full vectors; a search compares the query exactly with the rows of the 20 nearest
# partitions (LanceDB's default nprobes), so no re-ranking is needed. 1M insights of bench/engine.py (2 cores, shared):
# recall@10 0.994, related p95 32 ms, built in 90 s; IVF_HNSW_SQ (200 partitions, ef_construction 150, re-ranking 10x
# the candidates by exact vectors) had 0.912, 29 ms and 312 s. 5, 10 or 20 probes all gave recall 1.0 on 40 queries.
VECTOR_INDEX_TYPE = "IvfFlat"  # as LanceDB's list_indices names it
# In insight_topics; stores made before it kept the first three in insights.
TOPIC_COLUMNS = ["topic_id", "x", "y", "history_sim"]
LOOKUP_BY_ID = 2_000  # up to this many insights, topic columns are looked up by id; beyond, one scan
KEPT_READS = 4  # large reads kept by Store.kept (the topic map, a ranking's 30 days of insights: 130 MB at 1M)
WANTED_SHARE = 4  # beyond, the map is narrowed to the wanted ids first unless they are over a quarter of it
REBUILD_BEAT_S = 10  # how often a rebuild of the vector index says it is still going
MIGRATE_BLOCK = 100_000  # rows per merge when moving old topic columns out of insights


def insights_schema(dim: int) -> pa.Schema:
    """Schema of the insights table for vectors of `dim` floats."""
    return pa.schema(
        [
            ("insight_id", STR), ("episode_id", STR), ("feed_id", STR), ("published", STR), ("text", STR),
            ("quote", STR), ("start_s", F64), ("end_s", F64), ("extractor", STR), ("score", F64),
            ("vector", pa.list_(pa.float32(), dim)), ("created_at", STR),
            ("headline", STR), ("flags", STRS), ("also_on", STRS),
        ]
    )


def matrix(column: pa.ChunkedArray | pa.Array, order: np.ndarray | None = None) -> np.ndarray:
    """A column of equal-length float lists (vectors, centroids) as a 2-D float32 array (one copy of the values);
    with `order` (row numbers), those rows in that order, still in one copy."""
    chunks = [c for c in (column.chunks if isinstance(column, pa.ChunkedArray) else [column]) if len(c)]
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    parts = [c.flatten().to_numpy(zero_copy_only=False).reshape(len(c), -1) for c in chunks]
    if order is None:
        return (parts[0] if len(parts) == 1 else np.concatenate(parts)).astype(np.float32, copy=False)
    order = np.asarray(order, dtype=np.int64)
    out = np.empty((len(order), parts[0].shape[1]), dtype=np.float32)
    starts = np.cumsum([0] + [len(p) for p in parts])
    chunk_of = np.searchsorted(starts, order, side="right") - 1
    by_chunk = np.argsort(chunk_of, kind="stable")
    for k, at in enumerate(np.split(by_chunk, np.searchsorted(chunk_of[by_chunk], np.arange(1, len(parts))))):
        out[at] = parts[k][order[at] - starts[k]]
    return out


def now_iso() -> str:
    """The current UTC time as ISO 8601, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def sql_quote(value: str) -> str:
    """A string as an SQL literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_in(column: str, values: Iterable[str]) -> str:
    """A safe SQL `column IN (...)` filter over string values."""
    vals = list(values)
    if not vals:
        return "false"
    return f"{column} IN ({', '.join(sql_quote(v) for v in vals)})"


def sql_eq(column: str, value: str) -> str:
    """A safe SQL equality filter over a string value."""
    return f"{column} = {sql_quote(value)}"


class Store:
    """A LanceDB database (a local folder or an object store URI) with Podbrief's tables."""

    def __init__(self, uri: str | Path, *, settings: Settings | None = None) -> None:
        self.uri = str(uri)
        self.local_dir = None if is_object_store(self.uri) else Path(self.uri)  # None on an object store
        settings = settings or get_settings()
        # Working files (audio being transcribed, the send journal) stay on this machine: in the store's folder, or
        # for an object store in the local cache under a name of the store's own.
        self.work_dir = self.local_dir or Path(settings.podbrief_cache_dir) / "stores" / sha1(self.uri.encode()).hexdigest()[:12]
        try:
            if self.local_dir is not None:
                self.local_dir.mkdir(parents=True, exist_ok=True)
                options = {}
            else:
                options = storage_options(self.uri, settings)
            # interval 0: every read sees writes made by other processes (ingestion beside the dashboard).
            self.db = lancedb.connect(self.uri, read_consistency_interval=timedelta(0), storage_options=options)
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(open_error(self.uri, exc)) from exc
        self._tables: dict[str, Any] = {}
        self._kept: OrderedDict[Hashable, tuple[tuple, Any]] = OrderedDict()  # see kept(): key -> (versions, value)
        self._kept_lock = threading.Lock()  # dashboard sessions share one Store across threads

    # -- tables -------------------------------------------------------------------------------------
    def table(self, name: str, *, create: bool = True) -> Any | None:
        """The named table, created empty on first use (insights once a dimension is known)."""
        if name in self._tables:
            return self._tables[name]
        tbl = self._open(name)
        if tbl is not None:
            if name == "insights":
                self._move_topic_columns(tbl)
            _add_missing_columns(tbl, SCHEMAS.get(name) or _insights_schema_of(tbl))
        elif not create:
            return None
        else:
            schema = SCHEMAS.get(name)
            if schema is None:
                return None
            tbl = self.db.create_table(name, schema=_declare_key(schema, KEYS[name]), exist_ok=True)
        self._tables[name] = tbl
        return tbl

    def _open(self, name: str) -> Any | None:
        """The stored table, or None when there is none or only the folder of one whose creation was killed."""
        if name not in self.db.list_tables().tables:
            return None
        try:
            return self.db.open_table(name)
        except ValueError as exc:
            # A kill -9 during create_table leaves data files and no committed version: nothing was stored, and
            # create_table(exist_ok=True) makes it afresh.
            if "was not found" in str(exc):
                return None
            raise

    def rows(self, name: str, where: str | None = None, *, columns: Sequence[str] | None = None) -> list[dict]:
        """All rows of a table matching an SQL filter."""
        tbl = self.table(name, create=False)
        if tbl is None:
            return []
        query = tbl.search()
        if where:
            query = query.where(where)
        if columns:
            query = query.select(list(columns))
        return query.limit(None).to_arrow().to_pylist()

    def topics_of(self, where: str | None = None, *, columns: Sequence[str] = ("topic_id",)) -> pa.Table:
        """insight_id and the given columns of the insight_topics rows matching an SQL filter (typed even when none)."""
        table = self.arrow("insight_topics", where, columns=["insight_id", *columns])
        return table if table.num_rows else _no_topics(columns)

    def with_topics(self, table: pa.Table, *, columns: Sequence[str] = ("topic_id",)) -> pa.Table:
        """`table` (which has insight_id) with topic columns appended in its row order, null where unassigned."""
        ids = table.column("insight_id").cast(pa.string())  # an empty selection's may be untyped
        # A few rows: look them up by id; many: one scan of the narrow table beats a long IN list.
        if table.num_rows == 0:
            topics = _no_topics(columns)
        elif table.num_rows <= LOOKUP_BY_ID:
            topics = self.topics_of(sql_in("insight_id", ids.to_pylist()), columns=columns)
        else:
            topics = self.all_topics(columns)
            if table.num_rows * WANTED_SHARE < topics.num_rows:  # hash the few wanted ids, not the 1M stored ones
                topics = topics.filter(pc.is_in(topics.column("insight_id"), value_set=ids))
        positions = pc.index_in(ids, value_set=topics.column("insight_id"))
        for column in columns:
            table = table.append_column(column, topics.column(column).take(positions))
        return table

    def all_topics(self, columns: Sequence[str] = TOPIC_COLUMNS) -> pa.Table:
        """insight_id and these columns of every insight_topics row. All of its columns are kept in memory until the
        table changes (at 1M the scan takes 0.3-0.5 s and the copy about 50 MB): ranking, trends and the map share it."""
        rows = self.kept("all_topics", ("insight_topics",), lambda: self.topics_of(columns=TOPIC_COLUMNS))
        return rows.select(["insight_id", *columns])

    def kept(self, key: Hashable, tables: Sequence[str], compute: Callable[[], T]) -> T:
        """`compute()`, kept in memory under `key` until any process writes to one of `tables` (the last KEPT_READS
        keys). For large reads that the dashboard repeats: a version check costs about a millisecond."""
        versions = tuple(self.version(name) for name in tables)
        with self._kept_lock:
            hit = self._kept.get(key)
            if hit is not None and hit[0] == versions:
                self._kept.move_to_end(key)
                return hit[1]
        value = compute()  # read after the versions: a write meanwhile makes the next call read again
        with self._kept_lock:
            self._kept[key] = (versions, value)
            self._kept.move_to_end(key)
            while len(self._kept) > KEPT_READS:
                self._kept.popitem(last=False)
        return value

    def version(self, name: str) -> int | None:
        """The table's current version (None while it does not exist): any write makes a new one."""
        tbl = self.table(name, create=False)
        return None if tbl is None else tbl.version

    def topic_ids_of(self, insight_ids: Iterable[str]) -> dict[str, str]:
        """The topic of each of these insights that has one."""
        ids = list(insight_ids)
        if not ids:
            return {}
        table = self.topics_of(sql_in("insight_id", ids))
        return dict(zip(table.column("insight_id").to_pylist(), table.column("topic_id").to_pylist(), strict=True))

    def topic_members(self, topic_ids: Iterable[str]) -> list[str]:
        """The ids of the insights in the given topics."""
        return self.topics_of(sql_in("topic_id", topic_ids), columns=()).column("insight_id").to_pylist()

    def count(self, name: str, where: str | None = None) -> int:
        """How many rows of a table match an SQL filter."""
        tbl = self.table(name, create=False)
        return 0 if tbl is None else tbl.count_rows(where)

    def upsert(self, name: str, rows: list[dict] | pa.Table, *, insert_only: bool = False,
               update_where: str | None = None) -> int:
        """Insert rows, updating those whose key exists (or leaving them alone with insert_only); returns how many went in.

        `update_where` updates a stored row only where it holds, e.g. `target.expires_at < '...'` (`target` is the
        stored row, `source` the new one); it is decided in the same commit as the insert. Every table's key column
        is marked PRIMARY_KEY, so of two writers inserting the same key at once exactly one gets it in: Lance retries
        the other's merge against the new version, where the key matches.
        """
        if len(rows) == 0:
            return 0
        tbl = self.table(name)
        data = _arrow_rows(rows, tbl.schema)

        def merge() -> int:
            builder = tbl.merge_insert(KEYS[name])
            if not insert_only:
                builder = builder.when_matched_update_all(where=update_where)
            return int(builder.when_not_matched_insert_all().execute(data).num_inserted_rows)

        return _committed(merge, name)

    def replace_rows(self, name: str, data: pa.Table) -> None:
        """Make a table hold exactly these rows, in one commit: matching keys updated, new ones added, the rest deleted."""
        tbl = self.table(name)
        rows = _arrow_rows(data, tbl.schema)
        _committed(lambda: tbl.merge_insert(KEYS[name]).when_matched_update_all().when_not_matched_insert_all()
                   .when_not_matched_by_source_delete().execute(rows), name)

    def update(self, name: str, key: str, values: dict[str, Any]) -> None:
        """Set some columns of the row whose key is `key`."""
        self.update_many(name, [{KEYS[name]: key, **values}])

    def update_many(self, name: str, rows: list[dict], *, where: str | None = None) -> None:
        """Set the given columns on existing rows (matched by key, and by `where` as in `upsert`); other columns are kept."""
        if not rows:
            return
        tbl = self.table(name)
        cols = list(rows[0].keys())
        schema = pa.schema([tbl.schema.field(c) for c in cols])
        data = pa.Table.from_pylist(rows, schema=schema)
        _committed(lambda: tbl.merge_insert(KEYS[name]).when_matched_update_all(where=where).execute(data), name)

    def update_where(self, name: str, where: str, values: dict[str, Any]) -> None:
        """Set columns on the rows matching an SQL filter (for a few rows of a large table, far cheaper than a merge)."""
        tbl = self.table(name, create=False)
        if tbl is not None:
            tbl.update(where=where, values=values)

    def delete(self, name: str, where: str) -> None:
        """Delete the rows matching an SQL filter."""
        tbl = self.table(name, create=False)
        if tbl is not None:
            tbl.delete(where)

    def _move_topic_columns(self, insights: Any) -> None:
        """Move the topic columns of a store made before insight_topics out of its insights table (idempotent).

        Rows already in insight_topics win (they are newer); only then are the old columns and their index dropped,
        a metadata change that leaves the vector index valid.
        """
        old = [c for c in TOPIC_COLUMNS if c in insights.schema.names]
        if not old:
            return
        data = insights.search().where("topic_id IS NOT NULL").select(["insight_id", *old]).limit(None).to_arrow()
        target = self.table("insight_topics")
        data = data.select(["insight_id", *old]).cast(pa.schema([target.schema.field(c) for c in ["insight_id", *old]]))
        for lo in range(0, data.num_rows, MIGRATE_BLOCK):
            self.upsert("insight_topics", data.slice(lo, MIGRATE_BLOCK), insert_only=True)
        for idx in insights.list_indices():
            if set(idx.columns) & set(old):
                insights.drop_index(idx.name)
        insights.drop_columns(old)
        log.info("Moved %d insights' topics from the insights table to insight_topics", data.num_rows)

    # -- meta and vectors ---------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        """A value from the meta table."""
        rows = self.rows("meta", sql_eq("key", key))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the meta table."""
        self.upsert("meta", [{"key": key, "value": value}])

    def check_embedding(self, model: str, dim: int) -> None:
        """Refuse (EmbeddingError) vectors of another model or dimension than the store holds."""
        stored = self.meta("embedding")
        if stored:
            info = json.loads(stored)
            if info["model"] != model or info["dim"] != dim:
                raise EmbeddingError(
                    f"The store holds {info['model']} vectors ({info['dim']}-d) but the embedder is {model} ({dim}-d). "
                    "Run `python -m pipeline reembed` to rebuild the vectors, or switch PODBRIEF_EMBED_MODEL back."
                )

    def insights_table(self, model: str, dim: int) -> Any:
        """The insights table for vectors of this model; refuses to mix models or dimensions."""
        self.check_embedding(model, dim)
        tbl = self.table("insights", create=False)
        if tbl is not None:
            _add_missing_columns(tbl, insights_schema(dim))
        else:
            tbl = self.db.create_table("insights", schema=_declare_key(insights_schema(dim), KEYS["insights"]), exist_ok=True)
            self._tables["insights"] = tbl
            self.set_meta("embedding", json.dumps({"model": model, "dim": dim}))
        return tbl

    def replace_insights_table(self, rows: list[dict], model: str, dim: int) -> None:
        """Rewrite the whole insights table (after a change of embedding model)."""
        data = pa.Table.from_pylist(rows, schema=_declare_key(insights_schema(dim), KEYS["insights"]))
        self.db.create_table("insights", data=data, mode="overwrite")
        self._tables.pop("insights", None)
        self.set_meta("embedding", json.dumps({"model": model, "dim": dim}))

    def vector_search(
        self, vector: np.ndarray, *, where: str | None = None, limit: int = 10, columns: Sequence[str] | None = None,
        exact: bool = False,
    ) -> list[dict]:
        """Nearest insights by cosine distance (`_distance` in each row), prefiltered by an SQL filter.

        `exact` compares with every row instead of using the vector index (to measure the index's recall).
        """
        return self.vector_search_many([vector], where=where, limit=limit, columns=columns, exact=exact)[0]

    def vector_search_many(
        self, vectors: Sequence[np.ndarray], *, where: str | None = None, limit: int = 10,
        columns: Sequence[str] | None = None, exact: bool = False,
    ) -> list[list[dict]]:
        """`vector_search` for each of several vectors, in one query: per vector, its nearest insights."""
        tbl = self.table("insights", create=False)
        if tbl is None or not len(vectors):
            return [[] for _ in vectors]
        query = tbl.search([np.asarray(v, dtype=np.float32) for v in vectors], vector_column_name="vector")
        query = query.distance_type("cosine")
        if exact:
            query = query.bypass_vector_index()
        if where:
            query = query.where(where, prefilter=True)
        if columns:
            query = query.select([*columns, "_distance"] if "_distance" not in columns else list(columns))
        found: list[list[dict]] = [[] for _ in vectors]
        for row in query.limit(limit).to_arrow().to_pylist():
            found[row.pop("query_index", 0)].append(row)  # LanceDB numbers the vectors when there are several
        return found

    def arrow(self, name: str, where: str | None = None, *, columns: Sequence[str] | None = None) -> pa.Table:
        """Rows of a table matching an SQL filter as an Arrow table (fast for vectors and large reads)."""
        tbl = self.table(name, create=False)
        if tbl is None:
            return pa.table({c: pa.array([], pa.null()) for c in columns or []})
        query = tbl.search()
        if where:
            query = query.where(where)
        if columns:
            query = query.select(list(columns))
        return query.limit(None).to_arrow()

    def ensure_vector_index(self, *, min_rows: int = VECTOR_INDEX_MIN_ROWS) -> bool:
        """Build the vector index on insight vectors once the table has `min_rows`, or replace one of an earlier kind;
        True if one exists."""
        tbl = self.table("insights", create=False)
        if tbl is None:
            return False
        kinds = {idx.index_type for idx in tbl.list_indices() if "vector" in idx.columns}
        if kinds == {VECTOR_INDEX_TYPE}:
            return True
        rows = tbl.count_rows()
        if rows < min_rows:
            return bool(kinds)
        _build_vector_index(tbl, rows)  # older stores have IVF_HNSW_SQ, which missed neighbours at 1M
        return True

    def rebuild_vector_index(self, *, min_rows: int = VECTOR_INDEX_MIN_ROWS, progress: Progress | None = None) -> float | None:
        """Build the vector index afresh over every insight, then fold in those added meanwhile; returns its coverage
        (None below `min_rows`). Searches keep using the old index until LanceDB commits the new one."""
        tbl = self.table("insights", create=False)
        rows = tbl.count_rows() if tbl is not None else 0
        if rows < min_rows:
            return None
        report = progress or (lambda *_: None)
        started = time.monotonic()
        done = threading.Event()

        def beat() -> None:  # LanceDB reports no share done while it builds, so say how long it has been going
            while not done.wait(REBUILD_BEAT_S):
                report("index", 1, 3, f"building over {rows:,} insights, {time.monotonic() - started:.0f} s so far")

        report("index", 0, 3, f"building over {rows:,} insights")
        beating = threading.Thread(target=beat, daemon=True)
        beating.start()
        try:
            _build_vector_index(tbl, rows)
        finally:
            done.set()
            beating.join()
        report("index", 2, 3, f"built in {time.monotonic() - started:.0f} s; adding insights saved meanwhile")
        self.compact("insights")
        report("index", 3, 3, "")
        return self.vector_index_coverage()

    def vector_index_coverage(self) -> float | None:
        """The share of insights that the vector index covers (rewritten rows drop out until `optimize`); None without one."""
        tbl = self.table("insights", create=False)
        name = next((idx.name for idx in tbl.list_indices() if "vector" in idx.columns), None) if tbl is not None else None
        if name is None:
            return None
        stats = tbl.index_stats(name)
        total = stats.num_indexed_rows + stats.num_unindexed_rows
        return stats.num_indexed_rows / total if total else 1.0

    def text_search(self, name: str, text: str, *, limit: int = 20, where: str | None = None) -> list[dict]:
        """Full-text search over a table's `text` column (`_score` in each row)."""
        tbl = self.table(name, create=False)
        if tbl is None or tbl.count_rows() == 0:
            return []
        _ensure_text_index(tbl)
        query = tbl.search(text, query_type="fts")
        if where:
            query = query.where(where, prefilter=True)
        return query.limit(limit).to_arrow().to_pylist()

    def optimize(self) -> None:
        """Compact tables, refresh full-text and scalar indexes, and index vectors once the table is large."""
        for name in SCALAR_INDEXES:
            self._ensure_scalar_indexes(name)
        self.ensure_vector_index()
        for name in ("insights", "segments"):
            tbl = self.table(name, create=False)
            if tbl is not None and tbl.count_rows():
                _ensure_text_index(tbl)
        for tbl in list(self._tables.values()):  # also folds new rows into the existing indexes
            tbl.optimize(cleanup_older_than=timedelta(days=1))

    def refresh_indexes(self, name: str) -> None:
        """Create a table's missing scalar indexes and fold rewritten rows into them (after a bulk rewrite, so that
        merges keyed by id use the index instead of scanning the table)."""
        self._ensure_scalar_indexes(name)
        self.compact(name)

    def _ensure_scalar_indexes(self, name: str) -> None:
        tbl = self.table(name, create=False)
        if tbl is None or tbl.count_rows() == 0:
            return
        existing = {c for idx in tbl.list_indices() for c in idx.columns}
        for col in SCALAR_INDEXES.get(name, []):
            if col not in existing:
                tbl.create_index(col, config=Bitmap() if col in BITMAP_COLUMNS else BTree())

    def compact(self, *names: str) -> None:
        """Merge the small versions that many one-row writes leave (the outbox while sending) and fold in indexes."""
        for name in names:
            tbl = self.table(name, create=False)
            if tbl is not None:
                tbl.optimize(cleanup_older_than=timedelta(days=1))


def _committed(write: Callable[[], T], table: str) -> T:
    """Run a merge, again after a pause when Lance gave up on a commit conflict (its own retries spent), or refused it
    as incompatible with a concurrent one ("Incompatible transaction": another writer's overwrite landed first).

    A merge that failed to commit changed nothing, so running it again is safe: against the newer version an
    insert-if-absent finds the other writer's key and inserts nothing, which is how a racing writer learns it lost.
    """
    attempt = 1
    while True:
        try:
            return write()
        except RuntimeError as exc:
            if not any(sign in str(exc) for sign in CONFLICTS):
                raise
            if attempt == COMMIT_ATTEMPTS:
                raise StoreError(f"Too many writers changed the {table} table at once and this change could not be "
                                 f"saved after {attempt} tries. Nothing was changed; try again.") from exc
        log.info("Commit conflict on %s (try %d of %d); trying again", table, attempt, COMMIT_ATTEMPTS)
        time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
        attempt += 1


def _no_topics(columns: Sequence[str]) -> pa.Table:
    """An empty insight_topics selection: insight_id and `columns`, typed."""
    fields = SCHEMAS["insight_topics"]
    return pa.table({c: pa.array([], fields.field(c).type) for c in ["insight_id", *columns]})


def _arrow_rows(rows: list[dict] | pa.Table, schema: pa.Schema) -> pa.Table:
    """Rows (dicts or an Arrow table) as an Arrow table of exactly the table's schema; missing columns are null."""
    if isinstance(rows, pa.Table):
        columns = [rows.column(f.name) if f.name in rows.column_names else pa.nulls(rows.num_rows, f.type) for f in schema]
        return pa.Table.from_arrays(columns, schema=schema)
    return pa.Table.from_pylist([{f.name: row.get(f.name) for f in schema} for row in rows], schema=schema)


def _declare_key(schema: pa.Schema, key: str) -> pa.Schema:
    """The schema with its key column non-null and declared the primary key (tables made by older versions lack it)."""
    index = schema.get_field_index(key)
    return schema.set(index, schema.field(index).with_nullable(False).with_metadata(PRIMARY_KEY))


def _add_missing_columns(tbl: Any, schema: pa.Schema | None) -> None:
    """Bring a table made by an older version up to its schema: columns added since then start out null."""
    if schema is None:
        return
    have = set(tbl.schema.names)
    missing = [f for f in schema if f.name not in have]
    if missing:
        log.info("Adding column(s) %s to %s", ", ".join(f.name for f in missing), tbl.name)
        tbl.add_columns(missing)


def _insights_schema_of(tbl: Any) -> pa.Schema | None:
    """The current insights schema for an existing insights table (its vectors keep their dimension)."""
    if tbl.name != "insights" or "vector" not in tbl.schema.names:
        return None
    return insights_schema(tbl.schema.field("vector").type.list_size)


def _build_vector_index(tbl: Any, rows: int) -> None:
    """Build (or replace: LanceDB commits the new index in one step) the cosine vector index over `rows` insights."""
    log.info("Building the vector index over %d insights", rows)
    config = IvfFlat(distance_type="cosine", num_partitions=max(1, round(rows ** 0.5)))
    tbl.create_index("vector", config=config, replace=True)  # with config, the first argument is the column


def _ensure_text_index(tbl: Any) -> None:
    """Create the full-text index on `text` once; later rows join it through `optimize`, not a rebuild."""
    if not any(idx.index_type == "FTS" for idx in tbl.list_indices()):
        tbl.create_index("text", config=FTS(), replace=True)


@cache
def open_store(uri: str, settings: Settings | None = None) -> Store:
    """The Store at a folder or URI, opened once per process (and settings)."""
    return Store(uri, settings=settings)
