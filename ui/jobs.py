"""Background `python -m pipeline ...` jobs started from the dashboard, with their logs.

A page keeps only a job's pid and log path in session state; the process handles live in this
module so a rerun (or another page) can still ask whether the job has finished and how.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import ROOT

JOBS_FOLDER = "jobs"
TAIL_LINES = 12
PROGRESS_LINE = re.compile(r"^\[(?P<stage>[\w-]+)\] (?P<done>\d+)/(?P<total>\d+)(?: (?P<item>.*))?$")

_PROCESSES: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class JobState:
    """What a job is doing now: running or finished (with its exit code), and its last log lines."""

    running: bool
    returncode: int | None
    tail: list[str]

    @property
    def progress(self) -> tuple[str, int, int, str] | None:
        """The latest `[stage] done/total item` line the CLI printed, parsed; None before the first."""
        for line in reversed(self.tail):
            match = PROGRESS_LINE.match(line)
            if match:
                return match["stage"], int(match["done"]), int(match["total"]), match["item"] or ""
        return None


def jobs_dir(db: str) -> Path:
    """The folder inside the store where job logs are written (ignored by git with the store)."""
    return Path(db).resolve() / JOBS_FOLDER


def start_job(db: str, args: list[str]) -> tuple[int, str]:
    """Start `python -m pipeline <args>` on the store at `db`; returns its pid and log path."""
    folder = jobs_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log_path = folder / f"{args[0]}-{stamp}-{os.getpid()}.log"
    env = {**os.environ, "PODBRIEF_DB": db, "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # the job outlives a closed browser tab or a dashboard restart
        )
    _PROCESSES[proc.pid] = proc
    return proc.pid, str(log_path)


def job_state(pid: int, log_path: str) -> JobState:
    """Whether the job is still running, its exit code once finished, and the tail of its log."""
    proc = _PROCESSES.get(pid)
    if proc is not None:
        returncode = proc.poll()
        running = returncode is None
    else:
        # Started by an earlier dashboard process: only whether it is alive can be known.
        running, returncode = _alive(pid), None
    return JobState(running=running, returncode=returncode, tail=_tail(Path(log_path)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: Path) -> list[str]:
    try:
        with path.open("r", encoding="utf-8", errors="replace", newline="\n") as fh:
            lines = deque(fh, maxlen=TAIL_LINES)
    except FileNotFoundError:
        return []
    # Progress bars redraw with carriage returns; keep the latest state of each line.
    return [_last_draw(line) for line in lines]


def _last_draw(line: str) -> str:
    parts = [p for p in line.rstrip("\n").split("\r") if p.strip()]
    return parts[-1] if parts else ""
