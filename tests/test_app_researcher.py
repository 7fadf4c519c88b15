"""The researcher's pages under AppTest on the seeded store: Search filters, highlights, pages, plays and exports;
Explore's colours, trends, insight detail, and editors' renames and merges that survive re-clustering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from pipeline.engine.export import NO_RELATED
from pipeline.engine.topic_views import topic_list
from pipeline.store import open_store
from tests.app_fixtures import ROOT, run_pipeline
from tests.test_app import assert_clean, click, open_app
from ui import tables

JFK = "ask what you can do for your country"


def search(at, query: str):
    st.cache_data.clear()  # AppTest sessions share the process's caches; these tests change the store under them
    at.text_input(key="search_query").input(query).run()
    assert_clean(at)
    return at


def badges(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith((":blue-badge[insight]", ":gray-badge[transcript]"))]


def result_caption(at) -> str:
    return next(c.value for c in at.caption if "result(s) for" in c.value)


# -- Search ----------------------------------------------------------------------------------------------------


def test_search_highlights_pages_and_filters(app_db: Path) -> None:
    at = search(open_app("search"), "open source")
    first_page = badges(at)
    assert len(first_page) == 20 and "page 1 of" in result_caption(at)
    assert any(":orange-background[open] :orange-background[source]" in b for b in first_page)
    click(at, "Next")
    assert "page 2 of" in result_caption(at) and badges(at) != first_page
    at.selectbox(key="search_show").set_value("Transcript passages").run()
    assert "page 1 of" in result_caption(at)  # a new filter starts again at the first page
    assert badges(at) and all(b.startswith(":gray-badge[transcript]") for b in badges(at))
    store = open_store(str(app_db))
    feed = next(f for f in store.rows("feeds") if f["title"] == "Founders Talk")
    at.selectbox(key="search_show").set_value("Insights and passages")
    at.multiselect(key="search_podcasts").set_value([feed["feed_id"]]).run()
    captions = [c.value for c in at.caption if "matched by" in c.value]
    assert captions and all("*Founders Talk*" in c for c in captions)
    insight_id = store.rows("insights", "text LIKE '%open source%'", columns=["insight_id"])[0]["insight_id"]
    topic = store.topic_ids_of([insight_id])[insight_id]
    at.multiselect(key="search_podcasts").set_value([])
    at.multiselect(key="search_topics").set_value([topic]).run()
    assert badges(at) and all(b.startswith(":blue-badge[insight]") for b in badges(at))


def test_search_says_no_close_match_instead_of_noise(app_db: Path) -> None:
    at = search(open_app("search"), "income tax deadline")
    assert any("No close match" in i.value for i in at.info) and not badges(at)


def test_search_speaker_episode_link_and_related_without_numbers(app_db: Path) -> None:
    at = search(open_app("search"), "open source")
    caption = next(c.value for c in at.caption if "matched by" in c.value)
    assert caption.startswith("**") and "](https://changelog.com/" in caption  # the speaker, and the episode's page
    at.button(key="hit_0").click().run()
    assert_clean(at)
    shown = " ".join([*(m.value for m in at.markdown), *(c.value for c in at.caption)])
    assert "similarity" not in shown
    assert NO_RELATED in shown or len([s for s in at.subheader if s.value.startswith("Related")]) == 1


def test_play_from_here_opens_the_audio_at_the_timestamp_only_for_safe_sources(app_db: Path, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    at = search(open_app("search"), JFK)
    segment = next(n for n, b in enumerate(badges(at)) if b.startswith(":gray-badge[transcript]"))
    at.button(key=f"hit_{segment}").click().run()
    # The demo's clip is a local file outside the audio folder: it is never handed to st.audio.
    assert not at.get("audio") and any("can't be played here" in c.value for c in at.caption)

    audio_dir = tmp_path / "audio"  # the same clip kept in the store's audio folder plays
    audio_dir.mkdir()
    shutil.copy(ROOT / "data" / "samples" / "audio" / "jfk.flac", audio_dir / "jfk.flac")
    monkeypatch.setenv("PODBRIEF_AUDIO_DIR", str(audio_dir))
    store = open_store(str(app_db))
    store.update_where("episodes", "audio_url LIKE '%jfk.flac'", {"audio_url": (audio_dir / "jfk.flac").as_uri()})
    at = search(open_app("search"), JFK)
    at.button(key=f"hit_{segment}").click().run()
    play = next(b for b in at.button if b.label.startswith("Play from"))
    start = play.label.removeprefix("Play from ")
    play.click().run()
    audio = at.get("audio")[0].proto
    assert audio.start_time == int(start.split(":")[0]) * 60 + int(start.split(":")[1])
    assert "/media/" in audio.url and audio.url.endswith(".flac")  # served by Streamlit from the audio folder

    store.update_where("episodes", "audio_url LIKE '%jfk.flac'", {"audio_url": "https://media.example.com/jfk.mp3"})
    at = search(open_app("search"), JFK)
    at.button(key=f"hit_{segment}").click().run()
    next(b for b in at.button if b.label.startswith("Play from")).click().run()
    assert at.get("audio")[0].proto.url == "https://media.example.com/jfk.mp3"  # the browser fetches it, not the server


def test_exports_are_spreadsheet_safe_and_complete() -> None:
    hits = pd.DataFrame([{"text": "=HYPERLINK(\"http://evil\")", "speaker": "Ann", "podcast": "Show", "episode": "Ep 1",
                          "published": "2026-02-10T10:00:00+00:00", "start_s": 65.0, "topic": "Open source",
                          "audio_url": "https://media.example.com/a.mp3", "episode_link": "https://example.com/ep1"}])
    frame = tables.export_frame(hits)
    assert frame.iloc[0].to_dict() == {
        "insight": "=HYPERLINK(\"http://evil\")", "speaker": "Ann", "podcast": "Show", "episode": "Ep 1",
        "published": "2026-02-10", "at": "1:05", "topic": "Open source", "listen": "https://media.example.com/a.mp3#t=65",
        "episode_page": "https://example.com/ep1"}
    assert tables.spreadsheet_safe(frame).iloc[0]["insight"].startswith("'=")
    assert json.loads(frame.to_json(orient="records"))[0]["insight"].startswith("=")  # JSON keeps the text as it is


def test_highlight_escapes_feed_text_and_marks_only_words() -> None:
    shown = tables.highlight("<img src=x onerror=alert(1)> **Open** sources [x](javascript:y) $5", "open source")
    assert "\\<img" in shown and "<img" not in shown.replace("\\<img", "") and "\\[x\\]" in shown and "\\$5" in shown
    assert ":orange-background[Open]" in shown and ":orange-background[sources]" in shown
    assert tables.highlight("a ] b", "b") == "a \\] :orange-background[b]"


# -- Explore ---------------------------------------------------------------------------------------------------



def test_explore_uses_one_colour_per_topic_with_legends_and_zero_filled_counts(app_db: Path) -> None:
    at = open_app("explore")
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    map_colours = {t["name"]: t["marker"]["color"] for t in figures[0]["data"]}
    bars = [t for t in figures[1]["data"] if t["type"] == "bar"]
    assert len(map_colours) == len(open_store(str(app_db)).rows("topics"))  # a legend entry per topic
    assert bars and all(map_colours[t["name"]] == t["marker"]["color"] for t in bars)
    assert len(set(map_colours.values())) == len(map_colours)
    assert "Week" in at.selectbox[0].options[0] or at.selectbox[0].value == "auto"
    totals = next(t for t in figures[1]["data"] if t["type"] == "scatter")
    assert totals["mode"] == "text"  # each period's count over its bar


def test_explore_opens_an_insight_with_play_and_related(app_db: Path) -> None:
    at = open_app("explore")
    at.session_state["topic_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.session_state["topic_insights_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert_clean(at)
    subheaders = [s.value for s in at.subheader]
    assert "Insight" in subheaders and "Related insights from other podcasts" in subheaders
    assert [b.label for b in at.get("download_button")][:2] == ["Download CSV", "Download JSON"]
    assert "similarity" not in " ".join(c.value for c in at.caption)


def test_explore_shows_why_an_insight_is_held_back_from_briefs(app_db: Path) -> None:
    store = open_store(str(app_db))
    held_back = [r for r in store.rows("insights", columns=["insight_id", "flags"]) if r["flags"]]  # sponsor reads, ...
    topic_ids = store.topic_ids_of([r["insight_id"] for r in held_back])
    assert set(topic_ids) == {r["insight_id"] for r in held_back}  # each in its topic, whenever it was ingested
    flagged = held_back[0]
    topic_id = topic_ids[flagged["insight_id"]]
    at = open_app("explore")
    row = [t["topic_id"] for t in topic_list(store)].index(topic_id)
    at.session_state["topic_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    listed = next(d.value for d in at.dataframe if "held_back" in d.value)
    at.session_state["explore_insight_id"] = flagged["insight_id"]
    at.run()

    assert_clean(at)
    held = dict(zip(listed["insight_id"], listed["held_back"], strict=True))
    assert held[flagged["insight_id"]] == ", ".join(flagged["flags"]) and "" in held.values()  # and the rest may be picked
    assert [w.value for w in at.warning if w.value.startswith(f"Held back from briefs: {flagged['flags'][0]}")]


def test_an_editor_renames_and_merges_topics_and_both_survive_reclustering(app_db: Path) -> None:
    at = open_app("explore")
    store = open_store(str(app_db))
    first, second = at.dataframe[0].value["topic_id"].tolist()[:2]
    at.selectbox(key="rename_topic_id").set_value(first)
    at.text_input(key="rename_topic_name").input("Open source business")
    at.button(key="FormSubmitter:rename_topic-Rename").click().run()
    assert_clean(at)
    assert any("Renamed the topic to “Open source business”" in s.value for s in at.success)
    table = at.dataframe[0].value
    assert table.loc[table["topic_id"] == first, "label"].item() == "Open source business"
    assert table.loc[table["topic_id"] == first, "named_by"].item() == "an editor"
    at.selectbox(key="merge_keep").set_value(first)
    at.selectbox(key="merge_other").set_value(second)
    at.button(key="FormSubmitter:merge_topics-Merge").click().run()
    assert_clean(at)
    assert store.count("topics", f"topic_id = '{second}'") == 0

    run_pipeline(app_db, "topics", "--rebuild")
    at = open_app("explore")
    table = at.dataframe[0].value
    assert table.loc[table["topic_id"] == first, "label"].item() == "Open source business"
    assert second not in table["topic_id"].tolist()


def test_renaming_topics_needs_an_editor_when_a_password_is_set(app_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR_PASSWORD", "s3cret")
    at = open_app("explore", editor=None)
    assert not any(b.label == "Rename" for b in at.button)
    assert any("Sign in as an editor to rename or merge topics" in i.value for i in at.info)
