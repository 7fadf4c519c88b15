"""When readers are due: cadence, hour and IANA time zone, with an injected clock (Tokyo and Los Angeles)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.delivery import outbox, readers
from pipeline.delivery.readers import Reader
from pipeline.delivery.schedule import brief_for_slot, due_slot, next_slot
from pipeline.delivery.send import send
from pipeline.engine.briefs import publish_brief, save_brief
from tests.delivery_fixtures import delivery_settings, published_engine  # noqa: F401  (the `published` fixture)
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)


def utc(text: str) -> datetime:
    """A UTC moment from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


TOKYO = Reader(email="kei@example.com", tz="Asia/Tokyo", hour=8)  # UTC+9
LOS_ANGELES = Reader(email="lee@example.com", tz="America/Los_Angeles", hour=18)  # UTC-7 in May


@pytest.mark.parametrize(("now", "tokyo", "los_angeles"), [
    ("2024-05-10 22:59", None, None),  # Tokyo 07:59 on the 11th; LA 15:59 on the 10th
    ("2024-05-10 23:00", "2024-05-11", None),  # Tokyo 08:00 on the 11th; LA 16:00 on the 10th
    ("2024-05-11 01:00", "2024-05-11", "2024-05-10"),  # Tokyo 10:00 on the 11th; LA 18:00 on the 10th
    ("2024-05-11 14:59", "2024-05-11", None),  # Tokyo 23:59 on the 11th; LA 07:59 on the 11th
])
def test_a_slot_opens_at_the_readers_hour_in_their_time_zone(now: str, tokyo: str | None, los_angeles: str | None) -> None:
    assert due_slot(TOKYO, utc(now)) == tokyo
    assert due_slot(LOS_ANGELES, utc(now)) == los_angeles


def test_a_served_slot_is_not_due_again_until_the_next_day() -> None:
    served = Reader(email="kei@example.com", tz="Asia/Tokyo", hour=8, last_slot="2024-05-11")
    assert due_slot(served, utc("2024-05-11 10:00")) is None
    assert due_slot(served, utc("2024-05-11 23:00")) == "2024-05-12"


def test_weekdays_and_weekly_cadences() -> None:
    weekdays = Reader(email="w@example.com", cadence="weekdays", hour=7)
    weekly = Reader(email="f@example.com", cadence="weekly", day="fri", hour=7)
    assert due_slot(weekdays, utc("2024-05-10 08:00")) == "2024-05-10"  # a Friday
    assert due_slot(weekdays, utc("2024-05-11 08:00")) is None  # Saturday
    assert due_slot(weekly, utc("2024-05-10 08:00")) == "2024-05-10"
    assert due_slot(weekly, utc("2024-05-13 08:00")) is None  # Monday
    assert next_slot(weekly, utc("2024-05-10 08:00")) == utc("2024-05-10 07:00")  # open now, not yet served
    served = Reader(email="f@example.com", cadence="weekly", day="fri", hour=7, last_slot="2024-05-10")
    assert next_slot(served, utc("2024-05-10 08:00")) == utc("2024-05-17 07:00")
    tokyo_served = Reader(email="kei@example.com", tz="Asia/Tokyo", hour=8, last_slot="2024-05-10")
    assert next_slot(tokyo_served, utc("2024-05-10 12:00")) == utc("2024-05-10 23:00")  # 08:00 on the 11th, Tokyo


def test_a_slot_sends_the_newest_published_brief_of_the_past_week() -> None:
    published = ["2024-05-02", "2024-05-09", "2024-05-10", "2024-05-12"]
    assert brief_for_slot("2024-05-11", published) == "2024-05-10"
    assert brief_for_slot("2024-05-19", published) == "2024-05-12"  # a week old: still sent
    assert brief_for_slot("2024-05-20", []) is None
    assert brief_for_slot("2024-05-20", published) is None  # more than a week old: nothing


def test_send_without_a_date_sends_each_reader_at_their_hour_once(published: Engine, tmp_path: Path) -> None:
    store = published.store
    readers.add_reader(store, "kei@example.com", tz="Asia/Tokyo", hour=8)
    readers.add_reader(store, "lee@example.com", tz="America/Los_Angeles", hour=18)
    settings = delivery_settings(tmp_path)

    def sent_to(now: str) -> list[str]:
        report = send(store, now=utc(now), settings=settings)
        return sorted(line.split(" to ")[1].split(" by ")[0] for line in report.lines if line.startswith("sent"))

    assert sent_to("2024-05-10 22:00") == []  # Tokyo 07:00, LA 15:00
    assert sent_to("2024-05-10 23:05") == ["kei@example.com"]  # Tokyo 08:05 on the 11th gets the 10th's brief
    assert sent_to("2024-05-10 23:30") == []
    assert sent_to("2024-05-11 01:05") == ["lee@example.com"]  # LA 18:05 on the 10th
    assert sent_to("2024-05-11 23:05") == []  # Tokyo's next slot: the 10th's brief was had already
    rows = outbox.outbox_rows(store)
    assert sorted((r["email"], r["date"], r["status"]) for r in rows) == [
        ("kei@example.com", published.date, "sent"), ("lee@example.com", published.date, "sent")]
    assert readers.get_reader(store, "kei@example.com").last_slot == "2024-05-12"


def test_watch_sends_what_is_due_after_each_ingestion_pass(published: Engine, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    store = published.store
    store.delete("feeds", "true")  # nothing to poll: the ingestion pass is quick and offline
    today = datetime.now(UTC).date().isoformat()
    older = publish_brief(store, published.date, editor="test editor").picks[0].insight_id
    save_brief(store, today, items=[older], editor="test editor", expected_version=None, publish=True)  # for today
    readers.add_reader(store, "ana@example.com", hour=0)  # due from midnight UTC
    monkeypatch.setenv("PODBRIEF_OUTBOX_DIR", str(tmp_path / "eml"))

    def stop_after_the_first_pass(_seconds: float) -> None:
        raise KeyboardInterrupt  # what Ctrl-C does while watch waits for its next pass

    monkeypatch.setattr(importlib.import_module("pipeline.ingest.run").time, "sleep", stop_after_the_first_pass)
    assert main(["watch", "--db", store.uri, "--every", "30m"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("feeds polled: 0")
    assert f"sent {today} to ana@example.com by email: 1 item(s) via {tmp_path / 'eml' / today / 'ana@example.com.eml'}" in out
    assert out[-1] == "stopped"
    assert [(r["email"], r["date"], r["status"]) for r in outbox.outbox_rows(store)] == [("ana@example.com", today, "sent")]
