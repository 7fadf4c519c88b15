"""The store on an S3-compatible server (moto in server mode on 127.0.0.1): every table, concurrent writers, the lease."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import get_settings
from pipeline.errors import LockedError, StoreError
from pipeline.lease import Lease
from pipeline.lock import ingest_lock
from pipeline.store import KEYS, SCHEMAS, Store, sql_eq
from tests.s3server import S3Server

ROOT = Path(__file__).resolve().parent.parent
WRITER = Path(__file__).parent / "store_writer.py"
WRITERS, MERGES = 3, 15

# Holds the ingestion lock of the store in argv[1], says so, then waits to be killed.
HOLDER = """
import sys, time
from pipeline.lock import ingest_lock
from pipeline.store import Store
with ingest_lock(Store(sys.argv[1])):
    print("held", flush=True)
    time.sleep(600)
"""


def _store(server: S3Server, prefix: str = "db") -> Store:
    return Store(f"s3://{server.make_bucket()}/{prefix}")


def _run_python(code: str, *args: str, server: S3Server, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env={**os.environ, **server.env, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_every_table_works_on_an_object_store(s3_env: S3Server) -> None:
    store = _store(s3_env)
    assert store.local_dir is None and store.uri.startswith("s3://")
    for name, schema in SCHEMAS.items():
        key = KEYS[name]
        rows = [{key: f"{name}-{i}", **{f.name: None for f in schema if f.name != key}} for i in range(3)]
        store.upsert(name, rows)
        store.upsert(name, rows[:1])  # a second merge of the same key changes nothing
        assert store.count(name) == 3, name
        store.delete(name, sql_eq(key, f"{name}-2"))
        assert sorted(r[key] for r in store.rows(name, columns=[key])) == [f"{name}-0", f"{name}-1"]
    store.update("feeds", "feeds-0", {"title": "Renamed"})
    store.update_where("episodes", sql_eq("episode_id", "episodes-1"), {"status": "extracted"})

    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    store.insights_table("test-model", 8)
    store.upsert("insights", [{"insight_id": f"in-{i}", "feed_id": "f", "episode_id": "e", "text": f"insight number {i}",
                               "vector": v.tolist()} for i, v in enumerate(vectors)])
    store.optimize()  # scalar and full-text indexes, compaction: all written as objects
    assert store.vector_search(vectors[5], limit=1)[0]["insight_id"] == "in-5"
    assert store.text_search("insights", "number", limit=50)

    again = Store(store.uri)  # a second connection reads what the first wrote
    assert again.rows("feeds", sql_eq("feed_id", "feeds-0"))[0]["title"] == "Renamed"
    assert again.rows("episodes", sql_eq("episode_id", "episodes-1"))[0]["status"] == "extracted"
    assert again.count("insights") == 40 and again.meta("embedding") == '{"model": "test-model", "dim": 8}'


def test_a_missing_bucket_is_named_in_the_error(s3_env: S3Server) -> None:
    with pytest.raises(StoreError, match=r"bucket 'no-such-bucket' .* does not exist, and LanceDB does not create buckets"):
        Store("s3://no-such-bucket/db")


def test_three_writer_processes_lose_and_duplicate_nothing(s3_env: S3Server) -> None:
    store = _store(s3_env)
    store.table("episodes")  # created once, as a deployment would, before the writers start
    writers = [subprocess.Popen([sys.executable, str(WRITER), store.uri, f"w{n}", str(MERGES)], env={**os.environ, **s3_env.env},
                                stderr=subprocess.PIPE, text=True) for n in range(WRITERS)]
    for proc in writers:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    ids = [r["episode_id"] for r in store.rows("episodes", columns=["episode_id"])]
    expected = {f"w{n}-{i}" for n in range(WRITERS) for i in range(MERGES)} | {f"shared-{i}" for i in range(MERGES)}
    assert len(ids) == len(set(ids)), "a key inserted by several writers at once was stored twice"
    assert set(ids) == expected
    shared = {r["episode_id"]: r for r in store.rows("episodes", "episode_id LIKE 'shared-%'")}
    assert all(shared[f"shared-{i}"]["status"] in {f"w{n}" for n in range(WRITERS)} for i in range(MERGES - 1))


def test_the_ingestion_lease_excludes_others_and_lapses_when_its_holder_dies(s3_env: S3Server) -> None:
    store = _store(s3_env)
    holder = _run_python(HOLDER, store.uri, server=s3_env, PODBRIEF_LEASE_S="2")
    assert holder.stdout.readline().strip() == "held", holder.stderr.read()
    with pytest.raises(LockedError, match=r"Another ingestion run \(.+:\d+:\w+, until .+\) is working on s3://"), \
            ingest_lock(store):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    taken = False
    deadline = time.monotonic() + 60
    while not taken and time.monotonic() < deadline:  # the dead holder's lease lapses after 2 s
        try:
            with ingest_lock(store):
                taken = True
        except LockedError:
            time.sleep(0.5)
    assert taken, "the lease of a dead holder was never taken over"
    with ingest_lock(store), pytest.raises(LockedError), ingest_lock(store):  # released on exit, then held again here
        pass


def test_racing_takers_get_one_holder(s3_env: S3Server) -> None:
    store = _store(s3_env)
    store.table("leases")
    race = """
import sys
from pipeline.errors import LockedError
from pipeline.lease import Lease
from pipeline.store import Store
lease = Lease(Store(sys.argv[1]), "ingest", ttl_s=600)
try:
    lease.acquire()
    print("held " + lease.owner)
except LockedError:
    print("locked")
"""
    takers = [_run_python(race, store.uri, server=s3_env) for _ in range(3)]
    results = [p.communicate(timeout=120)[0].strip() for p in takers]
    winners = [r.removeprefix("held ") for r in results if r.startswith("held ")]
    assert len(winners) == 1 and results.count("locked") == 2, results
    assert store.rows("leases")[0]["owner"] == winners[0]


def test_a_lease_is_renewed_while_held_and_lost_once_taken_over(s3_env: S3Server) -> None:
    store = _store(s3_env)
    lease = Lease(store, "ingest", ttl_s=3, what="ingestion run")
    lease.acquire()
    time.sleep(6)  # twice its length: only the renewals keep it
    with pytest.raises(LockedError, match="Another sending run"):
        Lease(store, "ingest", ttl_s=3, what="sending run").acquire()
    lease.check()
    store.update("leases", "ingest", {"owner": "someone-else"})  # as a taker would after a lapse
    assert not lease.renew()
    with pytest.raises(LockedError, match="lost its lease"):
        lease.check()
    lease.release()
    assert store.rows("leases")[0]["owner"] == "someone-else", "releasing a lost lease leaves the new holder's alone"


def test_local_stores_keep_the_file_lock(tmp_path: Path) -> None:
    store = Store(tmp_path / "db")
    assert store.local_dir == tmp_path / "db"
    with ingest_lock(store, get_settings()):
        assert (tmp_path / "db" / ".ingest.lock").read_text() == str(os.getpid())
    assert store.count("leases") == 0
