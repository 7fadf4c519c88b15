"""Sending the brief: a real SMTP server (STARTTLS + AUTH), .eml files, Apprise webhooks, retries, bounces, once."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from pipeline.cli import main
from pipeline.delivery import outbox, readers
from pipeline.delivery.channels import channel_label
from pipeline.delivery.message import message_id
from pipeline.delivery.send import send
from pipeline.delivery.source import brief_version, published_brief
from pipeline.engine.briefs import get_brief, latest_brief_date, publish_brief, save_brief
from pipeline.engine.rank import rank
from pipeline.store import open_store
from tests.app_fixtures import run_pipeline
from tests.delivery_fixtures import NOON, PUBLIC_URL, SENDER, delivery_settings, published_engine  # noqa: F401
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)
from tests.httpserver import LocalHTTPServer
from tests.smtpserver import PASSWORD, USER, LocalSMTPServer

NUMBERED = re.compile(r"^(\d+)\. ", re.MULTILINE)
HOSTILE_FEED = "[x](javascript:alert(1)) <b>Show</b>"
HOSTILE_EPISODE = "<script>alert(1)</script>"
HOSTILE_TEXT = "<img src=x onerror=alert(1)> **bold** & ![img](https://evil.example/x.png)"
HOSTILE_NOTE = "</p><a href='https://evil.example'>click</a>"


def _parts(received: object) -> tuple[str, str]:
    message = received.message  # type: ignore[attr-defined]
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_each_reader_gets_one_multipart_email_over_starttls_and_auth(published: Engine, smtp_server: LocalSMTPServer,
                                                                     tmp_path: Path) -> None:
    store = published.store
    ana = readers.add_reader(store, "ana@example.com", size=3, name="Ana")
    readers.add_reader(store, "ben@example.com")
    settings = delivery_settings(tmp_path, smtp_server)

    report = send(store, date=published.date, settings=settings)

    assert (report.sent, report.failed, report.to_files) == (2, 0, False)
    assert "***" in report.where and PASSWORD not in report.where
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["ana@example.com", "ben@example.com"]
    assert all(m.tls and m.login == USER and m.mail_from == "brief@podbrief.test" for m in smtp_server.messages)
    [mail] = smtp_server.received_by("ana@example.com")
    message = mail.message
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["To"] == "Ana <ana@example.com>" and message["From"] == SENDER
    assert message["Message-ID"] == message_id("ana@example.com", published.date, "email", SENDER)
    one_click = f"{PUBLIC_URL}/delivery/unsubscribe/{ana.token}"
    assert message["List-Unsubscribe"] == f"<{one_click}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"].startswith("Podbrief · Friday 10 May 2024: ")

    text, html = _parts(mail)
    brief = published_brief(store, published.date)
    assert NUMBERED.findall(text) == ["1", "2", "3"]
    for pick in brief.picks[:3]:
        assert " ".join(pick.text.split()) in text
        assert f"https://media.example.com/{pick.feed_id}/{pick.episode_id}.mp3#t={int(pick.start_s)}" in html
        assert f'href="https://example.com/{pick.episode_id}"' in html
        assert f"vote=up&amp;date={published.date}" in html and pick.insight_id in html
    assert "Related insights" in html and "Related insights:" in text
    assert f'href="{PUBLIC_URL}/reader?token={ana.token}&amp;action=unsubscribe"' in html
    assert f"{PUBLIC_URL}/delivery/feed/{ana.token}.atom" in text
    assert "<style" not in html and 'style="' in html  # CSS inlined for mail clients

    [ben_mail] = smtp_server.received_by("ben@example.com")
    assert NUMBERED.findall(_parts(ben_mail)[0]) == ["1", "2", "3", "4", "5"]

    rows = outbox.outbox_rows(store)
    assert {(r["email"], r["status"], r["items"], r["attempts"]) for r in rows} == {
        ("ana@example.com", "sent", 3, 1), ("ben@example.com", "sent", 5, 1)}
    assert {r["brief_version"] for r in rows} == {brief_version(brief)}

    again = send(store, date=published.date, settings=settings)
    assert (again.queued, again.sent) == (0, 0)
    assert len(smtp_server.messages) == 2


def test_hostile_feed_and_editor_text_is_escaped_in_html_text_and_chat(published: Engine, tmp_path: Path,
                                                                        http_server: LocalHTTPServer) -> None:
    store = published.store
    pick = rank(store, published.date).picks[0]
    store.update("feeds", pick.feed_id, {"title": HOSTILE_FEED})
    store.update("episodes", pick.episode_id, {"title": HOSTILE_EPISODE, "link": "javascript:alert(1)"})
    current = get_brief(store, published.date)
    save_brief(store, published.date, items=current["items"], edits={pick.insight_id: HOSTILE_TEXT},
               notes={pick.insight_id: HOSTILE_NOTE}, editor="test editor", expected_version=current["version"],
               publish=True)
    hook = http_server.route("/hook", status=200, body="ok")
    readers.add_reader(store, "ana@example.com", name='Ana <script>"', channels=[hook.replace("http://", "json://")])

    report = send(store, date=published.date, settings=delivery_settings(tmp_path))

    assert report.sent == 2 and report.to_files
    mail = (tmp_path / "outbox" / published.date / "ana@example.com.eml").read_bytes()
    from email import policy
    from email.parser import BytesParser

    message = BytesParser(policy=policy.default).parsebytes(mail)
    html = message.get_body(("html",)).get_content()
    for raw in ("<script", "<img", "<b>", "onerror=alert(1)>", 'href="javascript:', "</p><a href='https://evil"):
        assert raw not in html, raw
    assert "&lt;img src=x onerror=alert(1)&gt; **bold** &amp; ![img](https://evil.example/x.png)" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;/p&gt;&lt;a href=" in html
    text = message.get_body(("plain",)).get_content()
    assert HOSTILE_TEXT in text  # plain text is shown as it is, never interpreted
    chat = json.loads(http_server.requests("/hook")[0].body)["message"]
    rendered = MarkdownIt().render(chat)  # what a chat client that renders Markdown would make of it
    for raw in ("<script", "<img", "<b>", 'href="javascript:', "<strong>bold"):
        assert raw not in rendered, raw
    assert "[x](javascript:alert(1))" in rendered and "**bold**" in rendered


def test_smtps_is_tls_from_the_first_byte(published: Engine, tmp_path: Path) -> None:
    server = LocalSMTPServer(tmp_path, implicit_tls=True)
    try:
        readers.add_reader(published.store, "ana@example.com")
        report = send(published.store, date=published.date, settings=delivery_settings(tmp_path, server))
    finally:
        server.close()
    assert report.sent == 1 and report.where == f"smtps://{USER}:***@127.0.0.1:{server.port}"
    [mail] = server.messages
    assert mail.rcpt_tos == ["ana@example.com"] and mail.login == USER


def test_a_temporary_refusal_is_retried_with_backoff_then_delivered_once(published: Engine, smtp_server: LocalSMTPServer,
                                                                          tmp_path: Path) -> None:
    store = published.store
    readers.add_reader(store, "ana@example.com")
    settings = delivery_settings(tmp_path, smtp_server)
    smtp_server.refuse("rcpt", "421 4.7.0 Try again later")

    first = send(store, date=published.date, now=NOON, settings=settings)
    assert (first.sent, first.failed) == (0, 1)
    [row] = outbox.outbox_rows(store)
    assert row["status"] == "failed" and row["attempts"] == 1
    assert row["next_retry"] == (NOON + timedelta(seconds=60)).isoformat()
    assert "421 4.7.0 Try again later" in row["last_error"] and "retrying after" in row["last_error"]

    early = send(store, date=published.date, now=NOON + timedelta(seconds=30), settings=settings)
    assert early.sent == 0 and not smtp_server.messages
    later = send(store, date=published.date, now=NOON + timedelta(seconds=61), settings=settings)
    assert later.sent == 1
    [row] = outbox.outbox_rows(store)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, None)
    assert len(smtp_server.messages) == 1
    assert readers.get_reader(store, "ana@example.com").status == "active"


def test_three_permanent_refusals_mark_the_address_bounced(published: Engine, smtp_server: LocalSMTPServer,
                                                           tmp_path: Path) -> None:
    store = published.store
    readers.add_reader(store, "gone@example.com")
    readers.add_reader(store, "ben@example.com")
    settings = delivery_settings(tmp_path, smtp_server)
    smtp_server.refuse("rcpt", "550 5.1.1 No such user", times=3, address="gone@example.com")

    now = NOON
    outcomes = []
    for _ in range(3):
        report = send(store, date=published.date, now=now, settings=settings)
        outcomes.append((report.sent, report.failed, report.bounced))
        now += timedelta(hours=1)
    assert outcomes == [(1, 1, 0), (0, 1, 0), (0, 1, 1)]
    gone = readers.get_reader(store, "gone@example.com")
    assert gone.status == "bounced" and "550 5.1.1 No such user" in gone.status_note
    row = next(r for r in outbox.outbox_rows(store) if r["email"] == "gone@example.com")
    assert row["status"] == "failed" and row["next_retry"] is None and "marked bounced" in row["last_error"]
    assert send(store, date=published.date, now=now, settings=settings).sent == 0
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ben@example.com"]]


def test_an_unreachable_server_is_retried_and_the_rest_stay_queued(published: Engine, smtp_server: LocalSMTPServer,
                                                                   tmp_path: Path) -> None:
    store = published.store
    for name in ("ana", "ben", "cy"):
        readers.add_reader(store, f"{name}@example.com")
    smtp_server.close()  # nothing listens on its port any more: connection refused
    report = send(store, date=published.date, now=NOON, settings=delivery_settings(tmp_path, smtp_server))
    assert (report.sent, report.failed) == (0, 1)
    assert any("Connection refused" in note and "stay queued" in note for note in report.notes)
    assert sorted(r["status"] for r in outbox.outbox_rows(store)) == ["failed", "queued", "queued"]


def test_a_refused_login_stops_the_run_with_the_fix_and_no_password(published: Engine, smtp_server: LocalSMTPServer,
                                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    readers.add_reader(published.store, "ana@example.com")
    readers.add_reader(published.store, "ben@example.com")
    wrong = "not-the-password"
    for name, value in {**smtp_server.env(), "PODBRIEF_SMTP_URL": smtp_server.url(password=wrong)}.items():
        monkeypatch.setenv(name, value)
    code = main(["send", "--db", published.store.uri, "--date", published.date])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.strip() == (f"Error: The SMTP server smtp+starttls://{USER}:***@127.0.0.1:{smtp_server.port} refused the "
                           "login (535 5.7.8 Authentication credentials invalid). Check the user and password in "
                           "PODBRIEF_SMTP_URL.")
    assert wrong not in out + err
    assert not smtp_server.messages


def test_without_smtp_the_send_command_writes_eml_files_and_says_so(published: Engine, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "eml"
    monkeypatch.setenv("PODBRIEF_OUTBOX_DIR", str(folder))
    db = published.store.uri
    assert main(["readers", "add", "ana@example.com", "--db", db, "--size", "3"]) == 0
    assert main(["send", "--db", db, "--date", published.date, "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"would send {published.date} to ana@example.com by email: 3 item(s)"
    assert not folder.exists()
    assert main(["send", "--db", db, "--date", published.date]) == 0
    out = capsys.readouterr().out
    assert f"No SMTP server is configured (PODBRIEF_SMTP_URL), so the emails were written as .eml files under {folder}." in out
    assert "sent 1, failed 0, bounced 0, skipped 0" in out
    assert (folder / published.date / "ana@example.com.eml").read_bytes().startswith(b"Subject: Podbrief")


def test_republishing_keeps_readers_who_had_the_brief_from_getting_it_again(published: Engine, tmp_path: Path) -> None:
    store = published.store
    readers.add_reader(store, "ana@example.com")
    settings = delivery_settings(tmp_path)
    assert send(store, date=published.date, settings=settings).sent == 1
    publish_brief(store, published.date, editor="second editor")
    assert send(store, date=published.date, settings=settings).sent == 0
    readers.add_reader(store, "ben@example.com")
    assert send(store, date=published.date, settings=settings).sent == 1
    versions = {r["email"]: r["brief_version"] for r in outbox.outbox_rows(store)}
    assert versions["ben@example.com"] == brief_version(published_brief(store, published.date))


def test_apprise_channels_get_the_same_brief_and_the_list_gets_the_published_one(
        published: Engine, tmp_path: Path, http_server: LocalHTTPServer) -> None:
    store = published.store
    hook = http_server.route("/hook", status=200, body="ok").replace("http://", "json://")
    team = http_server.route("/team", status=200, body="ok").replace("http://", "json://")
    down = http_server.route("/down", status=503, body="overloaded").replace("http://", "json://")
    ana = readers.add_reader(store, "ana@example.com", size=3, channels=[hook, down], email_channel=False)
    settings = delivery_settings(tmp_path, podbrief_list_channels=f"{team}")

    report = send(store, date=published.date, now=NOON, settings=settings)

    assert (report.sent, report.failed) == (2, 1)
    payload = json.loads(http_server.requests("/hook")[0].body)
    assert payload["title"].startswith("Podbrief · Friday 10 May 2024: ")
    assert re.findall(r"^\*\*(\d)\\\.\*\* ", payload["message"], re.MULTILINE) == ["1", "2", "3"]
    assert f"{PUBLIC_URL}/reader?token={ana.token}&action=unsubscribe" in payload["message"]
    listed = json.loads(http_server.requests("/team")[0].body)["message"]
    assert len(re.findall(r"^\*\*\d\\\.\*\* ", listed, re.MULTILINE)) == 5 and "token=" not in listed
    rows = {r["channel"]: r for r in outbox.outbox_rows(store)}
    assert set(rows) == {channel_label(hook), channel_label(down), channel_label(team)}
    assert all("127.0.0.1" not in label for label in rows)  # a channel URL carries its token: only a label is kept
    failed = rows[channel_label(down)]
    assert failed["status"] == "failed" and "error=503" in failed["last_error"]
    assert not (tmp_path / "outbox").exists()  # no email channel: no email


def test_only_active_readers_get_it_and_one_reader_can_be_sent_alone(published: Engine, tmp_path: Path) -> None:
    store = published.store
    for name in ("ana", "ben", "cy"):
        readers.add_reader(store, f"{name}@example.com")
    readers.pause_reader(store, "cy@example.com")
    settings = delivery_settings(tmp_path)
    alone = send(store, date=published.date, email="ben@example.com", settings=settings)
    assert [line.split(":")[0] for line in alone.lines] == [f"sent {published.date} to ben@example.com by email"]
    report = send(store, date=published.date, settings=settings)
    assert report.sent == 1 and "ana@example.com" in report.lines[0]
    readers.resume_reader(store, "cy@example.com")
    readers.add_reader(store, "dee@example.com")
    outbox.queue(store, [("dee@example.com", published.date, "email", "<x@y>")], NOON)
    readers.pause_reader(store, "dee@example.com")  # queued, then paused before it went
    report = send(store, date=published.date, settings=settings)
    assert report.sent == 1 and report.skipped == 1
    assert {r["email"]: r["status"] for r in outbox.outbox_rows(store)}["dee@example.com"] == "skipped"


def test_sending_an_unpublished_date_says_what_to_do(engine: Engine, tmp_path: Path) -> None:
    readers.add_reader(engine.store, "ana@example.com")
    from pipeline.errors import DeliveryError

    with pytest.raises(DeliveryError, match=r"The brief for 2024-05-10 is not published, so there is nothing to send\. "
                                            r"Publish it on the Curate page"):
        send(engine.store, date=engine.date, settings=delivery_settings(tmp_path))


def test_done_when_seeded_published_two_readers_one_email_each_and_a_second_send_sends_nothing(
        app_db: Path, smtp_server: LocalSMTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in smtp_server.env().items():
        monkeypatch.setenv(name, value)
    store = open_store(str(app_db))
    day = latest_brief_date(store)
    publish_brief(store, day, editor="lead")  # what `python -m pipeline publish` does (the editor's command)
    run_pipeline(app_db, "readers", "add", "ana@example.com", "--size", "3")
    run_pipeline(app_db, "readers", "add", "ben@example.com")
    first = run_pipeline(app_db, "send", "--date", day)
    assert "sent 2, failed 0, bounced 0, skipped 0" in first.stdout
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == ["ana@example.com", "ben@example.com"]
    for mail in smtp_server.messages:
        message = mail.message
        assert message.is_multipart() and message["List-Unsubscribe"] and message["List-Unsubscribe-Post"]
        numbered = NUMBERED.findall(message.get_body(("plain",)).get_content())
        assert numbered == ["1", "2", "3"] if mail.rcpt_tos == ["ana@example.com"] else 1 <= len(numbered) <= 5
    second = run_pipeline(app_db, "send", "--date", day)
    assert "sent 0, failed 0, bounced 0, skipped 0" in second.stdout
    assert len(smtp_server.messages) == 2
