"""How the extractive method chooses among candidate passages: topical sections, self-contained openings, gates."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.ingest.transcripts import parse_transcript
from pipeline.insights.extractive import extract_extractive
from pipeline.insights.features import BANTER, QUESTION, RAW_LEAD, WISH
from pipeline.insights.gates import INTRO_FLAG, EpisodeContext, gate_reasons
from pipeline.insights.sections import sections
from pipeline.insights.sentences import split_sentences
from pipeline.models import Segment, Transcript

ROOT = Path(__file__).resolve().parent.parent
COFFEE = ["coffee", "beans", "roast", "grinder", "espresso", "crema", "barista", "arabica"]
ROCKETS = ["rocket", "orbit", "launch", "booster", "payload", "thrust", "capsule", "engine"]


def _topic(words: list[str], n: int) -> list[frozenset[str]]:
    return [frozenset({words[i % len(words)], words[(i + 3) % len(words)], f"filler{i}"}) for i in range(n)]


def test_sections_cut_where_the_vocabulary_changes():
    contents = _topic(COFFEE, 30) + _topic(ROCKETS, 30)

    assert sections(contents, 2) == [0] * 30 + [1] * 30


def test_one_section_when_one_is_asked_for_or_the_episode_is_short():
    assert sections(_topic(COFFEE, 60), 1) == [0] * 60
    assert sections(_topic(COFFEE, 10) + _topic(ROCKETS, 10), 2) == [0] * 20


def _transcript(lines: list[tuple[str, str]], seconds: float = 12.0) -> Transcript:
    return Transcript([Segment(i * seconds, (i + 1) * seconds, text, speaker) for i, (speaker, text) in enumerate(lines)],
                      "publisher", "vtt")


def _statements(words: list[str], n: int, strong: bool) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        a, b, c = words[i % 8], words[(i + 3) % 8], words[(i + 5) % 8]
        if strong:
            text = (f"The {a} matters more than the {b}, because {30 + i} percent of the {c} quality comes from "
                    f"the {a} in the first {2 + i % 5} minutes.")
        else:
            text = f"A good {a} tends to make the {b} better, and the {c} follows from how the {a} is handled."
        out.append(("Guest", text))
    return out


def test_picks_spread_across_topical_sections():
    two = Settings(podbrief_insights_per_min=0.5, podbrief_insights_min=2, podbrief_insights_max=2)
    coffee, rockets = _statements(COFFEE, 30, strong=True), _statements(ROCKETS, 30, strong=False)

    picks = [i for i in extract_extractive(_transcript(coffee + rockets), settings=two) if not i.flags]

    assert len(picks) == 2
    assert sorted(i.start_s >= 30 * 12 for i in picks) == [False, True]  # one from each half


def test_a_self_introduction_mid_episode_is_flagged_intro_never_picked():
    intro = ("Guest", "I'm Maria Lopez, and I run a 40 person robotics company in Lisbon that builds warehouse robots "
                      "for 300 customers across 12 countries.")
    lines = [*_statements(COFFEE, 20, strong=False), intro, *_statements(ROCKETS, 20, strong=False)]

    transcript = _transcript(lines)

    sentences = split_sentences(transcript)
    reasons = gate_reasons(sentences)
    assert [reasons[i] for i, s in enumerate(sentences) if "Maria" in s.text] == [INTRO_FLAG]
    assert all(i.flags for i in extract_extractive(transcript, settings=Settings()) if "Maria" in i.quote)


def test_the_passage_nearest_the_title_ranks_first():
    one = Settings(podbrief_insights_per_min=0.5, podbrief_insights_min=1, podbrief_insights_max=1)
    transcript = _transcript(_statements(COFFEE, 15, strong=True) + _statements(ROCKETS, 15, strong=True))

    def best(title: str) -> str:
        (pick,) = [i for i in extract_extractive(transcript, settings=one, context=EpisodeContext(title)) if not i.flags]
        return pick.quote

    assert any(w in best("What makes a great espresso at home") for w in COFFEE)
    assert any(w in best("How rockets reach orbit") for w in ROCKETS)


def test_a_pick_that_would_open_on_a_pronoun_takes_in_the_sentence_it_refers_to():
    turn = ("Expert", "Yeah, so we basically started landing the boosters and flying them again. This cuts the cost "
                      "of each launch by 60 percent, because the booster is the most expensive part of the rocket and "
                      "it now flies 20 times.")
    lines = [*_statements(COFFEE, 12, strong=False), turn, *_statements(COFFEE, 12, strong=False)]

    picks = [i for i in extract_extractive(_transcript(lines), settings=Settings()) if not i.flags]

    (pick,) = [i for i in picks if "60 percent" in i.quote]
    assert pick.quote.startswith("Yeah, so we basically started landing") and pick.text.startswith("We basically started landing")


def test_an_item_of_a_spoken_list_never_opens_a_pick_without_what_it_lists():
    turn = ("Expert", "Honestly, there are two things. "
                      "One is the cost, because the booster is 60 percent of the rocket and now flies 20 times. "
                      "Two, the launch cadence of a reusable rocket went from 20 flights a year to 130 flights a year.")
    chat = [("Host", "Ha, that's so funny, I love that."), ("Expert", "Yeah, exactly, it was great fun.")] * 6
    lines = [*chat, ("Host", "So what changed in the rocket business over the last ten years?"), turn, *chat]

    picks = [i for i in extract_extractive(_transcript(lines), settings=Settings()) if not i.flags]

    listed = [i for i in picks if "60 percent" in i.quote or "130 flights" in i.quote]
    assert listed and all(i.quote.startswith("Honestly, there are two things") for i in listed)


def test_a_wish_is_no_insight():
    path = ROOT / "data" / "samples" / "transcripts" / "ship-it-135.vtt"  # "I would love to have someone from Netflix ..."
    transcript = parse_transcript(path.read_bytes(), filename=path.name)

    insights = [i for i in extract_extractive(transcript, context=EpisodeContext("The last Ship It")) if not i.flags]

    assert insights and not [i.text for i in insights if WISH.search(i.text.lower())]


def test_a_wish_costs_once_and_a_reaction_stays_banter():
    wish, reaction = "i would love to have someone from netflix on the show", "oh, i'd love that"

    assert WISH.search(wish) and not BANTER.search(wish)
    assert BANTER.search(reaction) and not WISH.search(reaction)
    assert BANTER.search("i'd love tomorrow's show to be as good")  # "to" only as a word makes a wish


def test_a_question_asked_after_its_lead_in_is_no_insight():
    asked = "So in 20 years, do you think that engineers are going to be replaced, or are their roles going to be --"
    said = ["If you think Go is simple, read the scheduler.", "Whatever you think of it, Go 1 code still compiles.",
            "I do think you should pin your versions."]

    assert QUESTION.search(asked) and not [s for s in said if QUESTION.search(s)]
    path = ROOT / "data" / "samples" / "transcripts" / "go-time-339.vtt"  # the host's question, cut off by the answer
    insights = extract_extractive(parse_transcript(path.read_bytes(), filename=path.name),
                                  context=EpisodeContext("Does Go still make sense?"))
    assert insights and not [i.text for i in insights if "do you think" in i.text.lower()]


def test_an_answers_no_leans_on_its_question_and_other_nos_do_not():
    answer = "No, because the static check linter is really good, and everybody should be supporting it."  # Go Time 250
    said = ["No one reads the release notes.", "No matter the language, tests pay off.", "Nobody ships on Fridays."]

    assert RAW_LEAD.match(answer) and not [s for s in said if RAW_LEAD.match(s)]
