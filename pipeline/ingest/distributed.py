"""Ingestion on a Ray cluster: each due episode's work (download, transcription, extraction, embedding) as a task.

`connect` joins (or starts) the cluster and must run before this process opens a store: starting Ray forks
this process, and LanceDB's async runtime is not fork-safe (it warns, and a fork in mid-operation can
deadlock). The tasks run `run.process_episode`, which reads the store and returns rows; the driver keeps
polling, writing, topics and ranking. So a worker that dies mid-task has written nothing: Ray runs the task
again (WORKER_RETRIES times), and an episode whose every attempt died is recorded as failed, retried by a
later run like any other failure.

Tasks get the driver's settings (so every worker extracts and embeds alike); the store's credentials come from
each node's own environment (AWS_* variables, an instance role).
"""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..config import Settings
from ..errors import PodbriefError, StoreError
from ..locations import is_object_store
from ..store import Store, open_store
from .run import EpisodeOutcome, Executor, needs_transcript, process_episode

WORKER_RETRIES = 2  # a task whose worker died runs again this many times before its episode is marked failed
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # shipped to the workers, so a cluster needs only the requirements
CONNECT_TIMEOUT_S = 5.0


def connect(address: str | None = None) -> Executor:
    """Join the Ray cluster at `address` (host:port of its head), or start a local one without; returns the executor.

    Example: `python -m pipeline ingest --ray 10.0.0.5:6379`
    """
    try:
        import ray
    except ImportError as exc:
        raise PodbriefError("Ray is not installed. Install it with `pip install -r requirements.txt`.") from exc
    if not ray.is_initialized():
        if address and not _reachable(address):  # Ray itself would keep retrying for minutes
            raise _unreachable(address, "")
        try:
            with warnings.catch_warnings():
                # Importing lancedb warns on every fork; Ray's forks exec its own programs at once and never run LanceDB.
                warnings.filterwarnings("ignore", message="lancedb fork support", category=RuntimeWarning)
                ray.init(address=address or None, runtime_env={"py_modules": [str(PACKAGE_DIR)]})
        except ConnectionError as exc:
            raise _unreachable(address or "$RAY_ADDRESS", f" ({exc})") from exc
    return run_on_ray


def _unreachable(address: str, detail: str) -> PodbriefError:
    return PodbriefError(
        f"Cannot reach the Ray cluster at {address}{detail}. Check the address (the head node's host:port, as "
        "`ray start --head` printed it) and that its port is open, or leave it out to run on a local cluster."
    )


def run_on_ray(store: Store, episodes: list[dict], settings: Settings) -> Iterator[EpisodeOutcome]:
    """The Ray executor: every episode's work as a task (on a GPU for speech recognition where the cluster has one).

    All tasks start at once; their outcomes are yielded in the episodes' order, as `run_here` yields them, because
    the driver assigns topics as it stores each episode and the topics depend on that order.
    """
    import ray
    from ray.exceptions import NodeDiedError, OutOfMemoryError, WorkerCrashedError

    task = ray.remote(max_retries=WORKER_RETRIES)(process_episode_task)
    gpus = ray.cluster_resources().get("GPU", 0) > 0
    refs = []
    for episode in episodes:
        if gpus and _needs_speech_recognition(episode):
            refs.append(task.options(num_gpus=1).remote(store.uri, episode, replace(settings, podbrief_asr_device="cuda")))
        else:
            refs.append(task.remote(store.uri, episode, settings))
    for ref, episode in zip(refs, episodes, strict=True):
        try:
            yield ray.get(ref)
        except (WorkerCrashedError, OutOfMemoryError, NodeDiedError) as exc:
            stage = "transcribe" if needs_transcript(episode) else "extract"
            error = (f"The Ray worker died on every one of {WORKER_RETRIES + 1} attempts ({type(exc).__name__}); "
                     "check the node's memory and logs.")
            yield EpisodeOutcome(episode, failed_stage=stage, error=error)


def process_episode_task(uri: str, episode: dict, settings: Settings) -> EpisodeOutcome:
    """One episode's work on a Ray worker, against the store it opens once per worker process."""
    if not is_object_store(uri) and not Path(uri).is_dir():
        # Opening it would create an empty store here, and the episode's stored transcript would read as empty.
        raise StoreError(
            f"The store {uri} is a folder that this Ray node ({socket.gethostname()}) does not have. On a cluster of "
            "several machines, put the store on an object store (PODBRIEF_DB=s3://bucket/prefix) or in a folder every "
            "node mounts."
        )
    return process_episode(open_store(uri, settings), episode, settings)


def _reachable(address: str) -> bool:
    """True if a plain host:port address accepts a connection (other forms, such as ray:// or auto, are left to Ray)."""
    host, _, port = address.rpartition(":")
    if not host or "/" in address or not port.isdigit():
        return True
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


def _needs_speech_recognition(episode: dict) -> bool:
    """True for an episode to transcribe that offers no publisher transcript (it may still fall back to ASR)."""
    return needs_transcript(episode) and not json.loads(episode["transcripts"] or "[]")
