"""Publisher transcripts: every format on real files, malformed input, and the link preference order."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from pipeline.errors import TranscriptError
from pipeline.ingest.transcripts import parse_transcript, pick_transcript, transcript_format
from pipeline.insights.sentences import split_sentences
from pipeline.models import TranscriptLink

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"
SAMPLES = Path(__file__).parent.parent / "data" / "samples"
SRT = FIXTURES / "pc20ns_buzzsprout_10things.srt"
HTML = FIXTURES / "pc20ns_buzzsprout_10things.html"
VTT = FIXTURES / "pc20ns_buzzsprout_trailer_snippet.vtt"
JSON = FIXTURES / "pc20ns_example_synthetic.json"
CHAPTERS = FIXTURES / "pc20ns_chapters_example.json"


def test_vtt_voice_tags_entities_and_times() -> None:
    t = parse_transcript(VTT.read_bytes(), filename=VTT.name)
    assert (t.format, t.source, len(t.segments)) == ("vtt", "publisher", 7)
    assert t.segments[0].start_s == 0.0 and t.segments[0].end_s == pytest.approx(2.76)
    assert t.segments[0].speaker == "Sarah" and t.segments[-1].speaker == "Gillian"
    assert "Podcasting Q&A, where" in t.segments[2].text  # &amp; unescaped, <v> tag gone
    assert "<" not in t.text
    assert t.duration_s == pytest.approx(25.35)


def test_vtt_notes_settings_ids_and_empty_cues() -> None:
    vtt = (
        "\ufeffWEBVTT - a title\nLanguage: en\n\nNOTE this block\nis a comment --> not a cue\n\n"
        "STYLE\n::cue { color: red }\n\n"
        "intro\n01:02:03.500 --> 01:02:05.000 align:start position:10%\n<v.loud Dr. Ann Lee>Hi&nbsp;<i>there</i>,\n"
        "&lt;friends&gt;!\n\n"
        "00:00.000 --> 00:01.000\n<c.music></c>\n\n"
        "01:02:06.000 --> 01:02:07.000\nno voice tag here\n"
    )
    t = parse_transcript(vtt, fmt="vtt")
    assert t.language == "en"
    assert [s.text for s in t.segments] == ["Hi there, <friends>!", "no voice tag here"]
    assert t.segments[0].start_s == pytest.approx(3723.5)
    assert t.segments[0].speaker == "Dr. Ann Lee"


def test_vtt_cue_right_under_the_header() -> None:
    t = parse_transcript("WEBVTT\nKind: captions\n00:01.000 --> 00:02.500\nfirst\n\n00:03.000 --> 00:04.000\nsecond")
    assert [(s.start_s, s.end_s, s.text) for s in t.segments] == [(1.0, 2.5, "first"), (3.0, 4.0, "second")]


def test_srt_speaker_prefixes_carry_over() -> None:
    t = parse_transcript(SRT.read_bytes(), filename=SRT.name)
    assert t.format == "srt" and len(t.segments) == 222
    assert {s.speaker for s in t.segments} == {"Travis", "Sarah", "Gilon"}
    first, second = t.segments[:2]
    assert first.text == "When you first get started in podcasting, it's" and first.speaker == "Travis"
    assert second.speaker == "Travis" and second.text.startswith("almost guaranteed")
    assert first.start_s == pytest.approx(0.179) and first.end_s == pytest.approx(2.399)
    assert "podcast. Now" in t.text  # "podcast . Now" loses the stray space
    assert not any(s.text.startswith(("Travis:", "Sarah:", "Gilon:")) for s in t.segments)


def test_srt_only_short_capitalised_prefixes_are_speakers() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nHere is the thing: it works.\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nNote: not a speaker.\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nMary Ann Smith: I am one.\n\n"
        "4\n00:00:04,000 --> 00:00:05,000\nat 10:30: still me\n\n"
        "5\n00:00:05,000 --> 00:00:06,000\nStep 2: still me too.\n"
    )
    t = parse_transcript(srt, content_type="application/x-subrip")
    assert [(s.speaker, s.text) for s in t.segments] == [
        (None, "Here is the thing: it works."),
        (None, "Note: not a speaker."),
        ("Mary Ann Smith", "I am one."),
        ("Mary Ann Smith", "at 10:30: still me"),
        ("Mary Ann Smith", "Step 2: still me too."),
    ]


def test_numbered_bracketed_and_caption_speaker_changes() -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:03,000\nSpeaker 1: Good morning.\n\n"
        "2\n00:00:03,000 --> 00:00:05,000\n[SPEAKER_01]: The storm hit the coast.\n\n"
        "3\n00:00:05,000 --> 00:00:09,000\n&gt;&gt; Aid is coming.\n&gt;&gt; JANE DOE: It was a long night.\n\n"
        "4\n00:00:09,000 --> 00:00:11,000\n[Speaker 2] Yes, x >> 2 halves it.\n\n"
        "5\n00:00:11,000 --> 00:00:13,000\n[Music] Then the rain.\n"
    )  # recognisers' numbered labels, whisperX's bracketed ones, a caption line's ">>" (a new speaker; not a shift)
    t = parse_transcript(srt, content_type="application/x-subrip")
    assert [(s.speaker, s.text) for s in t.segments] == [
        ("Speaker 1", "Good morning."),
        ("SPEAKER_01", "The storm hit the coast."),
        (None, ">> Aid is coming."),
        ("JANE DOE", "It was a long night."),
        ("Speaker 2", "Yes, x >> 2 halves it."),
        ("Speaker 2", "[Music] Then the rain."),
    ]
    assert t.segments[2].start_s == 5.0 and 5.0 < t.segments[3].start_s == t.segments[2].end_s < 9.0


def test_a_caption_speaker_change_starts_a_turn_of_its_own() -> None:
    srt = ("1\n00:00:01,000 --> 00:00:05,000\nThe storm hit the coast.\n\n"
           "2\n00:00:05,000 --> 00:00:09,000\n>> Aid is coming, officials say.\n")
    sentences = split_sentences(parse_transcript(srt, content_type="application/x-subrip"))
    assert [(s.turn, s.text) for s in sentences] == [(0, "The storm hit the coast."),
                                                     (1, "Aid is coming, officials say.")]


@pytest.mark.parametrize(("cues", "turns"), [
    (["-Why move the build cluster first?\n- Because rollback was cheap there.", "We kept the old one warm."],
     [0, 1, 1]),  # every line of the cue opens on the dash
    (["Why move the build cluster first?\n-Because rollback was cheap there.",
      'We kept the old one warm.\n- "Warm" meaning running?\n-Yes, for a month.'],
     [0, 1, 1, 2, 3]),  # only the next speaker's line does, after a finished sentence
])
def test_a_subtitle_line_that_opens_on_a_dialogue_dash_is_the_next_speaker(cues: list[str], turns: list[int]) -> None:
    srt = "".join(f"{n}\n00:00:0{2 * n},000 --> 00:00:0{2 * n + 2},000\n{cue}\n\n" for n, cue in enumerate(cues, 1))
    sentences = split_sentences(parse_transcript(srt, content_type="application/x-subrip"))
    texts = [line.lstrip("- ") for cue in cues for line in cue.split("\n")]
    assert [(s.turn, s.text) for s in sentences] == list(zip(turns, texts, strict=True))


@pytest.mark.parametrize("lines", ["So the cost was\n-5 percent on the first bill.",  # a sign
                                   "We moved the tool\n- the one I mentioned - first.",  # a dash inside a sentence
                                   "We moved it.\n- and then the rest.",  # no new sentence
                                   "-- and that was it.\n-- Really, that was it.",  # long dashes
                                   "-Why move it first?\nBecause rollback was cheap."])  # not every line
def test_other_dashes_opening_a_subtitle_line_are_text(lines: str) -> None:
    t = parse_transcript(f"1\n00:00:01,000 --> 00:00:04,000\n{lines}\n", content_type="application/x-subrip")
    assert [s.text for s in t.segments] == [" ".join(lines.split("\n"))]


def test_captions_in_capitals_are_read_in_lower_case_and_acronyms_elsewhere_stay() -> None:
    shouted = parse_transcript(SRT.read_text().upper(), fmt="srt")
    assert shouted.segments[0].text == "when you first get started in podcasting, it's"
    assert {s.speaker for s in shouted.segments} == {"Travis", "Sarah", "Gilon"}
    cased = "1\n00:00:01,000 --> 00:00:09,000\nNASA, ESA and JAXA fly the JWST, the ISS and an SLS; " + "GPU " * 20 + "\n"
    assert parse_transcript(cased, fmt="srt").segments[0].text.startswith("NASA, ESA and JAXA")
    lead_ins = _srt("JANE DOE: THE STORM HIT THE COAST ON THURSDAY NIGHT.", "SO: WHAT DID THE TOWN DO NEXT?",
                    "NOTE: THE DAM TOPPED OUT FROM THE SHEER AMOUNT OF RAINFALL.")
    assert [(s.speaker, s.text[:5]) for s in parse_transcript(lead_ins, fmt="srt").segments] == [
        ("Jane Doe", "the s"), ("Jane Doe", "so: w"), ("Jane Doe", "note:")]  # "SO:" leads in, as "So:" does


def test_youtube_roll_up_captions_are_read_once() -> None:
    """YouTube's automatic captions: a cue opens on a line of one space, then repeats the line before above the new
    words (stamped inline), with a 10 ms cue between that holds the finished line alone."""
    vtt = (
        "WEBVTT\nKind: captions\nLanguage: en\n\n"
        "00:00:00.719 --> 00:00:03.429 align:start position:0%\n \n"
        "the<00:00:01.040><c> cyclone</c><00:00:01.360><c> hit</c><00:00:01.599><c> mozambique</c>\n\n"
        "00:00:03.429 --> 00:00:03.439 align:start position:0%\nthe cyclone hit mozambique\n \n\n"
        "00:00:03.439 --> 00:00:06.030 align:start position:0%\nthe cyclone hit mozambique\n"
        "two<00:00:03.600><c> weeks</c><00:00:04.160><c> ago</c>\n\n"
        "00:00:06.030 --> 00:00:06.040 align:start position:0%\ntwo weeks ago\n \n\n"
        "00:00:06.040 --> 00:00:08.000 align:start position:0%\ntwo weeks ago\n"
        "and<00:00:06.300><c> aid</c><00:00:06.900><c> is</c><00:00:07.200><c> slow</c>\n"
    )
    t = parse_transcript(vtt, fmt="vtt")
    assert [(s.start_s, s.end_s, s.text) for s in t.segments] == [
        (0.719, 3.429, "the cyclone hit mozambique"), (3.439, 6.03, "two weeks ago"), (6.04, 8.0, "and aid is slow")]


def _srt(*cues: str) -> str:
    """SRT of these cue texts, two seconds each from the first second."""
    return "\n".join(f"{n}\n00:00:{2 * n - 1:02d},000 --> 00:00:{2 * n + 1:02d},000\n{text}\n"
                     for n, text in enumerate(cues, start=1))


def test_broadcast_roll_up_keeps_its_speaker_changes() -> None:
    srt = _srt(">> Good evening.", ">> Good evening.\nThe storm hit the coast.",
               "The storm hit the coast.\n>> JANE DOE: It was a long night.", ">> JANE DOE: It was a long night.\nAid is coming.")
    t = parse_transcript(srt, fmt="srt")
    assert [(s.start_s, s.speaker, s.text) for s in t.segments] == [
        (1.0, None, ">> Good evening."), (3.0, None, "The storm hit the coast."), (5.0, "JANE DOE", "It was a long night."),
        (7.0, "JANE DOE", "Aid is coming.")]


def test_a_line_said_twice_across_cues_is_speech_where_captions_do_not_roll_up() -> None:
    srt = _srt("Is it ready?\nYeah.", "Yeah.\nWe ship tonight.", "The tests pass.", "The build is green.")
    assert [s.text for s in parse_transcript(srt, fmt="srt").segments] == [
        "Is it ready? Yeah.", "Yeah. We ship tonight.", "The tests pass.", "The build is green."]


def test_a_real_transcript_rolled_up_reads_as_it_was_said() -> None:
    """The Buzzsprout captions rewritten as two-line roll-up cues (each cue the line before and the next seven words)
    parse to the same words in the same order."""
    words = " ".join(s.text for s in parse_transcript(SRT.read_bytes(), filename=SRT.name).segments).split()
    lines = [" ".join(words[n:n + 7]) for n in range(0, len(words), 7)]
    shown = [[line] for line in lines[:1]] + [list(pair) for pair in pairwise(lines)]  # the first cue has no line before
    cues = [f"{n + 1}\n00:{n // 60:02d}:{n % 60:02d},000 --> 00:{n // 60:02d}:{n % 60:02d},900\n" + "\n".join(cue)
            for n, cue in enumerate(shown)]
    rolled = parse_transcript("\n\n".join(cues), fmt="srt")
    assert " ".join(s.text for s in rolled.segments).split() == words

def test_json_word_segments_merge_into_sentences_per_speaker() -> None:
    t = parse_transcript(JSON.read_bytes(), content_type="application/json; charset=utf-8")
    assert [(s.speaker, s.text, s.start_s, s.end_s) for s in t.segments] == [
        ("Darth Vader", "I am your father.", 0.5, 2.5),
        ("Luke", "Nooooo", 2.75, 3.0),
    ]


def test_html_cite_time_p() -> None:
    t = parse_transcript(HTML.read_bytes(), filename=HTML.name)
    assert t.format == "html" and len(t.segments) == 10
    assert [s.speaker for s in t.segments[:3]] == ["Travis", "Sarah", "Travis"]
    assert (t.segments[1].start_s, t.segments[1].end_s) == (53.0, 102.0)  # ends where the next paragraph starts
    assert t.segments[-1].end_s > t.segments[-1].start_s == 691.0
    assert "it's almost guaranteed" in t.segments[0].text  # &#39; unescaped


def test_html_and_srt_of_one_episode_agree() -> None:
    srt = parse_transcript(SRT.read_bytes(), fmt="srt")
    page = parse_transcript(HTML.read_bytes(), fmt="html")
    assert abs(len(srt.text.split()) - len(page.text.split())) < 0.02 * len(page.text.split())
    assert page.duration_s == pytest.approx(srt.duration_s, rel=0.1)


def _exported(style: str, between: str = "\n\n") -> str:
    """The Buzzsprout episode's first four paragraphs (text, speakers and times from its HTML transcript) as a
    transcription tool exports plain text."""
    def clock(s: float) -> str:
        return f"{int(s) // 3600:02d}:{int(s) // 60 % 60:02d}:{int(s) % 60:02d}"

    heads = {"descript": lambda p: f"[{clock(p.start_s)}] {p.speaker}: {p.text}",
             "rev": lambda p: f"{p.speaker} ({clock(p.start_s)[3:]}):\n{p.text}",
             "otter": lambda p: f"{p.speaker}  {int(p.start_s) // 60}:{int(p.start_s) % 60:02d}\n{p.text}"}
    return between.join(heads[style](p) for p in parse_transcript(HTML.read_bytes(), fmt="html").segments[:4]) + "\n"


@pytest.mark.parametrize(("style", "between"), [("descript", "\n\n"), ("rev", "\n\n"), ("otter", "\n\n"), ("otter", "\n")])
def test_plain_text_from_transcription_tools_keeps_its_speakers_and_time_stamps(style: str, between: str) -> None:
    t = parse_transcript(_exported(style, between).encode(), filename=f"episode-{style}.txt")

    assert t.format == "text"  # "[00:00:00] Travis: ..." opens like a JSON array, and is not one
    assert [(s.speaker, s.start_s) for s in t.segments] == [("Travis", 0.0), ("Sarah", 53.0), ("Travis", 102.0),
                                                             ("Gilon", 219.0)]
    assert t.segments[0].end_s == 53.0 and t.segments[0].text.startswith("When you first get started in podcasting")


def test_a_time_of_day_opening_a_paragraph_is_no_time_stamp() -> None:
    text = "10:30 is when we start recording.\n\nThen we talk for an hour.\n\nAnd we stop at noon."
    t = parse_transcript(text, content_type="text/plain")

    assert t.segments[0].text == "10:30 is when we start recording." and t.segments[0].start_s == 0.0


def test_plain_text_times_from_word_count() -> None:
    text = "Travis: one two three four five.\n\nSix seven eight nine ten.\n\nSarah: eleven twelve."
    t = parse_transcript(text.encode(), content_type="text/plain")
    assert t.format == "text"
    assert [s.speaker for s in t.segments] == ["Travis", "Travis", "Sarah"]
    assert (t.segments[0].start_s, t.segments[0].end_s) == (0.0, 2.0)  # 5 words at 150 wpm
    assert t.segments[2].start_s == 4.0
    arrows = parse_transcript("So input --> output is the idea.\n\nThat is all.", content_type="text/plain")
    assert arrows.format == "text" and arrows.segments[0].text == "So input --> output is the idea."
    forced = parse_transcript(VTT.read_bytes(), fmt="text")  # an explicit format is obeyed, not sniffed
    assert forced.format == "text" and forced.segments[1].text.startswith("00:00:00.000 --> 00:00:02.760 <v Sarah>")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"content_type": "text/plain"}, "vtt"),  # a generic type does not hide a WebVTT file
        ({"filename": "episode.webvtt"}, "vtt"),
        ({}, "vtt"),
        ({"filename": "x.unknown", "content_type": "application/octet-stream"}, "vtt"),
    ],
)
def test_format_detection(kwargs: dict, expected: str) -> None:
    assert parse_transcript(VTT.read_bytes(), **kwargs).format == expected


def test_sniffing_without_hints() -> None:
    assert parse_transcript(SRT.read_bytes()).format == "srt"
    assert parse_transcript(JSON.read_bytes()).format == "json"
    assert parse_transcript(HTML.read_bytes()).format == "html"


def test_decoding_bom_and_cp1252() -> None:
    body = VTT.read_text().replace("Gillian here", "Gillian from the café here")
    for data in (b"\xef\xbb\xbf" + body.encode(), body.encode("cp1252"), body.encode("utf-16")):
        t = parse_transcript(data)
        assert t.format == "vtt" and "from the café here" in t.text


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (b"", {}, "is empty"),
        (bytes(range(256)) * 8, {"filename": "junk.vtt"}, "Transcript junk.vtt looks like binary data"),
        (b"WEBVTT\n\nNOTE nothing else\n", {}, "has no WebVTT segments with text"),
        (VTT.read_bytes().replace(b"00:00:06.090 -->", b"00:00:6x.090 -->"), {}, "timestamp '00:00:6x.090' on line"),
        (VTT.read_bytes().replace(b"--> 00:00:06.090", b"--> 00:00:01.000"), {}, "ends (00:00:01.000) before it starts"),
        (SRT.read_bytes().replace(b"00:00:02,400 --> 00:00:04,799", b"00:00:02,400 -->"), {}, "is not 'start --> end'"),
        (SRT.read_bytes().replace(b"00:00:04,801", b"00:00:61,801"), {"fmt": "srt"}, "out of range"),
        (JSON.read_bytes()[:-30], {}, "invalid JSON"),
        (CHAPTERS.read_bytes(), {}, "AssemblyAI, Whisper, whisper.cpp), found author, chapters"),
        (b'{"segments": [{"startTime": "soon", "endTime": 1, "body": "x"}]}', {}, "segment 0 lacks a numeric"),
        (b'{"segments": [{"startTime": 3, "endTime": 1, "body": "x"}]}', {}, "segment 0 has startTime 3.0"),
        (b'{"segments": ["x"]}', {}, "segment 0 is str"),
        (HTML.read_bytes().replace(b"<time>1:42</time>", b"<time>1:4x</time>"), {}, "'1:4x' in <time> before"),
        (b"<html><body><div>Not found</div></body></html>", {"content_type": "text/html"}, "no HTML segments"),
        (VTT.read_bytes(), {"fmt": "docx"}, "Unknown transcript format 'docx'"),
    ],
)
def test_malformed_transcripts_raise_clear_errors(data: bytes, kwargs: dict, message: str) -> None:
    with pytest.raises(TranscriptError) as err:
        parse_transcript(data, **kwargs)
    assert message in str(err.value)


def test_transcript_format_from_type_and_url() -> None:
    assert transcript_format("application/x-subrip", "https://x/t") == "srt"
    assert transcript_format("text/plain", "https://x/t.srt?sig=1") == "srt"
    assert transcript_format(None, "transcripts/ep.VTT") == "vtt"
    assert transcript_format("text/plain", "https://x/t") == "text"
    assert transcript_format("application/pdf", "https://x/t.pdf") is None


def test_pick_transcript_orders_best_first() -> None:
    links = [
        TranscriptLink("https://x/t.pdf", "application/pdf"),
        TranscriptLink("https://x/t.txt", "text/plain"),
        TranscriptLink("https://x/t.html", "text/html"),
        TranscriptLink("https://x/t.json", "application/json"),
        TranscriptLink("https://x/t.srt", "application/srt"),
        TranscriptLink("https://x/t.vtt", "text/vtt", "en"),
    ]
    assert [link.url[-4:] for link in pick_transcript(links)] == [".vtt", ".srt", "json", "html", ".txt", ".pdf"]
    assert pick_transcript([]) == []


def test_every_bundled_sample_transcript_parses() -> None:
    paths = sorted((SAMPLES / "transcripts").iterdir())
    assert {p.suffix for p in paths} >= {".vtt", ".srt", ".html", ".json"}
    for path in paths:
        t = parse_transcript(path.read_bytes(), filename=path.name)
        assert len(t.segments) >= 5 and t.duration_s > 60, path.name
        assert all(s.end_s >= s.start_s and s.text for s in t.segments), path.name
        starts = [s.start_s for s in t.segments]
        assert starts == sorted(starts), path.name


def test_sample_feeds_point_at_bundled_files() -> None:
    from pipeline.ingest.feeds import parse_feed

    feeds = sorted((SAMPLES / "feeds").glob("*.xml"))
    listed = [SAMPLES.parent.parent / line for line in (SAMPLES / "feeds.txt").read_text().split()]
    assert sorted(listed) == feeds
    outlines = ET.parse(SAMPLES / "opml.xml").getroot().iter("outline")
    assert sorted(SAMPLES / o.get("xmlUrl", "") for o in outlines) == feeds
    days: dict[str, set[str]] = {}
    for path in feeds:
        feed = parse_feed(path.read_bytes(), path.resolve().as_uri())
        for item in feed.items:
            assert item.guid and item.published and item.published[:10] in {"2026-02-10", "2026-02-11"}
            files = [Path(url2pathname(urlsplit(u).path)) for u in [item.audio_url, *[t.url for t in item.transcripts]] if u]
            assert files and all(f.is_file() and SAMPLES in f.parents for f in files), item.title
            if item.transcripts:
                days.setdefault(item.published[:10], set()).add(feed.title)
            else:
                assert item.audio_type == "audio/flac"  # the ASR path of the demo
    assert sorted(days) == ["2026-02-10", "2026-02-11"]
    assert all(len(titles) >= 3 for titles in days.values())  # enough podcasts for a daily top five
    buzzsprout = parse_feed((SAMPLES / "feeds" / "podcasting-qa.xml").read_bytes(), "file:///x/feeds/podcasting-qa.xml")
    offered = buzzsprout.items[0].transcripts
    assert [t.type for t in offered] == ["text/html", "application/srt"]
    assert pick_transcript(offered)[0].url == "file:///x/transcripts/buzzsprout-10-things.srt"


def test_a_line_of_spaces_separates_srt_cues_even_after_a_cue_with_no_text() -> None:
    srt = "1\n00:00:01,000 --> 00:00:02,000\n \n2\n00:00:03,000 --> 00:00:04,000\nThe storm hit the coast.\n"
    assert [(s.start_s, s.text) for s in parse_transcript(srt, fmt="srt").segments] == [(3.0, "The storm hit the coast.")]
