"""Ingestion on a local Ray cluster (2 CPUs) into a store on an S3-compatible server (moto, on 127.0.0.1).

The Ray ingestion of the bundled demo must store exactly what the single-process run stores, even when a worker
is killed in the middle of an episode, and a rerun must add nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import get_settings
from pipeline.errors import StoreError
from pipeline.ingest import distributed
from pipeline.ingest.catalog import retry_failed
from pipeline.ingest.run import IngestReport, ingest
from pipeline.store import Store
from tests.app_fixtures import SAMPLE_FEEDS
from tests.s3server import S3Server

pytestmark = pytest.mark.distributed

ROOT = Path(__file__).resolve().parent.parent
TASK_TITLE = b"ray::process_episode_task"  # Ray titles a worker process after the task it runs


@pytest.fixture(scope="module")
def ray_address(s3_server: S3Server) -> Iterator[str]:
    """A local Ray cluster, one per module, whose workers see the S3 server's credentials."""
    import ray

    with pytest.MonkeyPatch.context() as env:
        for name, value in s3_server.env.items():
            env.setenv(name, value)  # the cluster's processes inherit this environment
        context = ray.init(num_cpus=2, include_dashboard=False)
    yield context.address_info["gcs_address"]
    ray.shutdown()


def _snapshot(store: Store) -> dict[str, list[tuple]]:
    """What ingestion stored, in a comparable form: every episode, segment and insight (duplicates included)."""
    return {
        "episodes": sorted((r["episode_id"], r["status"], r["transcript_source"]) for r in store.rows("episodes")),
        "segments": sorted((r["segment_id"], r["text"]) for r in store.rows("segments", columns=["segment_id", "text"])),
        "insights": sorted((r["insight_id"], r["text"]) for r in store.rows("insights", columns=["insight_id", "text"])),
    }


def _descends_from_us(pid: int) -> bool:
    """True if the process is a child, grandchild... of this one (our Ray cluster's, not someone else's)."""
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        if pid == os.getpid():
            return True
    return False


def _kill_a_running_task(driver: subprocess.Popen | threading.Thread) -> int | None:
    """SIGKILL the first worker of our cluster seen running an episode's task; its pid, or None if the run ended first."""
    while (driver.poll() is None) if isinstance(driver, subprocess.Popen) else driver.is_alive():
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                title = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(TASK_TITLE) and _descends_from_us(int(proc.name)):
                os.kill(int(proc.name), signal.SIGKILL)
                return int(proc.name)
        time.sleep(0.05)
    return None


def test_ray_ingestion_into_s3_matches_one_process_and_survives_a_killed_worker(
    ray_address: str, s3_env: S3Server, seeded_db: Path, tmp_path: Path
) -> None:
    uri = f"s3://{s3_env.make_bucket()}/podbrief"
    env = {**os.environ, "PODBRIEF_DB": uri, "PODBRIEF_AUDIO_DIR": str(tmp_path / "audio"),
           "PODBRIEF_CACHE_DIR": str(tmp_path / "cache")}
    feeds = [arg for path in sorted(SAMPLE_FEEDS.glob("*.xml")) for arg in ("--feed", str(path))]
    ingest = [sys.executable, "-m", "pipeline", "ingest", "--ray", ray_address, *feeds]

    driver = subprocess.Popen(ingest, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = _kill_a_running_task(driver)
    out, err = driver.communicate(timeout=600)
    assert driver.returncode == 0, err
    assert killed, "the run ended before any worker could be killed"
    assert not any(line.startswith("failed:") for line in out.splitlines()), out  # Ray ran the killed task again
    expected = _snapshot(Store(seeded_db))  # the same demo, ingested by `python -m pipeline seed` in one process
    assert _snapshot(Store(uri)) == expected

    again = subprocess.run(ingest, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "new episodes: 0, transcribed: 0, extracted: 0" in again.stdout
    assert _snapshot(Store(uri)) == expected

    briefs = [subprocess.run([sys.executable, "-m", "pipeline", "brief", "--db", db], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=300) for db in (uri, str(seeded_db))]
    assert briefs[0].returncode == 0, briefs[0].stderr
    assert "\n## 5\\." in briefs[0].stdout  # the engine ranks the top five straight from the object store
    assert briefs[0].stdout == briefs[1].stdout  # with the same topics: the driver stored episodes in the same order


def test_an_episode_whose_worker_always_dies_is_recorded_as_failed_and_retried_later(
    ray_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(distributed, "WORKER_RETRIES", 0)  # the first death is final
    settings = get_settings(podbrief_db=str(tmp_path / "db"), podbrief_audio_dir=str(tmp_path / "audio"),
                            podbrief_cache_dir=str(tmp_path / "cache"))
    store = Store(settings.podbrief_db)
    feed = [str(SAMPLE_FEEDS / "speech-clips.xml")]  # two episodes, both transcribed by Whisper on the workers
    reports: list[IngestReport] = []
    run = threading.Thread(target=lambda: reports.append(
        ingest(store, feeds=feed, settings=settings, executor=distributed.run_on_ray)), daemon=True)
    run.start()
    killed = _kill_a_running_task(run)
    run.join(timeout=600)
    assert killed, "the run ended before any worker could be killed"
    assert len(reports[0].failed) == 1 and "The Ray worker died on every one of 1 attempts" in reports[0].failed[0]
    statuses = sorted((e["status"], e["failed_stage"]) for e in store.rows("episodes"))
    assert statuses == [("extracted", None), ("failed", "transcribe")]

    assert retry_failed(store) == 1
    again = ingest(store, settings=settings, executor=distributed.run_on_ray)
    assert (again.transcribed, again.extracted, again.failed) == (1, 1, [])
    assert {e["status"] for e in store.rows("episodes")} == {"extracted"}
    ids = [r["segment_id"] for r in store.rows("segments", columns=["segment_id"])]
    assert ids and len(ids) == len(set(ids))


def test_an_unreachable_cluster_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    done = subprocess.run([sys.executable, "-m", "pipeline", "ingest", "--ray", address, "--db", str(tmp_path / "db")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"Error: Cannot reach the Ray cluster at {address}. Check the address" in done.stderr


def test_a_worker_without_the_local_store_refuses_rather_than_reads_it_empty(tmp_path: Path) -> None:
    episode = {"episode_id": "e", "status": "transcribed", "failed_stage": None, "transcripts": "[]"}
    with pytest.raises(StoreError, match=r"is a folder that this Ray node \(.+\) does not have"):
        distributed.process_episode_task(str(tmp_path / "elsewhere"), episode, get_settings())
    assert not (tmp_path / "elsewhere").exists()
