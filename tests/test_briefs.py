"""The editors' versioned briefs on a real LanceDB store: exact lists, compare-and-set saves, frozen publishing."""

from __future__ import annotations

import multiprocessing
import re
import threading
import traceback
from pathlib import Path

import lancedb
import pyarrow as pa
import pytest

from pipeline.engine import versions
from pipeline.engine.briefs import (
    BRIEF_NOTE,
    assemble_brief,
    brief_history,
    compose_brief,
    get_brief,
    list_briefs,
    publish_brief,
    published_brief,
    save_brief,
)
from pipeline.engine.export import brief as markdown
from pipeline.engine.presets import DEFAULT_PRESET, list_presets, resolve_weights, save_preset
from pipeline.engine.rank import rank
from pipeline.engine.topics import topics
from pipeline.engine.weights import Weights
from pipeline.errors import PodbriefError, StaleBriefError
from pipeline.store import Store
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)

STALE = re.compile(r"changed by someone else at \d\d:\d\d: reload")
RACE_ROUNDS = 25  # two writers, one save or publish each per round: 50 simultaneous changes, then the loser's retry


def auto_ids(engine: Engine) -> list[str]:
    """The automatic top five of the planted day."""
    return [p.insight_id for p in rank(engine.store, engine.date).picks]


def test_a_saved_draft_is_exactly_the_list_in_its_order(engine: Engine) -> None:
    auto = rank(engine.store, engine.date)
    old = "podcasting-000"  # four days before the brief's window, added by hand
    items = [auto.alternates[3].insight_id, old, *[p.insight_id for p in auto.picks][:0:-1]]
    saved = save_brief(engine.store, engine.date, items=items, excludes=[auto.picks[0].insight_id], pins=[old],
                       edits={old: "  Rewritten for readers.  "}, editor="ana", expected_version=None)
    assert [p.insight_id for p in saved.picks] == items and (saved.version, saved.status) == (1, "draft")
    assert [p.insight_id for p in assemble_brief(engine.store, engine.date).picks] == items
    row = get_brief(engine.store, engine.date)
    assert row["items"] == items and row["pins"] == [old] and row["excludes"] == [auto.picks[0].insight_id]
    assert row["edits"] == {old: "Rewritten for readers."} and row["editor"] == "ana" and row["published_at"] is None
    shown = {p.insight_id: p for p in saved.picks}
    assert shown[old].pinned and shown[old].text == "Rewritten for readers." and not shown[items[0]].pinned
    assert auto.picks[0].insight_id not in {p.insight_id for p in saved.alternates}  # excluded stays out

    with pytest.raises(PodbriefError, match="more than once"):
        save_brief(engine.store, engine.date, items=[old, old], editor="ana", expected_version=1)
    with pytest.raises(PodbriefError, match="both in the brief and excluded"):
        save_brief(engine.store, engine.date, items=[old], excludes=[old], editor="ana", expected_version=1)
    with pytest.raises(PodbriefError, match="not in the store"):
        save_brief(engine.store, engine.date, items=["no-such-insight"], editor="ana", expected_version=1)
    assert get_brief(engine.store, engine.date)["version"] == 1  # refused saves store nothing


def test_a_stale_save_is_refused_with_who_and_when_and_loses_nothing(engine: Engine) -> None:
    ids = auto_ids(engine)
    save_brief(engine.store, engine.date, items=ids, editor="ana", expected_version=None)
    with pytest.raises(StaleBriefError, match=STALE) as refused:  # ben opened the page before ana saved
        save_brief(engine.store, engine.date, items=ids[:3], editor="ben", expected_version=None)
    assert (refused.value.version, refused.value.editor) == (1, "ana") and "version 1 by ana" in str(refused.value)
    save_brief(engine.store, engine.date, items=ids[:4], editor="ana", expected_version=1)
    with pytest.raises(StaleBriefError, match=STALE):
        save_brief(engine.store, engine.date, items=ids[:2], editor="ben", expected_version=1)
    with pytest.raises(StaleBriefError, match=STALE):
        publish_brief(engine.store, engine.date, editor="ben", expected_version=1)
    assert [(h["version"], h["editor"], len(h["items"])) for h in brief_history(engine.store, engine.date)] == [
        (2, "ana", 4), (1, "ana", 5)]


