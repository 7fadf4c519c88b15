"""The CLI: every command has help, exit codes, exact error text, and JSON output shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import COMMANDS, build_parser, main, parse_interval

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


def test_every_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    build_parser()
    for name, func in COMMANDS.items():
        assert func.__doc__ and "python -m pipeline" in func.__doc__, f"{name} needs a docstring with an example"
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert "--db" in capsys.readouterr().out


def test_status_json_has_the_documented_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "db")
    assert main(["add-feed", "--db", db, str(FIXTURES / "feeds_odd" / "not_xml.rss")]) == 0
    assert main(["ingest", "--db", db]) == 1  # its only feed failed
    capsys.readouterr()
    assert main(["status", "--db", db, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["feeds"] == 1
    assert info["episodes"] == {"new": 0, "transcribed": 0, "extracted": 0, "failed": 0, "skipped": 0}
    assert info["failures"][0]["episode"] is None
    assert info["failures"][0]["feed"].endswith("not_xml.rss")
    assert "is not XML" in info["failures"][0]["error"]


def test_errors_print_one_line_and_exit_1(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pipeline", "import-opml", "--db", str(tmp_path / "db"), str(tmp_path / "missing.opml")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 1
    assert run.stderr.startswith(f"Error: Cannot read OPML file {tmp_path / 'missing.opml'}: No such file or directory.")
    bad = subprocess.run([sys.executable, "-m", "pipeline", "watch", "--every", "soon"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "Error: --every 'soon' is not an interval. Use a number with s, m, h or d, e.g. 30m."


def test_transcribe_prints_segments_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(FIXTURES / "transcripts" / "pc20ns_buzzsprout_trailer_snippet.vtt"), "--json"]) == 0
    segments = json.loads(capsys.readouterr().out)
    assert segments[0] == {"start_s": 0.0, "end_s": 2.76, "text": segments[0]["text"], "speaker": "Sarah", "confidence": None}
    assert {"start_s", "end_s", "text", "speaker"} <= set(segments[-1])
    assert main(["transcribe", str(FIXTURES / "audio" / "jfk.flac"), "--json"]) == 0
    spoken_segments = json.loads(capsys.readouterr().out)
    assert all(0 < s["confidence"] <= 1 for s in spoken_segments)
    spoken = " ".join(s["text"] for s in spoken_segments).lower()
    assert "ask not what your country can do for you" in spoken


def test_import_opml_adds_every_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Subs</title></head><body>'
        '<outline text="Tech"><outline type="rss" text="A" xmlUrl="https://a.example/feed.xml"/>'
        '<outline type="rss" text="B" xmlUrl="feeds/b.xml"/></outline></body></opml>'
    )
    db = str(tmp_path / "db")
    assert main(["import-opml", "--db", db, str(opml)]) == 0
    assert main(["import-opml", "--db", db, str(opml)]) == 0  # again: nothing duplicated
    assert main(["status", "--db", db, "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("{"):])["feeds"] == 2


def test_uploaded_opml_with_relative_paths_is_refused(tmp_path: Path) -> None:
    from pipeline.errors import FeedError
    from pipeline.ingest.catalog import import_opml
    from pipeline.store import Store

    store = Store(tmp_path / "db")
    with pytest.raises(FeedError, match=r"lists 1 feed\(s\) by relative path \(e.g. feeds/b.xml\)"):
        import_opml(store, b'<opml><body><outline xmlUrl="https://a.example/f.xml"/>'
                           b'<outline xmlUrl="feeds/b.xml"/></body></opml>')
    assert store.count("feeds") == 0
    added = import_opml(store, Path(__file__).parent.parent / "data" / "samples" / "opml.xml").feeds
    assert len(added) == 8 and all(Path(f["url"].removeprefix("file://")).exists() for f in added)


def test_extract_refuses_llm_without_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "transcripts" / "pc20ns_buzzsprout_10things.srt")
    assert main(["extract", path, "--extractor", "llm"]) == 1
    assert capsys.readouterr().err.startswith("Error: OPENAI_API_KEY is not set.")
    assert main(["extract", path, "--json"]) == 0
    insights = json.loads(capsys.readouterr().out)
    assert insights and {"text", "quote", "start_s", "end_s", "score"} <= set(insights[0])


def test_ingest_takes_several_feeds_after_one_flag_or_repeated() -> None:
    parser = build_parser()
    assert parser.parse_args(["ingest", "--feed", "a.xml", "b.xml", "c.xml"]).feed == ["a.xml", "b.xml", "c.xml"]
    assert parser.parse_args(["ingest", "--feed", "a.xml", "--feed", "b.xml"]).feed == ["a.xml", "b.xml"]
    assert parser.parse_args(["ingest", "--feed", "a.xml", "b.xml", "--feed", "c.xml", "--max-new", "2"]).feed == [
        "a.xml", "b.xml", "c.xml"]


def test_ingest_exits_non_zero_when_every_feed_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "db")
    bad = [str(FIXTURES / "feeds_odd" / "not_xml.rss"), str(tmp_path / "missing.xml")]
    assert main(["ingest", "--db", db, "--feed", *bad]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines()[-1] == "Error: Nothing could be ingested: all 2 feed(s) failed (see above)."
    assert "feeds polled: 2, feeds failed: 2" in out
    assert sum(line.startswith("feed failed: file://") for line in out.splitlines()) == 2
    assert "is not XML" in out and "missing.xml does not exist" in out

    good = str(ROOT / "data" / "samples" / "feeds" / "podcasting-qa.xml")
    assert main(["ingest", "--db", db, "--feed", bad[0], good]) == 0, "one feed that works is enough"
    assert main(["add-feed", "--db", db, "~no-such-user-here/feed.xml"]) == 1
    assert "names a home folder that does not exist here" in capsys.readouterr().err
    assert main(["ingest", "--db", str(tmp_path / "empty")]) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith("Error: There are no feeds to ingest (none added, or all paused).")


def test_output_into_a_closed_pipe_prints_no_traceback(tmp_path: Path) -> None:
    from pipeline.store import Store

    db = tmp_path / "db"
    store = Store(db)
    store.upsert("feeds", [{"feed_id": f"f{i}", "url": f"https://example.org/{i}.xml", "last_error": "x" * 200}
                           for i in range(2000)])  # about 500 KB of status: far more than a pipe holds
    for command in ("status", "status --json"):
        run = subprocess.run(["bash", "-c", f"set -o pipefail; {sys.executable} -m pipeline {command} --db {db} | head -1"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert run.stderr == "", run.stderr
        assert run.stdout.startswith(("feeds: 2000", "{"))


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), ("45", 45)])
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


def test_topics_list_rename_and_merge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.config import Settings
    from pipeline.engine.topics import topics
    from tests.engine_fixtures import build_engine

    db = tmp_path / "db"
    topics(build_engine(db).store, rebuild=True, settings=Settings())
    assert main(["topics", "--db", str(db), "list"]) == 0
    listed = [line.split() for line in capsys.readouterr().out.splitlines()]
    first, second = listed[0][0], listed[1][0]
    assert main(["topics", "rename", first, "Go in production", "--editor", "ed", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == f"{first} is now called 'Go in production'"
    assert main(["topics", "--db", str(db), "merge", first, second]) == 0
    assert f"merged {second} into {first} ('Go in production'" in capsys.readouterr().out
    assert main(["topics", "--db", str(db), "--rebuild"]) == 0
    capsys.readouterr()
    assert main(["topics", "--db", str(db), "list"]) == 0
    out = capsys.readouterr().out
    assert f"{first}" in out and "Go in production  (named by an editor)" in out and second not in out
    assert main(["topics", "--db", str(db), "rename", "topic-9999", "x"]) == 1
    assert "There is no topic 'topic-9999'" in capsys.readouterr().err
