"""The offline extractive extractor on the bundled real transcripts, and the sentence splitting under it."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from itertools import accumulate, pairwise
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.ingest.transcripts import parse_transcript
from pipeline.insights.extractive import EXTRACTOR, MAX_OVERLAP, _leans_back, _passages, extract_extractive
from pipeline.insights.features import UNRESOLVED_COST, lead_penalty, score_sentences, unresolved_cost
from pipeline.insights.gates import EpisodeContext, gate_reasons
from pipeline.insights.sentences import Sentence, clean_text, split_sentences
from pipeline.models import Segment, Transcript

ROOT = Path(__file__).resolve().parent.parent
EXCLUDED = json.loads((ROOT / "tests" / "fixtures" / "transcripts" / "excluded_passages.json").read_text())["transcripts"]
BUZZSPROUT = "tests/fixtures/transcripts/pc20ns_buzzsprout_10things.srt"
DEFAULT = Settings()
GREEDY = Settings(podbrief_insights_per_min=1.0, podbrief_insights_min=10, podbrief_insights_max=60)  # asks for many
FILLERS = re.compile(r"\b(?:um|uh|erm)\b", re.I)
WORD = re.compile(r"[a-z][a-z']+")

_cache: dict[str, Transcript] = {}


def _transcript(path: str) -> Transcript:
    if path not in _cache:
        _cache[path] = parse_transcript((ROOT / path).read_bytes(), filename=path)
    return _cache[path]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _sentence_count(text: str) -> int:
    return len(split_sentences(Transcript([Segment(0.0, 1.0, text)], "publisher", "text")))


def _excluded_spans(path: str, text: str) -> list[tuple[int, int, str]]:
    spans = []
    for passage in EXCLUDED[path]:
        start = text.find(passage["from"])
        end = text.find(passage["to"], start)
        assert start >= 0 and end >= 0, f"fixture passage not found in {path}: {passage}"
        spans.append((start, end + len(passage["to"]), passage["kind"]))
    return spans


@pytest.mark.parametrize("path", sorted(EXCLUDED))
def test_insights_are_real_trimmed_sentences_inside_the_episode(path):
    transcript = _transcript(path)
    text = _flat(transcript.text)

    insights = [i for i in extract_extractive(transcript, settings=DEFAULT) if not i.flags]

    assert 1 <= len(insights) <= DEFAULT.insights_wanted(transcript.duration_s)
    for insight in insights:
        assert insight.extractor == EXTRACTOR == "extractive"
        assert 0.0 <= insight.score <= 1.0
        assert 1 <= _sentence_count(insight.quote) <= 3, insight.quote
        assert 1 <= _sentence_count(insight.text) <= 3, insight.text
        assert insight.quote in text
        assert 0.0 <= insight.start_s < insight.end_s <= transcript.duration_s
        assert not FILLERS.search(insight.text), insight.text
        assert len(insight.text) <= len(insight.quote) + _sentence_count(insight.text)  # + an end mark a sentence lacked
    assert [i.start_s for i in insights] == sorted(i.start_s for i in insights)


@pytest.mark.parametrize("settings", [DEFAULT, GREEDY], ids=["default", "greedy"])
@pytest.mark.parametrize("path", sorted(EXCLUDED))
def test_never_picks_sponsor_reads_intros_outros_or_banter(path, settings):
    transcript = _transcript(path)
    text = _flat(transcript.text)
    spans = _excluded_spans(path, text)

    for insight in extract_extractive(transcript, settings=settings):
        if insight.flags:
            continue  # held back with its reason, never picked (tests/test_gates.py)
        at = text.find(insight.quote)
        for start, end, kind in spans:
            assert not (at < end and at + len(insight.quote) > start), f"picked from the {kind}: {insight.quote}"


@pytest.mark.parametrize("path", sorted(EXCLUDED))
def test_no_two_insights_say_the_same_thing(path):
    insights = extract_extractive(_transcript(path), settings=GREEDY)

    words = [set(WORD.findall(i.text.lower())) - {"the", "and", "that", "you", "for", "this", "with"} for i in insights]
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            assert len(a & b) / len(a | b) <= max(MAX_OVERLAP, 0.5)


def test_an_insight_reads_as_at_most_three_sentences_where_the_splitter_sees_fewer():
    said = ("The goal of a design document is to convince the reader the design is optimal given the situation. Grant lays "
            "out your goal when writing, how to organize it, editing, and more. Then, he drops a bunch of nice tips he's "
            "learned over the years: use short paragraphs, use an appendix, etc. Useful stuff!")  # Changelog News #130
    segments = [Segment(0.0, 600.0, "Welcome to the show.", "Host"), Segment(600.0, 620.0, said, "Jerod Santo"),
                Segment(700.0, 1300.0, "Thanks for listening.", "Host")]

    insights = [i for i in extract_extractive(Transcript(segments, "publisher", "vtt"), settings=GREEDY) if not i.flags]

    assert [i.text for i in insights] == [said[:said.index(" Then,")]]  # "etc. Useful stuff!" is two to a reader


def test_long_episodes_get_at_most_fifteen_insights():
    transcript = _transcript("data/samples/transcripts/go-time-339.vtt")  # an hour
    insights = [i for i in extract_extractive(transcript, settings=DEFAULT) if not i.flags]

    assert len(insights) == DEFAULT.insights_wanted(transcript.duration_s) == 15


def test_count_scales_with_length_within_bounds():
    assert [DEFAULT.insights_wanted(minutes * 60) for minutes in (1, 7.6, 24, 30, 180)] == [10, 10, 12, 15, 15]
    tight = Settings(podbrief_insights_per_min=0.5, podbrief_insights_min=6, podbrief_insights_max=4)
    assert [tight.insights_wanted(minutes * 60) for minutes in (1, 4, 60)] == [4, 4, 4]  # the floor stays under the cap


def test_extraction_is_deterministic():
    transcript = _transcript("data/samples/transcripts/practical-ai-101.vtt")

    assert extract_extractive(transcript, settings=DEFAULT) == extract_extractive(transcript, settings=DEFAULT)


def test_a_sponsor_read_dropped_into_an_unseen_episode_is_never_picked():
    # A generic mid-roll ad, spliced into the Buzzsprout episode between two of its cues.
    ad = ("This episode is brought to you by Acme Cloud. Acme Cloud gives your team managed databases that scale "
          "automatically, with backups every five minutes and zero downtime upgrades. Over 40,000 companies trust "
          "Acme Cloud with their production data. Head over to acmecloud.com/podcast and use code PODCAST for 20% "
          "off your first three months.")
    transcript = _transcript(BUZZSPROUT)
    middle = len(transcript.segments) // 2
    at = transcript.segments[middle].start_s
    shifted = [replace(s, start_s=s.start_s + 30, end_s=s.end_s + 30) for s in transcript.segments[middle:]]
    spliced = replace(transcript, segments=[*transcript.segments[:middle], Segment(at, at + 30, ad, "Host"), *shifted])

    insights = extract_extractive(spliced, settings=GREEDY)

    picked = [i for i in insights if not i.flags]
    assert picked
    assert not [i for i in picked if "Acme" in i.quote or (i.start_s >= at and i.end_s <= at + 30)]
    assert [i.flags for i in insights if "Acme" in i.quote] == [("sponsor read",)]


def test_unpunctuated_asr_text_is_cut_where_its_sentences_end_and_still_yields_insights():
    transcript = _transcript(BUZZSPROUT)  # another show than the boundary model was trained on
    flat = [replace(s, text=re.sub(r"[.,!?;:]", "", s.text).lower()) for s in transcript.segments]
    unpunctuated = replace(transcript, segments=flat)

    sentences = split_sentences(unpunctuated)
    insights = extract_extractive(unpunctuated, settings=DEFAULT)

    truth, cuts = _sentence_ends(split_sentences(transcript)), _sentence_ends(sentences)
    assert len(truth & cuts) >= 0.5 * len(cuts) and len(truth & cuts) >= 0.4 * len(truth)  # cues: 0.21 and 0.13
    assert max(len(s.text.split()) for s in sentences) <= 80
    assert insights and all(i.quote in _flat(unpunctuated.text) for i in insights)


def _sentence_ends(sentences: list[Sentence]) -> set[int]:
    """Where sentences end, counted in words from the start of the transcript."""
    return set(accumulate(len(s.text.split()) for s in sentences))


def test_a_lower_cased_asr_transcript_reads_as_the_cased_one():
    transcript = _transcript(BUZZSPROUT)
    lowered = replace(transcript, segments=[replace(s, text=s.text.lower()) for s in transcript.segments])

    cased, uncased = split_sentences(transcript), split_sentences(lowered)
    insights = extract_extractive(lowered, settings=DEFAULT)

    assert [s.text.lower() for s in cased] == [s.text for s in uncased]  # split at its periods, though no capital follows
    same = {i.start_s for i in insights} & {i.start_s for i in extract_extractive(transcript, settings=DEFAULT)}
    assert len(same) >= 0.8 * len(insights)  # the weakest may differ: lower case hides which words are names
    assert all(i.text[0].isupper() and 1 <= _sentence_count(i.text) <= 3 for i in insights)
    assert any(re.search(r"\bI\b", i.text) for i in insights) and not any(re.search(r"\bi\b", i.text) for i in insights)


def test_captions_in_capitals_read_as_the_lower_cased_ones():
    """Broadcast captions shout: read as written, every word is a name and every "THE" a misheard fragment, so the
    Buzzsprout captions in capitals gave no insight at all (three passages held back as garbled)."""
    transcript = _transcript(BUZZSPROUT)
    shouted = parse_transcript((ROOT / BUZZSPROUT).read_text().upper(), fmt="srt")
    lowered = replace(transcript, segments=[replace(s, text=s.text.lower()) for s in transcript.segments])

    insights = extract_extractive(shouted, settings=DEFAULT)

    assert {s.speaker for s in shouted.segments} == {"Travis", "Sarah", "Gilon"}
    assert [(i.text, i.flags) for i in insights] == [(i.text, i.flags) for i in extract_extractive(lowered,
                                                                                                   settings=DEFAULT)]
    assert len([i for i in insights if not i.flags]) >= 5 and not any(i.text.isupper() for i in insights)

def test_empty_transcript_gives_no_insights():
    assert extract_extractive(Transcript([], "publisher", "vtt"), settings=DEFAULT) == []


def test_sentences_span_cues_and_keep_their_times():
    sentences = split_sentences(_transcript(BUZZSPROUT))

    first = sentences[0]
    assert first.text.startswith("When you first get started") and first.text.endswith("make all the mistakes.")
    assert first.start_s == pytest.approx(0.179) and 7.98 <= first.end_s <= 13.109  # ends inside the fourth cue
    assert all(a.start_s <= a.end_s <= b.start_s + 0.5 for a, b in pairwise(sentences))
    assert {s.speaker for s in sentences} == {"Travis", "Sarah", "Gilon"}


def test_headline_cues_do_not_run_into_the_next_sentence():
    sentences = split_sentences(_transcript("data/samples/transcripts/changelog-news-180.vtt"))

    assert "Vouch for an open source web of trust" in [s.text for s in sentences]
    assert any(s.text.endswith("RISC-V.") for s in sentences)  # a capital letter before a period is no initial


def test_a_linked_headline_is_a_sentence_of_its_own_and_the_passage_it_heads_opens_on_it():
    lines = ["[The software engineering \"squeeze\"](https://newsletter.manager.dev/p/the-software-engineering-squeeze)",
             "Software Engineers have had it easy for many years, but the times certainly are a changin'. Anton Zaides "
             "is optimistic about the engineers who skill up."]  # Changelog News 150
    sentences = split_sentences(Transcript([Segment(10.0 * i, 10.0 * i + 9, text, "Jerod") for i, text in
                                            enumerate(lines)], "publisher", "vtt"))
    scored = score_sentences(sentences, [None] * len(sentences), EpisodeContext())

    assert [s.text for s in sentences][:2] == [lines[0], "Software Engineers have had it easy for many years, but the "
                                               "times certainly are a changin'."]
    assert sentences[0].is_headline and not sentences[1].is_headline
    assert lead_penalty(scored, 0) < 0 == lead_penalty(scored, 1)  # it names the story that follows


def test_a_linked_headline_is_a_sentence_of_its_own_whatever_comes_before_it():
    lines = ["Fork the codebase and add skills to adapt it to your needs instead.", "*See also: [nanobot](https://x.y/n)*",
             "[Stop generating, start thinking](https://localghost.dev/blog/stop-generating-start-thinking/)",
             "Sophie Koonin explains why she's unsettled by so many people going so hard on LLM-generated code."]  # News 180
    sentences = split_sentences(Transcript([Segment(10.0 * i, 10.0 * i + 9, text) for i, text in enumerate(lines)],
                                           "publisher", "vtt"))

    assert [s.text for s in sentences] == lines  # the headline opened on "[": it ran into the line before and after
    quoted = ['> "defaults are the most powerful force in technology"',  # News 150: a quote, then the next story
              "[Coding agents are already commoditized](https://www.seangoedecke.com/ai-agents-are-commoditized/)",
              "Sean Goedecke says it's a tough market to sell a better AI coding agent in.",
              "[2026: the great engineering divergence](https://x.com/pauldix/status/2006423514446749965)",  # News 175
              "Here's InfluxDB CTO, Paul Dix:"]
    sentences = split_sentences(Transcript([Segment(10.0 * i, 10.0 * i + 9, text) for i, text in enumerate(quoted)],
                                           "publisher", "vtt"))
    assert [s.text for s in sentences] == quoted
    assert [s.is_headline for s in sentences] == [False, True, False, True, False]


def test_a_markdown_quotation_or_list_in_one_cue_is_read_block_by_block():
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:09.000\n"  # Changelog News 130, as the shared scorer writes Markdown to VTT
           "> **Good delivery fundamentals** – the team delivering its purpose, consistently and over time\n>\n"
           "> **Good people fundamentals** – the necessary ongoing maintenance work for any team\n\n"
           "00:00:09.000 --> 00:00:12.000\nIt's now time for Sponsored News!\n\n"
           "00:00:12.000 --> 00:00:20.000\nI'll give you his seven things, but click through for more on each:\n\n"
           "00:00:20.000 --> 00:00:26.000\n1. You outgrow every framework\n2. Patterns and methodologies fail\n\n"
           "00:00:26.000 --> 00:00:30.000\nThink of a design document like a proof in mathematics.\n")
    sentences = split_sentences(parse_transcript(vtt.encode(), filename="news.vtt"))

    assert [clean_text(s.text) for s in sentences] == [
        "Good delivery fundamentals – the team delivering its purpose, consistently and over time.",
        "Good people fundamentals – the necessary ongoing maintenance work for any team.",
        "It's now time for Sponsored News!",  # before, one sentence with the quotation, and all of it a sponsor read
        "I'll give you his seven things, but click through for more on each:",
        "You outgrow every framework.", "Patterns and methodologies fail.",  # was "You outgrow every framework 2."
        "Think of a design document like a proof in mathematics."]
    assert [s.is_list_item for s in sentences] == [False] * 4 + [True, True, False]
    assert [gate is None for gate in gate_reasons(sentences)][:2] == [True, True]


def test_a_passage_never_opens_on_a_list_item_mid_turn_or_runs_into_the_next_headline():
    lines = ["I'll give you his seven things, but definitely click through for some deep insights on each one.",
             "7. Never give up seeking truth",  # Changelog News 130: the last item, then the next story
             "[Writing a good design document](https://grantslatton.com/how-to-design-document)",
             "I made a short plea for design documents while discussing documentation strategies on Friends."]
    scored = score_sentences(split_sentences(Transcript([Segment(10.0 * i, 10.0 * i + 9, text, "Jerod")
                                                         for i, text in enumerate(lines)], "publisher", "vtt")),
                             [None] * 4, EpisodeContext())

    spans = {(a, b) for _, a, b in _passages(scored)}
    assert (2, 4) in spans and not [(a, b) for a, b in spans if a == 1 or a < 2 < b]  # the item opens none; none spans
    assert _leans_back(scored, 1) and not _leans_back(scored, 2)


def test_a_link_target_is_not_read_as_garbled_speech():
    lines = ["[A context management system for Claude Code](https://github.com/parcadei/Continuous-Claude-v2)",
             "The problem: When Claude Code runs low on context, it compacts (summarizes) the conversation. Each "
             "compaction is lossy. After several, you're working with a summary of a summary of a summary."]  # News 175
    transcript = Transcript([Segment(10.0 * i, 10.0 * i + 9, text, "Jerod") for i, text in enumerate(lines)],
                            "publisher", "vtt")

    insights = extract_extractive(transcript)

    assert [i.flags for i in insights] == [()]
    assert insights[0].quote.startswith("[A context management system for Claude Code](https://github.com/")


def test_a_stage_direction_between_sentences_does_not_join_them():
    assert _sentence_count("Gophers say? [win alert] It's actually soda; or pop, we would accept it.") == 2


def test_an_empty_quoted_line_between_sentences_does_not_join_them():
    assert _sentence_count("They are debugging Voyager 1. > > Recently they sent a command to the craft.") == 2  # News 120


def test_a_markdown_heading_starts_a_new_section_that_no_passage_crosses():
    lines = ["If Google fixes the bug, LibrePods will be much more approachable to your average Android user.",
             "## 📰 The Classifieds", "This is a new segment creating opportunity to share your startup."]
    transcript = Transcript([Segment(10.0 * i, 10.0 * i + 9, text, "Jerod") for i, text in enumerate(lines)],
                            "publisher", "vtt")

    sentences = split_sentences(transcript)

    assert [s.text for s in sentences] == [lines[0], "## 📰 The Classifieds", lines[2]]
    assert sentences[0].turn != sentences[1].turn == sentences[2].turn


def test_abbreviations_do_not_end_sentences():
    text = "Please welcome back Mr. Kent Quirk. He works at Honeycomb, e.g. on OpenTelemetry. It's great."

    assert _sentence_count(text) == 3


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Um, so I -- we went to the, uh, store, you know, and it was great.", "We went to the store and it was great."),
        ("Terrible, terrible, terrible.", "Terrible."),
        ("First of all, the tune - one of the best; one of the best intro tunes there is.",
         "First of all, the tune - one of the best intro tunes there is."),
        ("And I think, like, the the point is that you know what you want.",
         "I think the point is that you know what you want."),
        ("It's a classic [unintelligible] for sure [laughs].", "It's a classic for sure."),
        ("So it changes the API -- because these APIs are very simple.",
         "It changes the API — because these APIs are very simple."),
        ("It's a big deal, right?", "It's a big deal."),
        ("My recent experience aligns with David Singleton, who says: > Somewhere in the last few months, something "
         "shifted.", "My recent experience aligns with David Singleton, who says: Somewhere in the last few months, "
         "something shifted."),  # Changelog News 150: a Markdown quote after its lead-in
        ("Good delivery fundamentals, over time > > Good people fundamentals.",
         "Good delivery fundamentals, over time Good people fundamentals."),  # an empty quoted line between two
        ("They can't write good code, and they don't know if it's useful or...",
         "They can't write good code, and they don't know if it's useful."),
        # a publisher's stage direction and an inline time stamp (Go Time 320, The Changelog 550) are not speech
        ("[00:40:01.19] Because the whole thing is - I realized \\[win alert\\] - the opposite.",
         "Because the whole thing is - I realized - the opposite."),
        ('We asked them "Software development makes me,"', 'We asked them "Software development makes me".'),
        ('We\'ll do an all-caps "MORE METROID VIBES!"', 'We\'ll do an all-caps "MORE METROID VIBES!".'),  # JS Party 200
        ('The software engineering "squeeze"', 'The software engineering "squeeze".'),  # a headline: Changelog News 150
        ("♪ This is the news ♪ The city lost power for a week. ♪ Dum", "The city lost power for a week."),  # captions' music
        # half a parenthesis that spans two sentences (Changelog News 175); a list's "2)" stays
        ("(My favorite idea here is that you talk to the Mayor.", "My favorite idea here is that you talk to the Mayor."),
        ("And they coordinate everything.)", "They coordinate everything."),
        ("Two reasons: 1) cost and 2) speed.", "Two reasons: 1) cost and 2) speed."),
    ],
)
def test_disfluencies_are_removed_without_changing_the_meaning(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize(("text", "unnamed"), [
    ("We don't charge for a few hundred extra rows on this library, or something like that.", 1),  # Practical AI 101
    ("We've got this processing tool that is being written in Rust, rather than Go.", 0),  # introduced: Go Time 339
    ("Maybe just put a point on it, these three programs - Docker Official Images, Docker Verified Publisher.", 0),
    ("This library is free. The library is fast.", 0),  # named again
    ("This week we shipped the new scheduler.", 0),  # the moment, not a thing
])
def test_a_passage_that_points_at_a_thing_it_never_names_costs(text, unnamed):
    assert unresolved_cost(text) == pytest.approx(UNRESOLVED_COST * unnamed)


@pytest.mark.parametrize(("text", "leans"), [
    ("A fourth company called Tilt - it had just fantastic developers, that had really good sensibility around making "
     "Kubernetes easier for developers.", True),  # an item of a list: Founders Talk 97
    ("I think there was a bill the other day, and it was saying, in a state, how they needed to give people access to "
     "phones.", True),  # an anecdote's opening: Ship It 135
    ("Well, you start building stuff with HomeBrew - what if you wanna have multiple different versions of libraries.",
     True),  # goes on from what was said: Practical AI 101
    ("So if anyone runs software at a video game company or infrastructure video company and you're allowed to talk "
     "about it...", True),  # a condition with nothing it leads to: Ship It 135
    ("If your business sucks at basic data management, if you can't even run SQL queries over your stuff, you're not "
     "gonna get to do data science.", False),  # a claim that stands alone: Practical AI 101
    ("The fourth quarter is when most of our customers renew their contracts, because budgets reset in January.", False),
    ("A third of the developers we surveyed run their builds on a shared cache, because it cuts build times.", False),
    ("Well-known projects get most of the funding, because sponsors look for names they already recognise.", False),
])
def test_a_passage_that_opens_on_a_list_item_an_anecdote_or_a_well_costs(text, leans):
    sentences = split_sentences(Transcript([Segment(0.0, 12.0, text, "Guest")], "publisher", "vtt"))
    scored = score_sentences(sentences, [None] * len(sentences), EpisodeContext())

    assert (lead_penalty(scored, 0) > 0) is leans


@pytest.mark.parametrize(("text", "housekeeping"), [
    ("Click through for more hardware options, accounts of wild things people are doing with this, and a word of "
     "caution to those going all in.", True),  # a pointer to the show notes: Changelog News 178
    ("Despite some successes along the way, curl's bug bounty program unfortunately fell victim to the AI slop that "
     "came with it.", False),
])
def test_a_pointer_to_the_show_notes_costs_like_other_housekeeping(text, housekeeping):
    sentences = split_sentences(Transcript([Segment(600.0, 612.0, text, "Host")], "publisher", "vtt"))
    (scored,) = score_sentences(sentences, [None], EpisodeContext())

    assert (scored.penalty >= 0.25) is housekeeping
