"""Fixtures for the dashboard tests: a store filled once per session by the real pipeline, copied per test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FEEDS = ROOT / "data" / "samples" / "feeds"
APP = ROOT / "app.py"
SEED_TIMEOUT_S = 900
EDITOR_PASSWORD = "podbrief-test-password"  # editing is off without one; tests sign in with it


def run_pipeline(db: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m pipeline <args>` on the store at `db` and fail the test with its output if it fails."""
    env = {**os.environ, "PODBRIEF_DB": str(db)}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=SEED_TIMEOUT_S
    )
    assert done.returncode == 0, f"python -m pipeline {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store filled from the bundled samples by the real ingestion run (once per test session)."""
    db = tmp_path_factory.mktemp("seeded") / "lancedb"
    run_pipeline(db, "seed")
    return db


@pytest.fixture
def app_db(seeded_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the seeded store, which the app under test reads through PODBRIEF_DB."""
    db = tmp_path / "lancedb"
    shutil.copytree(seeded_db, db, ignore=shutil.ignore_patterns(".ingest.lock"))
    monkeypatch.setenv("PODBRIEF_DB", str(db))
    monkeypatch.setenv("EDITOR_PASSWORD", EDITOR_PASSWORD)  # beats a password in a developer's secrets.toml
    yield db


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store folder with nothing in it yet."""
    db = tmp_path / "empty" / "lancedb"
    monkeypatch.setenv("PODBRIEF_DB", str(db))
    monkeypatch.setenv("EDITOR_PASSWORD", EDITOR_PASSWORD)  # beats a password in a developer's secrets.toml
    return db