def test_publishing_freezes_exactly_what_curate_showed(engine: Engine) -> None:
    ids = auto_ids(engine)
    items = [ids[2], ids[0], ids[4]]
    save_brief(engine.store, engine.date, items=items, edits={ids[0]: "Said better by the editor."}, editor="ana",
               notes={ids[0]: "Listen from 0:12.", BRIEF_NOTE: "Good morning."}, expected_version=None,
               internal_notes={ids[0]: "Check the figure with the host.", BRIEF_NOTE: "Slow news day."})
    preview = markdown(engine.store, engine.date)
    published = publish_brief(engine.store, engine.date, editor="ben")
    assert (published.version, published.status, published.editor) == (2, "published", "ben")
    assert [p.insight_id for p in published.picks] == items
    assert markdown(engine.store, engine.date) == preview
    assert "Slow news day" not in preview and "Check the figure" not in preview

    # Later ingestion re-extracts an episode (new text, an insight gone), renames a show and re-clusters.
    engine.store.update("insights", ids[2], {"text": "Re-extracted text."})
    engine.store.delete("insights", f"insight_id = '{ids[4]}'")
    engine.store.update("feeds", published.picks[0].feed_id, {"title": "Renamed show"})
    topics(engine.store, rebuild=True)
    frozen = published_brief(engine.store, engine.date)
    assert [p.insight_id for p in frozen.picks] == items and frozen.version == 2
    assert frozen.picks[1].text == "Said better by the editor." and frozen.picks[1].note == "Listen from 0:12."
    assert frozen.picks[1].internal_note == "Check the figure with the host." and frozen.note == "Good morning."
    assert markdown(engine.store, engine.date) == preview

    # A draft after publishing is a new version; the published one stays what readers got.
    with pytest.raises(PodbriefError, match="not in the store"):
        save_brief(engine.store, engine.date, items=items, editor="ana", expected_version=2)
    save_brief(engine.store, engine.date, items=items[:2], editor="ana", expected_version=2)
    current = get_brief(engine.store, engine.date)
    assert (current["version"], current["status"], current["published_version"]) == (3, "draft", 2)
    assert [p.insight_id for p in published_brief(engine.store, engine.date).picks] == items
    again = publish_brief(engine.store, engine.date, editor="ana", expected_version=3)
    assert again.version == 4 and [p.insight_id for p in again.picks] == items[:2]
    assert [h["status"] for h in brief_history(engine.store, engine.date)] == ["published", "draft", "published", "draft"]
    assert list_briefs(engine.store)[0] | {"updated_at": None, "published_at": None} == {
        "date": engine.date, "version": 4, "status": "published", "editor": "ana", "picks": 2, "updated_at": None,
        "published_version": 4, "published_at": None}


def test_publishing_an_unsaved_day_publishes_the_automatic_picks_under_the_default_weights(engine: Engine) -> None:
    assert published_brief(engine.store, engine.date) is None
    novelty = Weights(quality=0.0, corroboration=0.0, recency=0.0, podcast=0.0, novelty=2.0)
    save_preset(engine.store, DEFAULT_PRESET, novelty, editor="ana")
    expected = [p.insight_id for p in rank(engine.store, engine.date, weights=novelty).picks]
    assert expected != auto_ids(engine)
    assert [p.insight_id for p in assemble_brief(engine.store, engine.date).picks] == expected
    published = publish_brief(engine.store, engine.date, editor="cli")
    assert [p.insight_id for p in published.picks] == expected and published.version == 1
    with pytest.raises(PodbriefError, match="no insights"):
        publish_brief(engine.store, "2020-01-01", editor="cli")


def test_a_draft_with_an_insight_gone_shows_the_rest_and_names_it(engine: Engine) -> None:
    ids = auto_ids(engine)
    save_brief(engine.store, engine.date, items=ids, editor="ana", expected_version=None)
    engine.store.delete("insights", f"insight_id = '{ids[1]}'")
    shown = assemble_brief(engine.store, engine.date)
    assert [p.insight_id for p in shown.picks] == [ids[0], *ids[2:]] and shown.missing == [ids[1]]
    assert compose_brief(engine.store, engine.date, items=ids).missing == [ids[1]]


def test_presets_by_name_and_json(engine: Engine) -> None:
    save_preset(engine.store, "  morning   news ", Weights(novelty=1.5), editor="ana")
    assert [p["name"] for p in list_presets(engine.store)] == ["morning news"]
    assert resolve_weights(engine.store, "morning news").novelty == 1.5
    assert resolve_weights(engine.store, '{"novelty": 0.5}').novelty == 0.5
    assert resolve_weights(engine.store, DEFAULT_PRESET) == Weights()  # nothing saved: the built-in default
    with pytest.raises(PodbriefError, match=r"No weights preset is named 'evening'\. Saved presets: morning news\."):
        resolve_weights(engine.store, "evening")
    with pytest.raises(PodbriefError, match="1 to 60 characters"):
        save_preset(engine.store, "   ", Weights())


