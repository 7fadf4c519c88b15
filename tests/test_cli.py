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
    assert main(["ingest", "--db", db]) == 0
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
    added = import_opml(store, Path(__file__).parent.parent / "data" / "samples" / "opml.xml")
    assert len(added) == 8 and all(Path(f["url"].removeprefix("file://")).exists() for f in added)


def test_extract_refuses_llm_without_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(FIXTURES / "transcripts" / "pc20ns_buzzsprout_10things.srt")
    assert main(["extract", path, "--extractor", "llm"]) == 1
    assert capsys.readouterr().err.startswith("Error: OPENAI_API_KEY is not set.")
    assert main(["extract", path, "--json"]) == 0
    insights = json.loads(capsys.readouterr().out)
    assert insights and {"text", "quote", "start_s", "end_s", "score"} <= set(insights[0])


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), ("45", 45)])
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds
