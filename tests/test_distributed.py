"""Ingestion on a local Ray cluster (2 CPUs) into a store on an S3-compatible server (moto, on 127.0.0.1).

The Ray ingestion of the bundled demo must store exactly what the single-process run stores, even when a worker
is killed in the middle of an episode, and a rerun must add nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def _kill_a_running_task(driver: subprocess.Popen) -> int | None:
    """SIGKILL the first worker of our cluster seen running an episode's task; its pid, or None if the run ended first."""
    while driver.poll() is None:
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
    assert "failed:" not in out, out  # Ray ran the killed task again
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
