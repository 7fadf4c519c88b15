"""The Readers page and the readers' landing page under AppTest, on the seeded store with its brief published."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.config import get_settings
from pipeline.delivery import feedback, outbox, readers
from pipeline.engine import briefs
from pipeline.store import open_store
from tests.delivery_fixtures import NOON
from tests.smtpserver import LocalSMTPServer
from tests.test_app import JOB_WAIT_S, assert_clean, click, latest_day, open_app
from ui import jobs

PASSWORD = "s3cret"
HOSTILE_NAME = "<b>Bold</b> [x](javascript:alert(1))"


@pytest.fixture
def signed_in_db(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeded store with its latest brief published and an editor password set."""
    monkeypatch.setenv("EDITOR_PASSWORD", PASSWORD)
    briefs.publish_brief(open_store(str(app_db)), latest_day(app_db), editor="test editor")
    return app_db


def _sign_in(at: object) -> None:
    next(t for t in at.text_input if t.label == "Editor password").input(PASSWORD)  # type: ignore[attr-defined]
    click(at, "Sign in")  # type: ignore[arg-type]
    assert_clean(at)  # type: ignore[arg-type]


def _everything_shown(at: object) -> str:
    """Every text the page shows, tables included."""
    parts = [e.value for kind in ("markdown", "caption", "text", "info", "success", "warning", "subheader", "metric")
             for e in getattr(at, kind)]
    parts += [frame.value.to_csv() for frame in at.dataframe]  # type: ignore[attr-defined]
    return "\n".join(str(p) for p in parts)


def test_addresses_are_never_shown_to_signed_out_visitors(signed_in_db: Path) -> None:
    readers.add_reader(open_store(str(signed_in_db)), "ana@example.com")
    at = open_app("readers", editor=None)
    assert any("Sign in as an editor to see and manage readers" in i.value for i in at.info)
    assert "ana@example.com" not in _everything_shown(at) and not at.dataframe
    _sign_in(at)
    assert "ana@example.com" in at.dataframe(key="readers_table").value["email"].tolist()


