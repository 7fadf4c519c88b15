"""Shared fixtures: every test runs with a clean Podbrief environment (no keys, no store or AWS account from the shell)."""

import os
from pathlib import Path

import pytest

from tests.app_fixtures import app_db, empty_db, seeded_db  # noqa: F401
from tests.browser_fixtures import browser, chromium, dashboard, shots  # noqa: F401
from tests.httpserver import http_server  # noqa: F401
from tests.openai_server import openai_server  # noqa: F401
from tests.s3server import s3_env, s3_server  # noqa: F401
from tests.smtpserver import smtp_server  # noqa: F401


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("PODBRIEF_", "OPENAI_", "AWS_")):
            monkeypatch.delenv(name)
    # A developer's .streamlit/secrets.toml must not leak into tests.
    monkeypatch.setattr("pipeline.config.SECRETS_FILE", Path("/nonexistent/secrets.toml"))
