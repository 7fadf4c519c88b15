"""Fixtures for the delivery tests: the planted engine store with its brief published, and settings that
point sending at a temp outbox folder or the test SMTP server. Import the fixtures where needed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import Settings, get_settings
from pipeline.engine.briefs import publish_brief
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)
from tests.smtpserver import LocalSMTPServer

PUBLIC_URL = "https://brief.example.org"
SENDER = "Podbrief <brief@podbrief.test>"
NOON = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)  # the planted brief's date, at noon UTC


def delivery_settings(tmp_path: Path, smtp: LocalSMTPServer | None = None, **overrides: object) -> Settings:
    """Settings for sending: links to PUBLIC_URL, .eml files under tmp_path (or `smtp`), a one-minute retry base."""
    values: dict[str, object] = {"podbrief_public_url": PUBLIC_URL, "podbrief_outbox_dir": str(tmp_path / "outbox"),
                                 "podbrief_mail_from": SENDER, "podbrief_send_retry_base_s": 60.0}
    if smtp is not None:
        values |= {"podbrief_smtp_url": smtp.url(), "podbrief_smtp_ca_file": str(smtp.cert)}
    return get_settings(**(values | overrides))


@pytest.fixture(name="published")
def published_engine(engine: Engine) -> Engine:
    """The planted store with the brief for its date published by an editor."""
    publish_brief(engine.store, engine.date, editor="test editor")
    return engine
