"""Readers: the CLI (add, list, set, pause, resume, remove, import), validation with clear errors, secret tokens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.delivery import outbox, readers
from pipeline.delivery.import_csv import import_readers
from pipeline.errors import DeliveryError
from tests.delivery_fixtures import NOON
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_readers_commands_add_list_set_pause_resume_remove(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    db = engine.store.uri
    assert _cli(capsys, "readers", "add", "Ana@Example.com", "--db", db, "--size", "3", "--tz", "Asia/Tokyo", "--hour",
                "8", "--keyword", "generics", "--podcast", "Alpha Signals", "--mute", "https://example.com/feed-c.xml",
                "--name", "Ana") == (0, "ana@example.com  active  size 3  daily at 8:00 Asia/Tokyo\n", "")
    assert _cli(capsys, "readers", "add", "ben@example.com", "--db", db, "--cadence", "weekly", "--day", "fri")[0] == 0
    code, out, _ = _cli(capsys, "readers", "list", "--db", db, "--json")
    rows = json.loads(out)
    assert code == 0 and [r["email"] for r in rows] == ["ana@example.com", "ben@example.com"]
    assert rows[0]["podcasts"] == ["feed-a"] and rows[0]["muted"] == ["feed-c"] and rows[0]["keywords"] == ["generics"]
    assert all("token" not in r for r in rows)  # the secret never leaves through a listing
    assert _cli(capsys, "readers", "list", "--db", db)[1].splitlines() == [
        "ana@example.com  active  size 3  daily at 8:00 Asia/Tokyo  channels: 1",
        "ben@example.com  active  size 5  weekly fri at 7:00 UTC  channels: 1"]

    assert _cli(capsys, "readers", "set", "ana@example.com", "--db", db, "--size", "7", "--keyword", "")[0] == 0
    ana = readers.get_reader(engine.store, "ana@example.com")
    assert (ana.size, ana.keywords, ana.podcasts, ana.tz) == (7, [], ["feed-a"], "Asia/Tokyo")
    assert _cli(capsys, "readers", "pause", "ana@example.com", "--db", db)[1] == "ana@example.com  paused\n"
    assert readers.get_reader(engine.store, "ana@example.com").status == "paused"
    assert _cli(capsys, "readers", "resume", "ana@example.com", "--db", db)[1] == "ana@example.com  resumed\n"
    outbox.queue(engine.store, [("ana@example.com", engine.date, "email", "<m@x>")], NOON)
    assert _cli(capsys, "readers", "remove", "ana@example.com", "--db", db)[1] == "removed ana@example.com\n"
    assert readers.find_reader(engine.store, "ana@example.com") is None
    assert not outbox.outbox_rows(engine.store)  # their history goes with them


@pytest.mark.parametrize(("args", "error"), [
    (["readers", "add", "not-an-address"], "Error: 'not-an-address' is not an email address. Give it as name@example.com."),
    (["readers", "add", "a@example.com", "--tz", "Mars/Olympus"],
     "Error: Time zone 'Mars/Olympus' is unknown. Use an IANA name such as Europe/Paris or America/Los_Angeles."),
    (["readers", "add", "a@example.com", "--size", "20"], "Error: Brief size 20 is not between 3 and 15."),
    (["readers", "add", "a@example.com", "--hour", "24"], "Error: Send hour 24 is not between 0 and 23."),
    (["readers", "add", "a@example.com", "--podcast", "Nope FM"],
     "Error: No podcast matches 'Nope FM'. See the Feeds page for the podcasts' names."),
    (["readers", "add", "a@example.com", "--topic", "knitting"],
     "Error: No topic matches 'knitting'. Follow it as a keyword instead, or see the Explore page for topic names."),
    (["readers", "add", "a@example.com", "--channel", "carrier-pigeon://coop"],
     "Error: A channel starting 'carrier-pigeon://' is not one Apprise knows. Use e.g. slack://..., discord://..., "
     "msteams://..., ntfy://..., tgram://... or json://host/path (see https://github.com/caronc/apprise/wiki)."),
    (["readers", "add", "a@example.com", "--email", "off"],
     "Error: a@example.com would get nothing: add a chat or webhook channel, or keep their email."),
    (["readers", "set", "nobody@example.com", "--size", "4"],
     "Error: No reader 'nobody@example.com'. See `python -m pipeline readers list`."),
    (["readers", "pause", "nobody@example.com"], "Error: No reader 'nobody@example.com'. See `python -m pipeline readers list`."),
])
def test_bad_input_gets_one_clear_line(engine: Engine, capsys: pytest.CaptureFixture[str], args: list[str],
                                       error: str) -> None:
    code, out, err = _cli(capsys, *args, "--db", engine.store.uri)
    assert (code, out, err.strip()) == (1, "", error)
    assert not readers.list_readers(engine.store)


def test_an_address_is_added_once_and_an_unsubscribed_reader_stays_unsubscribed(engine: Engine) -> None:
    store = engine.store
    ana = readers.add_reader(store, "ana@example.com")
    with pytest.raises(DeliveryError, match=r"ana@example.com is already a reader \(active\)"):
        readers.add_reader(store, "ANA@example.com")
    assert readers.unsubscribe(store, ana.token, how="test").status == "unsubscribed"
    with pytest.raises(DeliveryError, match="Only they can subscribe again"):
        readers.resume_reader(store, "ana@example.com")
    with pytest.raises(DeliveryError, match="is unsubscribed, not active"):
        readers.pause_reader(store, "ana@example.com")
    assert readers.resubscribe(store, ana.token).status == "active"


def test_tokens_are_secret_unique_and_matched_exactly(engine: Engine) -> None:
    store = engine.store
    ana = readers.add_reader(store, "ana@example.com")
    ben = readers.add_reader(store, "ben@example.com")
    assert len(ana.token) >= 32 and ana.token != ben.token
    assert readers.reader_by_token(store, ana.token).email == "ana@example.com"
    assert readers.reader_by_token(store, ben.token).email == "ben@example.com"
    for wrong in ("", ana.token[:-1], ana.token + "x", ana.token.upper(), "' OR '1'='1"):
        assert readers.reader_by_token(store, wrong) is None
    assert readers.unsubscribe(store, "nope", how="test") is None


def test_csv_import_adds_updates_and_reports_bad_rows_by_line(engine: Engine, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    store = engine.store
    readers.add_reader(store, "ben@example.com")
    readers.unsubscribe(store, readers.get_reader(store, "ben@example.com").token, how="test")
    csv_text = (
        "Email,name,tz,hour,size,keywords,podcasts\n"
        "ana@example.com,Ana,Europe/Lisbon,6,3,go;generics,Alpha Signals\n"
        "ben@example.com,Ben,,,9,,\n"
        "not-an-address,X,,,,,\n"
        "cy@example.com,Cy,,seven,,,\n"
        "dee@example.com,Dee,Nowhere/Town,,,,\n"
    )
    report = import_readers(store, csv_text.encode("utf-8-sig"))
    assert report.added == ["ana@example.com"] and report.updated == ["ben@example.com"]
    assert report.errors == [
        "line 4: 'not-an-address' is not an email address. Give it as name@example.com.",
        "line 5: hour 'seven' is not a whole number.",
        "line 6: Time zone 'Nowhere/Town' is unknown. Use an IANA name such as Europe/Paris or America/Los_Angeles.",
    ]
    ana = readers.get_reader(store, "ana@example.com")
    assert (ana.tz, ana.hour, ana.size, ana.keywords, ana.podcasts) == ("Europe/Lisbon", 6, 3, ["go", "generics"], ["feed-a"])
    ben = readers.get_reader(store, "ben@example.com")
    assert (ben.size, ben.status) == (9, "unsubscribed")
    with pytest.raises(DeliveryError, match="has no `email` column"):
        import_readers(store, "name,size\nAna,3\n")
    with pytest.raises(DeliveryError, match=r"Unknown CSV column\(s\): colour"):
        import_readers(store, "email,colour\nana@example.com,red\n")
    file = tmp_path / "readers.csv"
    file.write_text("email,size\nfay@example.com,4\n")
    assert _cli(capsys, "readers", "import", str(file), "--db", store.uri) == (0, "added 1, updated 0, errors 0\n", "")
