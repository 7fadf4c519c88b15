"""The brief's Markdown: structure, timestamp links, related insights, saved edits, and escaping of hostile feed text."""

import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pipeline.engine.briefs import latest_brief_date, save_brief
from pipeline.engine.export import brief, escape, safe_url
from pipeline.engine.rank import rank
from pipeline.errors import PodbriefError
from pipeline.store import Store
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)

HOSTILE_FEED = "[x](javascript:alert(1))"
HOSTILE_EPISODE = "<script>alert(1)</script>"
HOSTILE_TEXT = "![img](https://evil.example/x.png) <img src=x onerror=alert(1)> **bold**"



def _plant_hostile(engine: Engine) -> str:
    """Hostile text on everything the top pick shows; returns that pick's id."""
    pick = rank(engine.store, engine.date).picks[0]
    engine.store.update("feeds", pick.feed_id, {"title": HOSTILE_FEED})
    engine.store.update("episodes", pick.episode_id, {"title": HOSTILE_EPISODE, "link": "javascript:alert(1)",
                                                      "audio_url": "https://media.example.com/a b(1).mp3"})
    engine.store.update("insights", pick.insight_id, {"text": HOSTILE_TEXT})
    return pick.insight_id


def test_markdown_has_title_five_picks_sources_timestamps_and_related(engine: Engine, tmp_path: Path) -> None:
    out = tmp_path / "out" / "brief.md"
    text = brief(engine.store, engine.date, out=out)
    assert out.read_text() == text
    assert text.startswith(f"# Podbrief — {engine.date}\n")
    assert len(re.findall(r"^## \d\\\. ", text, flags=re.MULTILINE)) == 5
    picks = rank(engine.store, engine.date).picks
    for pick in picks:
        assert f"(https://media.example.com/{pick.feed_id}/{pick.episode_id}.mp3#t={int(pick.start_s)})" in text
        assert f"*{pick.feed_title}*" in text
    sections = text.split("\n## ")[1:]
    related_blocks = [s.split("**Related Insights**", 1)[1] for s in sections if "**Related Insights**" in s]
    assert len(related_blocks) >= 3
    for section, pick in zip(sections, picks, strict=True):
        if "**Related Insights**" in section:  # related insights come from other podcasts
            assert f"*{pick.feed_title}*" not in section.split("**Related Insights**", 1)[1]


def test_saved_edits_and_notes_are_used(engine: Engine) -> None:
    ids = [p.insight_id for p in rank(engine.store, engine.date).picks]
    first = ids[0]
    save_brief(engine.store, engine.date, items=ids, edits={first: "Rewritten by the editor."}, editor="ed",
               notes={first: "Worth a listen.", "_brief": "Good morning."}, expected_version=None,
               internal_notes={first: "Only for editors: check the figure.", "_brief": "Internal: slow news day."})
    text = brief(engine.store, engine.date)
    assert "## 1\\. Rewritten by the editor." in text
    assert "*Editor's note:* Worth a listen." in text and "\nGood morning.\n" in text
    assert "Only for editors" not in text and "Internal" not in text  # internal notes never leave the dashboard


def test_hostile_feed_text_cannot_inject_links_images_or_html(engine: Engine) -> None:
    _plant_hostile(engine)
    text = brief(engine.store, engine.date, explain=True)
    live = re.sub(r"\\.", "", text)  # what is left once every backslash-escaped character is taken out
    assert "<script" not in live and "<img" not in live  # "<" only ever appears backslash-escaped
    assert "](javascript" not in live and "![" not in live and "**bold" not in live
    assert escape(HOSTILE_FEED) in text and escape(HOSTILE_EPISODE) in text
    assert "(https://media.example.com/a%20b%281%29.mp3#t=" in text  # the audio link survives, encoded


def test_hostile_markdown_renders_as_plain_text(engine: Engine) -> None:
    _plant_hostile(engine)
    rendered = MarkdownIt("commonmark").render(brief(engine.store, engine.date))
    assert "<script" not in rendered and "<img" not in rendered and 'href="javascript' not in rendered
    assert "&lt;script&gt;" in rendered and "[x](javascript:alert(1))" in rendered


def test_escape_and_safe_url_rules() -> None:
    assert escape("a [b](c) <i>\nnext") == "a \\[b\\](c) \\<i\\> next"
    assert escape("R&D, Q&A & AT&T") == "R&D, Q&A & AT&T"  # an ampersand stays one, not &amp;
    assert escape("&amp; &#60; &#x3C;") == "\\&amp; &\\#60; &\\#x3C;"  # but never forms a character reference
    assert escape("> quoted") == "\\> quoted"
    assert escape("# Not a heading") == "\\# Not a heading" and escape("1999. A year") == "1999\\. A year"
    assert safe_url("javascript:alert(1)") is None and safe_url("data:text/html,x") is None
    assert safe_url("ftp://example.com/a.mp3") is None and safe_url("") is None
    assert safe_url("https://example.com/ep.mp3#old", seconds=61.9) == "https://example.com/ep.mp3#t=61"
    assert safe_url("https://example.com/x).mp3?a=1 2") == "https://example.com/x%29.mp3?a=1%202"
    assert safe_url("https://ana:s3cret@media.example.com/a.mp3") == "https://media.example.com/a.mp3"


def test_empty_store_has_no_brief(tmp_path: Path) -> None:
    with pytest.raises(PodbriefError, match="no insights yet"):
        brief(Store(tmp_path / "empty"))


MARKDOWN_BITS = st.sampled_from([*"ab1 .&#;<>[]()!*_`\\-+=|~$:/\"'{}", "amp", "lt", "#60", "#x3C", "1.", "1)",
                                 "https://x.example", "javascript:"])


@settings(max_examples=500, deadline=None)
@given(st.lists(MARKDOWN_BITS, min_size=1, max_size=20).map("".join))
def test_escaped_text_renders_as_exactly_that_text(text: str) -> None:
    flat = " ".join(text.split())
    if flat:
        shown = html.escape(flat, quote=False).replace('"', "&quot;")
        commonmark = MarkdownIt("commonmark")
        assert commonmark.render(f"## 1\\. {escape(text)}") == f"<h2>1. {shown}</h2>\n"
        assert commonmark.render(escape(text)) == f"<p>{shown}</p>\n"


def test_a_date_from_a_broken_feed_is_no_brief_date(engine: Engine) -> None:
    """A store filled before ingestion clamped feed dates may hold 9999-12-31: it is not the default date, and
    asking for it is refused with a clear error instead of an OverflowError."""
    row = engine.store.rows("insights", columns=["insight_id"])[0]
    engine.store.update("insights", row["insight_id"], {"published": "9999-12-31T00:00:00+00:00"})
    assert latest_brief_date(engine.store) == engine.date
    with pytest.raises(PodbriefError, match="outside the dates a brief can have"):
        brief(engine.store, "9999-12-31")