def test_briefs_saved_by_v1_still_read_and_continue_as_version_two(tmp_path: Path) -> None:
    db = lancedb.connect(str(tmp_path))
    v1 = pa.schema([("date", pa.string()), ("insight_ids", pa.list_(pa.string())), ("pins", pa.list_(pa.string())),
                    ("excludes", pa.list_(pa.string())), ("order", pa.list_(pa.string())), ("edits", pa.string()),
                    ("notes", pa.string()), ("weights", pa.string()), ("status", pa.string()), ("editor", pa.string()),
                    ("updated_at", pa.string()), ("published_at", pa.string())])
    db.create_table("briefs", data=pa.Table.from_pylist([{
        "date": "2024-05-09", "insight_ids": ["a", "b"], "pins": ["b"], "excludes": ["c"], "order": ["b", "a"],
        "edits": '{"a": "Edited in v1"}', "notes": '{"_brief": "Hi"}', "weights": '{"novelty": 1.2}',
        "status": "published", "editor": "old", "updated_at": "2024-05-09T08:00:00+00:00",
        "published_at": "2024-05-09T08:00:00+00:00"}], schema=v1))
    store = Store(tmp_path)
    row = get_brief(store, "2024-05-09")
    assert (row["version"], row["status"], row["items"], row["pins"]) == (1, "published", ["a", "b"], ["b"])
    assert row["edits"] == {"a": "Edited in v1"} and row["weights"].novelty == 1.2 and row["notes"] == {"_brief": "Hi"}
    assert row["published_at"] == "2024-05-09T08:00:00+00:00"
    versions._migrated.clear()  # another process starting: copying again changes nothing
    assert len(brief_history(store, "2024-05-09")) == 1


# -- two editors at once ---------------------------------------------------------------------------------------


def _race(store_path: str, date: str, who: str, pool: list[str], start: object, results: object) -> None:
    """One editor: each round, together with the other, read the current version and save, publish a list, or publish.

    A refused change is reloaded and made again, as an editor would. Reports (round, won the first try, version,
    the note and items it sent, or None for a plain publish of whatever was current); an error is reported as
    ("error", traceback) and releases the other editor from the barrier, so the test fails instead of hanging.
    """
    try:
        _race_rounds(Store(store_path), date, who, pool, start, results)
    except BaseException:
        results.put(("error", traceback.format_exc()))
        start.abort()


def _race_rounds(store: Store, date: str, who: str, pool: list[str], start: object, results: object) -> None:
    for n in range(RACE_ROUNDS):
        note = f"{who} change {n}"
        items = [pool[(n + k + (who == "ben")) % len(pool)] for k in range(3)]
        first = True
        while True:
            if first:
                start.wait(timeout=300)  # both editors read the same version and press their button together
            current = get_brief(store, date)
            expected = current["version"] if current else None
            try:
                if n % 3 == 2:
                    saved = publish_brief(store, date, editor=who, expected_version=expected)
                else:
                    saved = save_brief(store, date, items=items, notes={BRIEF_NOTE: note}, editor=who,
                                       expected_version=expected, publish=n % 3 == 1)
            except StaleBriefError:
                first = False
                continue
            results.put((who, n, first, saved.version, None if n % 3 == 2 else (note, items)))
            break


@pytest.mark.parametrize("kind", ["threads", "processes"])
def test_two_editors_racing_lose_no_change_and_only_one_of_two_publishes_wins(engine: Engine, kind: str) -> None:
    pool = [p.insight_id for p in rank(engine.store, engine.date).alternates][:8]
    args = (engine.store.uri, engine.date)
    if kind == "threads":
        import queue

        start, results = threading.Barrier(2), queue.Queue()
        workers = [threading.Thread(target=_race, args=(*args, who, pool, start, results), daemon=True)
                   for who in ("ana", "ben")]
    else:
        context = multiprocessing.get_context("spawn")
        start, results = context.Barrier(2), context.Queue()
        workers = [context.Process(target=_race, args=(*args, who, pool, start, results), daemon=True)
                   for who in ("ana", "ben")]
    for worker in workers:
        worker.start()
    reports: list[tuple] = []
    while len(reports) < 2 * RACE_ROUNDS:
        report = results.get(timeout=300)
        assert report[0] != "error", report[1]
        reports.append(report)
    for worker in workers:
        worker.join(timeout=60)

    history = {h["version"]: h for h in brief_history(engine.store, engine.date)}
    assert sorted(history) == list(range(1, 2 * RACE_ROUNDS + 1))  # every change kept, none twice
    stored = {v["version"]: v for v in versions.versions(engine.store, engine.date)}
    for who, n, _, version, sent in reports:  # each exactly as its editor sent it
        assert history[version]["editor"] == who
        assert history[version]["status"] == ("draft" if n % 3 == 0 else "published")
        if sent is not None:
            assert (stored[version]["notes"][BRIEF_NOTE], stored[version]["insight_ids"]) == sent
    for n in range(RACE_ROUNDS):  # of two simultaneous saves or publishes exactly one went through first time
        assert sorted(first for _, m, first, *_ in reports if m == n) == [False, True]
