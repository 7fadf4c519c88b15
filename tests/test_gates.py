"""Gates on real transcripts: sponsor reads, self-promotion, intros, outros and garbled speech are flagged, never picked."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import Settings, get_settings
from pipeline.engine.rank import rank
from pipeline.ingest.run import ingest
from pipeline.ingest.transcripts import parse_transcript
from pipeline.insights.extract import extract
from pipeline.insights.extractive import extract_extractive
from pipeline.insights.gates import GARBLED, INTRO_FLAG, OUTRO_FLAG, PROMOTION, SPONSOR, EpisodeContext, gate_reasons
from pipeline.insights.sentences import split_sentences
from pipeline.insights.textquality import GARBLED_ABOVE, garble_score
from pipeline.models import Segment, Transcript
from pipeline.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples" / "transcripts"
ASR = "today-in-focus-cyclone-idai.json"  # Amazon Transcribe's own JSON, with each word's confidence
DEFAULT = Settings()
HUMAN_EDITED = ["changelog-news-180.vtt", "founders-talk-97.vtt", "go-time-339.vtt", "practical-ai-101.vtt",
                "ship-it-135.vtt", "buzzsprout-10-things.srt"]


def _transcript(name: str) -> Transcript:
    return parse_transcript((SAMPLES / name).read_bytes(), filename=name)


def _reason_of(name: str, words: str, feed_title: str = "") -> str | None:
    """The gate reason of the sentence of a sample transcript that contains `words`."""
    sentences = split_sentences(_transcript(name))
    reasons = gate_reasons(sentences, EpisodeContext(feed_title=feed_title))
    (found,) = [r for s, r in zip(sentences, reasons, strict=True) if words in s.text]
    return found


@pytest.mark.parametrize(("name", "words", "feed_title", "reason"), [
    ("changelog-news-180.vtt", "AI coding agents are trained on data with a knowledge cutoff", "Changelog News", SPONSOR),
    ("changelog-news-180.vtt", "Sonatype Guide is an MCP server", "Changelog News", SPONSOR),
    ("ship-it-135.vtt", "fafo.fm is the website", "Ship It!", PROMOTION),
    ("go-time-339.vtt", "Welcome to another episode of Go Time", "Go Time", INTRO_FLAG),
    ("practical-ai-101.vtt", "Welcome to another episode of Practical AI", "Practical AI", INTRO_FLAG),
    ("go-time-339.vtt", "drop us a comment on the socials", "Go Time", OUTRO_FLAG),
    ("changelog-news-180.vtt", "leave us a 5-star review", "Changelog News", OUTRO_FLAG),
    # a news host's introduction, as the ASR heard it (without "and this is"), 100 s in, after the cold open
    ("today-in-focus-cyclone-idai.json", "I'm Anoushka Astana today in focus", "", INTRO_FLAG),
])
def test_each_gate_finds_its_passage_in_a_real_episode(name, words, feed_title, reason):
    assert _reason_of(name, words, feed_title) == reason


@pytest.mark.parametrize(("name", "words"), [
    ("founders-talk-97.vtt", "about 1.1 million of those are subscribers"),  # "subscribers" is no call to subscribe
    ("go-time-339.vtt", "the most enormous benefit of Go"),
    ("ship-it-135.vtt", "And for Fork Around and Find Out, we want to cover all of those things"),  # named, not promoted
    ("buzzsprout-10-things.srt", "Joe Rogan has some episodes that are three hours long"),
    ("today-in-focus-cyclone-idai.json", "Two weeks ago, Cyclone E. Di hit Mozambique"),
    ("go-time-339.vtt", "I'm not the biggest fan"),
])
def test_content_is_not_gated(name, words):
    assert _reason_of(name, words) is None


@pytest.mark.parametrize("plug", [
    "So the first of these is with our good friends over at the MLOps community, they're putting on this AI Quality "
    "Conference.",  # Practical AI 270
    "If you're on-prem, upgrade to 3.148. For everyone else, create a free account or login.",  # Changelog News 140
    "Support for this podcast and the following message come from Capella University.",  # a news show's credits
    "This message comes from our sponsor, Mint Mobile.",
])
def test_a_partner_plug_or_a_call_to_create_a_free_account_is_a_sponsor_read(plug):
    sentences = split_sentences(Transcript([Segment(600.0, 610.0, plug, "Daniel")], "publisher", "vtt"))

    assert gate_reasons(sentences)[-1] == SPONSOR


@pytest.mark.parametrize(("said", "reason"), [
    ("From NPR News in Washington, I'm Jane Doe.", INTRO_FLAG),
    ("Hi, I'm Maria Lopez.", INTRO_FLAG),
    ("From the start, I'm convinced that caching matters more than the language you pick.", None),
    ("I'm Not sure it matters, since the cache decides most of the build time.", None),  # one capital is no name
    # thanks to the show's paying members: Changelog News 130
    ("SHOUT OUT to our newest members: Maryam M, Ceri H, Samuel R, Seth H, David J & Marcel B!", PROMOTION),
])
def test_introductions_and_thanks_to_members_are_gated_where_they_are_said(said, reason):
    sentences = split_sentences(Transcript([Segment(600.0, 610.0, said, "Host")], "publisher", "vtt"))

    assert gate_reasons(sentences) == [reason]


@pytest.mark.parametrize(("said", "reason"), [
    # an invitation to share with the show's own audience: Changelog News 170's classifieds
    ("This is a new (and experimental) segment creating opportunity to share your startup, passion project, opinion, "
     "big idea, upcoming event, etc. with your fellow ~25k readers and ~30k listeners.", PROMOTION),
    ("Podcasts with about 30,000 listeners earn most of their money from ads.", None),  # a figure, not our audience
])
def test_what_the_show_says_of_its_own_audience_is_promotion(said, reason):
    talk = "Caching the dependencies first cut our build from twenty minutes to two."
    segments = [Segment(0.0, 10.0, talk, "Host"), Segment(600.0, 610.0, said, "Host"), Segment(1200.0, 1210.0, talk, "Host")]
    sentences = split_sentences(Transcript(segments, "publisher", "vtt"))

    assert set(gate_reasons(sentences)[1:-1]) == {reason}


@pytest.mark.parametrize("said", [
    "We built the scheduler with our partners at the hospital, and it cut the waiting list by half.",
    "Support for Python 3.12 comes with the new release, and most of the stack already runs on it.",
])
def test_a_guest_naming_their_business_partners_or_a_release_is_not_a_sponsor_read(said):
    sentences = split_sentences(Transcript([Segment(600.0, 610.0, said, "Guest")], "publisher", "vtt"))

    assert gate_reasons(sentences) == [None]


def test_the_show_listeners_are_asked_to_subscribe_to_is_promotion_wherever_it_is_plugged():
    filler = [f"Kubernetes clusters at the edge need {n} careful upgrade plans and a rollback path." for n in range(30)]
    lines = [*filler[:15], "If you haven't subscribed to Fork Around and Find Out yet, we'd love that.",
             *filler[15:20], "Come over to Fork Around and Find Out for the updates on where we will be.",
             "And for Fork Around and Find Out, we want to cover how anyone runs software.", *filler[20:]]
    transcript = Transcript([Segment(20.0 * i, 20.0 * i + 19, text, "Host") for i, text in enumerate(lines)],
                            "publisher", "vtt")
    sentences = split_sentences(transcript)

    reasons = {s.text: r for s, r in zip(sentences, gate_reasons(sentences), strict=True)}

    assert reasons[lines[15]] == reasons[lines[21]] == PROMOTION
    assert reasons[lines[22]] is None  # the show named, not plugged


def test_a_real_sponsor_read_is_flagged_with_its_reason_and_never_picked():
    insights = extract_extractive(_transcript("changelog-news-180.vtt"), settings=DEFAULT)

    flagged = [i for i in insights if i.flags]
    assert any("Sonatype" in i.quote for i in flagged)
    assert all(i.flags == (SPONSOR,) for i in flagged if "Sonatype" in i.quote)
    assert not [i for i in insights if not i.flags and ("Sonatype" in i.quote or "knowledge cutoff" in i.quote)]


def _asr_transcript(with_confidence: bool = True) -> Transcript:
    transcript = _transcript(ASR)
    assert all(s.confidence is not None for s in transcript.segments)
    return transcript if with_confidence else replace(
        transcript, segments=[replace(s, confidence=None) for s in transcript.segments])


def test_garbled_speech_recognition_is_flagged_when_the_asr_was_unsure():
    insights = extract_extractive(_asr_transcript(), settings=DEFAULT)

    garbled = [i for i in insights if i.flags == (GARBLED,)]
    assert garbled
    for insight in insights:
        if "bits of standing water" in insight.quote or "lot of truce" in insight.quote:
            assert insight.flags == (GARBLED,), insight.quote
    assert [i for i in insights if not i.flags], "the clearly heard passages are still insights"


def test_without_confidence_the_same_asr_text_is_judged_by_its_words_alone():
    # Modern ASR mishears into real words, so the words alone rarely show it: nothing is flagged garbled here,
    # which is why the gate reads confidence when the ASR gives it.
    insights = extract_extractive(_asr_transcript(with_confidence=False), settings=DEFAULT)

    assert not [i for i in insights if GARBLED in i.flags]


@pytest.mark.parametrize("name", HUMAN_EDITED)
def test_human_edited_transcripts_are_never_flagged_as_garbled(name):
    insights = extract_extractive(_transcript(name), settings=DEFAULT)

    assert not [i for i in insights if GARBLED in i.flags]


@pytest.mark.parametrize(("text", "garbled"), [
    ("But you know, maybe in one hundred metres of of muddy water tryingto live atyou above the the standing water.",
     True),
    ("Everybody I know who deploys it at scale ends up running into massive, massive problems.", False),
    ("Kubernetes runtimes and backend frameworks are the roadmap for monetization of our notebooks.", False),
])
def test_the_text_score_catches_run_together_words_stutters_and_odd_capitals(text, garbled):
    assert (garble_score(text) > GARBLED_ABOVE) is garbled


def test_an_episode_too_short_for_an_insight_says_so():
    clip = Transcript([Segment(0.0, 11.0, "And so, my fellow Americans, ask not what your country can do for you, "
                                         "ask what you can do for your country.")], "asr", "tiny.en")

    result = extract(clip, settings=DEFAULT)

    assert result.insights == []
    assert result.note == ("The transcript is 11 seconds long (22 words): too short for an insight, which needs a few "
                           "sentences that make a point.")


def test_flagged_insights_are_stored_with_their_reason_and_never_reach_the_brief(tmp_path: Path):
    (tmp_path / "news.vtt").write_bytes((SAMPLES / "changelog-news-180.vtt").read_bytes())
    feed = tmp_path / "news.xml"
    feed.write_text(
        "<rss xmlns:podcast='https://podcastindex.org/namespace/1.0'><channel><title>Changelog News</title><item>"
        "<guid>news-180</guid><title>Vouch, a C compiler by agents, and replacing developers</title>"
        "<pubDate>Mon, 09 Feb 2026 10:00:00 +0000</pubDate>"
        "<podcast:transcript url='news.vtt' type='text/vtt'/></item></channel></rss>")
    settings = get_settings(podbrief_db=str(tmp_path / "db"))
    store = Store(settings.podbrief_db)

    ingest(store, feeds=[str(feed)], settings=settings)

    rows = store.rows("insights", columns=["insight_id", "text", "quote", "flags"])
    flagged = {r["insight_id"]: r["flags"] for r in rows if r["flags"]}
    assert SPONSOR in {f for flags in flagged.values() for f in flags}
    brief = rank(store, "2026-02-09", settings=settings)
    assert brief.picks and not {p.insight_id for p in brief.picks + brief.alternates} & set(flagged)


def test_extract_prints_every_insight_best_first_and_the_flagged_ones_only_when_asked(capsys):
    path = str(SAMPLES / "changelog-news-180.vtt")

    assert main(["extract", path, "--json", "--title", "Vouch, a C compiler by agents, and replacing developers"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert main(["extract", path, "--json", "--flagged"]) == 0
    everything = json.loads(capsys.readouterr().out)

    assert shown and all(not i["flags"] for i in shown)
    assert [i["score"] for i in shown] == sorted((i["score"] for i in shown), reverse=True)
    assert {tuple(i["flags"]) for i in everything} > {()} and SPONSOR in {f for i in everything for f in i["flags"]}
    assert main(["extract", path, "--flagged"]) == 0
    assert "[flagged: sponsor read]" in capsys.readouterr().out
