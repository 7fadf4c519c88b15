"""The CLI's brief commands: `publish`, strict `--date`, `--weights` by preset name, and "&" in the Markdown."""

from __future__ import annotations

import pytest

from pipeline.cli import main
from pipeline.engine.briefs import get_brief, published_brief, save_brief
from pipeline.engine.export import brief as markdown
from pipeline.engine.presets import save_preset
from pipeline.engine.rank import rank
from pipeline.engine.weights import Weights
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)


def run(engine: Engine, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run one command on the engine's store; its exit code, stdout and stderr."""
    code = main([args[0], "--db", engine.store.uri, *args[1:]])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_publish_publishes_exactly_the_saved_draft(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    auto = rank(engine.store, engine.date)
    items = [auto.alternates[0].insight_id, auto.picks[3].insight_id]
    save_brief(engine.store, engine.date, items=items, editor="ana", expected_version=None)
    code, out, _ = run(engine, capsys, "publish", "--editor", "ben")  # the latest date with insights
    assert code == 0 and out == f"published the brief for {engine.date} as version 2 (2 insight(s))\n"
    published = published_brief(engine.store, engine.date)
    assert [p.insight_id for p in published.picks] == items and published.editor == "ben"
    code, out, _ = run(engine, capsys, "brief", "--date", engine.date)
    assert out == markdown(engine.store, engine.date) and out.count("\n## ") == 2


def test_publish_of_an_unsaved_day_takes_the_automatic_five(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(engine, capsys, "publish", "--date", "20240510")
    assert code == 0 and "version 1 (5 insight(s))" in out
    assert get_brief(engine.store, engine.date)["items"] == [p.insight_id for p in rank(engine.store, engine.date).picks]


@pytest.mark.parametrize("command", ["brief", "publish"])
def test_dates_are_parsed_strictly(engine: Engine, capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, err = run(engine, capsys, command, "--date", "2024-5-10")
    assert (code, out) == (1, "")
    assert err == "Error: Date '2024-5-10' is not YYYY-MM-DD (for example 2026-02-11).\n"
    assert get_brief(engine.store, engine.date) is None


def test_brief_weights_take_a_preset_name(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    novelty = {"quality": 0.0, "corroboration": 0.0, "recency": 0.0, "podcast": 0.0, "novelty": 2.0}
    save_preset(engine.store, "only new", Weights(**novelty))
    code, by_name, _ = run(engine, capsys, "brief", "--weights", "only new")
    _, by_json, _ = run(engine, capsys, "brief", "--weights", str(novelty).replace("'", '"'))
    _, default, _ = run(engine, capsys, "brief")
    assert code == 0 and by_name == by_json != default
    code, _, err = run(engine, capsys, "brief", "--weights", "evening")
    assert code == 1 and err.startswith("Error: No weights preset is named 'evening'. Saved presets: only new.")


def test_an_ampersand_stays_one_in_the_markdown(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    top = rank(engine.store, engine.date).picks[0]
    engine.store.update("feeds", top.feed_id, {"title": "Q&A <b>R&D</b> &amp;"})
    _, out, _ = run(engine, capsys, "brief")
    assert "*Q&A \\<b\\>R&D\\</b\\> \\&amp;*" in out and "&amp;" not in out.replace("\\&amp;", "")
