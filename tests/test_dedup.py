"""One insight once: a syndicated copy or a re-run of an episode adds "also on" to the stored insights, not copies."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pipeline.config import get_settings
from pipeline.engine.related import related
from pipeline.ingest.run import ingest
from pipeline.insights.dedup import SAME_VECTOR, episodes_also_on
from pipeline.insights.embed import embed
from pipeline.store import Store, sql_eq

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "transcripts"
NEWS = SAMPLES / "changelog-news-180.vtt"


def _feed(folder: Path, name: str, title: str, items: list[tuple[str, str, str]]) -> Path:
    """A local RSS feed whose items (guid, title, transcript file) link transcripts beside it."""
    body = "".join(f"<item><guid>{guid}</guid><title>{t}</title><pubDate>Mon, 09 Feb 2026 10:00:00 +0000</pubDate>"
                   f"<podcast:transcript url='{file}' type='text/vtt'/></item>" for guid, t, file in items)
    path = folder / f"{name}.xml"
    path.write_text(f"<rss xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel><title>{title}</title>"
                    f"{body}</channel></rss>")
    return path


def _syndicated(vtt: str) -> str:
    """The same episode as a partner republishes it: 30 s later (its own intro first) and without commas."""
    def later(m: re.Match) -> str:
        h, mnt, sec = m.group(1).split(":")
        total = int(h) * 3600 + int(mnt) * 60 + float(sec) + 30
        return f"{int(total // 3600):02d}:{int(total % 3600 // 60):02d}:{total % 60:06.3f}"
    lines = [re.sub(r"(\d\d:\d\d:\d\d\.\d\d\d)", later, line) if "-->" in line else line.replace(",", "")
             for line in vtt.splitlines()]
    return "\n".join(lines)


def _insights(store: Store, episode_id: str) -> list[dict]:
    return store.rows("insights", sql_eq("episode_id", episode_id), columns=["insight_id", "quote", "also_on", "flags"])


def test_a_syndicated_copy_and_a_rerun_are_stored_once_with_also_on(tmp_path: Path):
    (tmp_path / "news.vtt").write_bytes(NEWS.read_bytes())
    (tmp_path / "copy.vtt").write_text(_syndicated(NEWS.read_text()))
    original = _feed(tmp_path, "original", "Changelog News", [("news-180", "Changelog News 180", "news.vtt")])
    partner = _feed(tmp_path, "partner", "Dev News Daily", [("dnd-1", "Today's dev news", "copy.vtt")])
    settings = get_settings(podbrief_db=str(tmp_path / "db"))
    store = Store(settings.podbrief_db)

    ingest(store, feeds=[str(original)], settings=settings)
    first = {e["title"]: e["episode_id"] for e in store.rows("episodes")}["Changelog News 180"]
    stored = _insights(store, first)
    ingest(store, feeds=[str(partner)], settings=settings)
    copy = {e["title"]: e["episode_id"] for e in store.rows("episodes")}["Today's dev news"]

    assert stored and _insights(store, copy) == []
    kept = _insights(store, first)
    assert {r["insight_id"] for r in kept} == {r["insight_id"] for r in stored}
    unflagged = [r for r in kept if not r["flags"]]
    assert unflagged and all(r["also_on"] == [copy] for r in unflagged)
    assert episodes_also_on(store, unflagged[0]) == [
        {"episode_id": copy, "episode_title": "Today's dev news", "podcast": "Dev News Daily"}]
    assert store.rows("episodes", sql_eq("episode_id", copy))[0]["status"] == "extracted"
    for row in unflagged:
        assert all(r["episode_id"] != copy for r in related(store, row["insight_id"], threshold=0.0))

    ingest(store, feeds=[str(partner)], settings=settings)  # polling again changes nothing
    assert [r["also_on"] for r in _insights(store, first)] == [r["also_on"] for r in kept]

    _feed(tmp_path, "original", "Changelog News", [("news-180", "Changelog News 180", "news.vtt"),
                                                   ("news-180-rerun", "Encore: Changelog News 180", "news.vtt")])
    ingest(store, feeds=[str(original)], settings=settings)
    rerun = {e["title"]: e["episode_id"] for e in store.rows("episodes")}["Encore: Changelog News 180"]
    assert _insights(store, rerun) == []
    assert all(r["also_on"] == [copy, rerun] for r in _insights(store, first) if not r["flags"])


def test_different_insights_are_never_merged():
    texts = ["Over nearly 2,000 Claude Code sessions and $20,000 in API costs, the agent team produced a "
             "100,000-line compiler that can build Linux 6.9.",
             "Unvouched users can't contribute to your projects; very bad users can be explicitly denounced.",
             "Every advancement has not reduced the need for developers, but increased it."]
    vectors = embed(texts)

    similarity = vectors @ vectors.T
    assert (similarity[~np.eye(len(texts), dtype=bool)] < SAME_VECTOR).all()