def test_add_import_change_and_pause_readers(signed_in_db: Path) -> None:
    store = open_store(str(signed_in_db))
    at = open_app("readers", editor=None)
    _sign_in(at)
    next(t for t in at.text_input if t.label == "Email address").input("ana@example.com")
    next(n for n in at.number_input if n.label == "Insights per brief").set_value(3)
    next(s for s in at.selectbox if s.label == "Time zone").set_value("Asia/Tokyo")
    click(at, "Add reader")
    assert_clean(at)
    assert any(s.value == "Reader added." for s in at.success)
    ana = readers.get_reader(store, "ana@example.com")
    assert (ana.size, ana.tz, ana.channels) == (3, "Asia/Tokyo", ["email"])

    csv_file = b"email,name,size\nben@example.com,Ben,4\nnot-an-address,X,\n"
    at.file_uploader[0].set_value(("readers.csv", csv_file, "text/csv"))
    click(at, "Import")
    warning = " ".join(w.value for w in at.warning)
    assert "Imported 1 new and updated 0 reader(s). 1 row(s) skipped:" in warning and "line 3:" in warning
    assert readers.get_reader(store, "ben@example.com").size == 4

    at.session_state["readers_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert any(s.value == "ben@example.com" for s in at.subheader)
    click(at, "Pause")
    assert readers.get_reader(store, "ben@example.com").status == "paused"
    next(t for t in at.text_input if t.label == "Name" and t.value == "Ben").input(HOSTILE_NAME)
    click(at, "Save changes")
    assert_clean(at)
    assert readers.get_reader(store, "ben@example.com").name == HOSTILE_NAME
    click(at, "Resume")
    assert readers.get_reader(store, "ben@example.com").status == "active"


def test_preview_is_the_email_as_sent_and_a_test_goes_to_one_address(signed_in_db: Path, smtp_server: LocalSMTPServer,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = open_store(str(signed_in_db))
    for name, value in smtp_server.env().items():
        monkeypatch.setenv(name, value)
    readers.add_reader(store, "ana@example.com", size=3, name=HOSTILE_NAME)
    at = open_app("readers", editor=None)
    _sign_in(at)
    at.session_state["readers_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    [preview] = at.html
    assert preview.value.count('class="num"') == 3 and "Related insights" in preview.value
    assert "&lt;b&gt;Bold&lt;/b&gt;" in preview.value and "<b>Bold" not in preview.value
    assert any(t.value.startswith("Subject: Podbrief · ") for t in at.text)

    next(t for t in at.text_input if t.label == "Send a test to").input("editor@example.com")
    click(at, "Send test")
    assert_clean(at)
    assert any("Sent a test of ana@example.com's brief to editor@example.com" in s.value for s in at.success)
    [mail] = smtp_server.messages
    assert mail.rcpt_tos == ["editor@example.com"] and mail.message["Subject"].startswith("[Test] Podbrief")
    assert mail.message["List-Unsubscribe"] is None  # its Unsubscribe button would unsubscribe the reader
    assert mail.message.get_body(("html",)).get_content().count('class="num"') == 3
    assert not outbox.outbox_rows(store)  # a test is not a delivery


def test_the_outbox_shows_failures_with_their_reason_and_retries(signed_in_db: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODBRIEF_OUTBOX_DIR", str(tmp_path / "eml"))
    store = open_store(str(signed_in_db))
    readers.add_reader(store, "ana@example.com")
    day = latest_day(signed_in_db)
    outbox.queue(store, [("ana@example.com", day, "email", "<m@x>")], NOON)
    [row] = outbox.outbox_rows(store)
    outbox.mark_sending(store, row, NOON)
    outbox.mark_failed(store, row, NOON, "The SMTP server refused ana@example.com (421 busy).", get_settings(),
                       permanent=False)
    at = open_app("readers", editor=None)
    _sign_in(at)
    table = at.dataframe(key="outbox_table").value
    assert table.loc[0, "status"] == "failed" and "421 busy" in table.loc[0, "last_error"]
    at.session_state["outbox_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    click(at, "Retry 1 selected failed")
    assert any("1 message(s) will go with the next sending run." in s.value for s in at.success)
    assert [r["outbox_id"] for r in outbox.pending(store, datetime.now(UTC))] == [row["outbox_id"]]

    click(at, "Send what is due now")  # a background `python -m pipeline send`, as the Feeds page runs ingestion
    pid, log = at.session_state["send_job"]
    deadline = time.monotonic() + JOB_WAIT_S
    while jobs.job_state(pid, log).running:
        assert time.monotonic() < deadline, jobs.job_state(pid, log).tail
        time.sleep(0.5)
    assert jobs.job_state(pid, log).returncode == 0, jobs.job_state(pid, log).tail
    [row] = outbox.outbox_rows(store)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert (tmp_path / "eml" / day / "ana@example.com.eml").exists()


def test_the_unsubscribe_link_needs_the_button_and_a_thumb_is_recorded(signed_in_db: Path) -> None:
    store = open_store(str(signed_in_db))
    ana = readers.add_reader(store, "ana@example.com")
    insight_id = briefs.assemble_brief(store, latest_day(signed_in_db)).picks[0].insight_id

    at = open_app(editor=None)
    at.query_params.update({"token": ana.token, "action": "unsubscribe"})
    at.switch_page("pages/reader.py").run()
    assert_clean(at)
    assert "a•••@example.com" in _everything_shown(at) and "ana@example.com" not in _everything_shown(at)
    assert readers.get_reader(store, "ana@example.com").status == "active"  # opening the link is not enough
    click(at, "Unsubscribe")
    assert readers.get_reader(store, "ana@example.com").status == "unsubscribed"
    assert any("you will not get the brief again" in s.value for s in at.success)
    click(at, "Subscribe again")
    assert readers.get_reader(store, "ana@example.com").status == "active"

    at = open_app(editor=None)
    at.query_params.update({"token": ana.token, "action": "vote", "insight": insight_id, "vote": "up",
                            "date": latest_day(signed_in_db)})
    at.switch_page("pages/reader.py").run()
    assert_clean(at)
    assert any("more like this" in s.value for s in at.success)
    assert [(r["insight_id"], r["up"]) for r in feedback.pick_feedback(store)] == [(insight_id, 1)]
    click(at, "Less like this after all")
    assert [(r["up"], r["down"]) for r in feedback.pick_feedback(store)] == [(0, 1)]

    at = open_app(editor=None)
    at.query_params.update({"token": "forged", "action": "unsubscribe"})
    at.switch_page("pages/reader.py").run()
    assert any("This link is not valid" in w.value for w in at.warning) and not at.button
