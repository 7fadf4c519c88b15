"""Recognisers' own JSON (Amazon Transcribe, Whisper, whisper.cpp, Deepgram, AssemblyAI) read as timed segments."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.errors import TranscriptError
from pipeline.ingest.transcripts import parse_transcript
from pipeline.insights.textquality import ERROR_RATIO

ROOT = Path(__file__).resolve().parent.parent
AMAZON = ROOT / "data" / "samples" / "transcripts" / "today-in-focus-cyclone-idai.json"  # as Amazon Transcribe wrote it
WHISPER = Path(__file__).parent / "fixtures" / "transcripts" / "jfk_whisper.json"


def test_amazon_transcribe_json_is_read_as_sentences_with_speakers_and_word_confidence():
    transcript = parse_transcript(AMAZON.read_bytes(), filename=AMAZON.name)

    first = transcript.segments[0]
    assert first.text == "Today the devastation of Cyclone e di one of the worst weather related disasters."
    assert (first.start_s, first.speaker) == (5.24, "Speaker 1")
    assert {s.speaker for s in transcript.segments} == {"Speaker 1", "Speaker 2"}
    confidences = [s.confidence for s in transcript.segments]
    assert all(c is not None and 0 < c <= 1 for c in confidences)
    (misheard,) = [s for s in transcript.segments if "bits of standing water" in s.text]
    assert 1 - misheard.confidence >= ERROR_RATIO * (1 - statistics.median(confidences))  # what the garble gate reads


def test_extract_reads_a_recognisers_json_file_and_holds_back_what_it_misheard(capsys):
    assert main(["extract", str(AMAZON), "--json", "--flagged", "--title", "Mozambique: reporting from a disaster zone"]) == 0

    insights = json.loads(capsys.readouterr().out)
    assert any("Cyclone" in i["text"] and not i["flags"] for i in insights)
    assert [i["flags"] for i in insights if "bits of standing water" in i["quote"]] == [["garbled speech recognition"]]


def test_whisper_json_keeps_its_times_language_and_word_probabilities():
    transcript = parse_transcript(WHISPER.read_bytes(), filename=WHISPER.name)

    assert " ".join(s.text for s in transcript.segments) == ("And so my fellow Americans ask not what your country can "
                                                            "do for you ask what you can do for your country.")
    assert transcript.language == "en"
    assert transcript.segments[0].start_s == 0.0 and transcript.segments[-1].end_s == pytest.approx(10.9, abs=0.5)
    assert all(0.5 < s.confidence <= 1 for s in transcript.segments)


def test_whisper_json_without_word_timestamps_takes_confidence_from_the_decoders_log_probability():
    doc = json.loads(WHISPER.read_text())
    for segment in doc["segments"]:
        del segment["words"]
    transcript = parse_transcript(json.dumps(doc), filename="jfk.json")

    assert all(0.5 < s.confidence <= 1 for s in transcript.segments)


def test_whisper_cpp_json_is_read_from_its_millisecond_offsets_and_token_probabilities():
    segments = json.loads(WHISPER.read_text())["segments"]  # the same clip's words, as whisper.cpp writes them
    doc = {"systeminfo": "AVX = 1", "model": {"type": "tiny"}, "result": {"language": "en"}, "transcription": [
        {"timestamps": {"from": "00:00:00,000", "to": "00:00:05,000"},
         "offsets": {"from": round(s["start"] * 1000), "to": round(s["end"] * 1000)}, "text": s["text"],
         "tokens": [{"text": "[_BEG_]", "p": 0.2}] + [{"text": w["word"], "p": w["probability"]} for w in s["words"]]}
        for s in segments]}

    transcript = parse_transcript(json.dumps(doc), filename="jfk.wav.json")

    assert " ".join(s.text for s in transcript.segments).startswith("And so my fellow Americans ask not")
    assert transcript.segments[-1].end_s == segments[-1]["end"] and transcript.language == "en"
    words = [w["probability"] for s in segments for w in s["words"]]
    assert min(words) <= transcript.segments[0].confidence <= 1  # the special token's 0.2 is not a word's


def test_a_deepgram_response_is_read_from_its_punctuated_words_and_speakers():
    words = [("Four", 0.42, 0.86, 0, 0.58), ("score.", 0.86, 1.2, 0, 0.98), ("Thank", 5.0, 5.2, 1, 0.99),
             ("you.", 5.2, 5.4, 1, 0.97)]
    doc = {"metadata": {"channels": 1}, "results": {"channels": [{"detected_language": "en", "alternatives": [{
        "transcript": "four score thank you", "confidence": 0.9,
        "words": [{"word": w.lower().strip("."), "punctuated_word": w, "start": a, "end": b, "speaker": who,
                   "confidence": c} for w, a, b, who, c in words]}]}]}}

    transcript = parse_transcript(json.dumps(doc), filename="deepgram.json")

    assert [(s.text, s.speaker, s.start_s, s.end_s) for s in transcript.segments] == [
        ("Four score.", "Speaker 1", 0.42, 1.2), ("Thank you.", "Speaker 2", 5.0, 5.4)]
    assert transcript.segments[0].confidence == pytest.approx(0.78)
    assert transcript.language == "en"


def test_an_assemblyai_transcript_is_read_with_its_millisecond_times():
    doc = {"id": "5551722-f677", "status": "completed", "text": "Smoke from hundreds of fires. It spread.",
           "language_code": "en_us",
           "words": [{"text": "Smoke", "start": 250, "end": 650, "confidence": 0.97, "speaker": "A"},
                     {"text": "from", "start": 730, "end": 1022, "confidence": 0.99, "speaker": "A"},
                     {"text": "hundreds", "start": 1093, "end": 1721, "confidence": 0.99, "speaker": "A"},
                     {"text": "of", "start": 1760, "end": 1880, "confidence": 0.99, "speaker": "A"},
                     {"text": "fires.", "start": 1880, "end": 2400, "confidence": 0.96, "speaker": "A"},
                     {"text": "It", "start": 2600, "end": 2700, "confidence": 0.9, "speaker": "B"},
                     {"text": "spread.", "start": 2700, "end": 3100, "confidence": 0.8, "speaker": "B"}]}

    transcript = parse_transcript(json.dumps(doc), filename="assemblyai.json")

    assert [(s.text, s.speaker, s.start_s, s.end_s) for s in transcript.segments] == [
        ("Smoke from hundreds of fires.", "Speaker A", 0.25, 2.4), ("It spread.", "Speaker B", 2.6, 3.1)]
    assert transcript.language == "en_us"


def test_a_recognisers_json_with_a_bad_time_says_which_item():
    doc = json.loads(AMAZON.read_text())
    doc["results"]["items"][3]["start_time"] = "soon"

    with pytest.raises(TranscriptError, match=r"item 3 lacks a numeric start and end time\. Use another transcript"):
        parse_transcript(json.dumps(doc), filename="amazon.json")


@pytest.mark.parametrize(("break_it", "message"), [
    (lambda d: d["results"].update(speaker_labels=["spk_0"]), "results.speaker_labels is list, not an object"),
    (lambda d: d["results"]["speaker_labels"]["segments"].insert(0, "spk_0"), "speaker segment 0 is str"),
    (lambda d: d["results"].update(items={"0": "Today"}), "results.items is dict, not a list"),
    (lambda d: d["results"]["items"].insert(0, None), "item 0 is NoneType, not an object"),
    (lambda d: d["results"]["items"][0].update(alternatives=["Today"]), "item 0's first alternative is str"),
    (lambda d: d["results"]["items"][0].update(start_time=[5.24]), "item 0 lacks a numeric start and end time"),
])
def test_an_amazon_transcribe_file_of_the_wrong_shape_is_refused_saying_where(break_it, message):
    doc = json.loads(AMAZON.read_text())
    break_it(doc)

    with pytest.raises(TranscriptError, match=re.escape(message)):
        parse_transcript(json.dumps(doc), filename="amazon.json")


def test_whisper_json_with_words_that_are_no_list_is_refused_saying_where():
    doc = json.loads(WHISPER.read_text())
    doc["segments"][1]["words"] = 7

    with pytest.raises(TranscriptError, match="segment 1's words is int, not a list"):
        parse_transcript(json.dumps(doc), filename="jfk.json")


def test_json_of_no_known_shape_names_the_shapes_that_are_read():
    with pytest.raises(TranscriptError, match=r"Amazon Transcribe, Deepgram, AssemblyAI, Whisper, whisper\.cpp"):
        parse_transcript(json.dumps({"jobName": "x", "results": {"transcripts": []}}), filename="odd.json")
