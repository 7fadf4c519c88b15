"""Real ASR with the bundled tiny.en model on real speech, plus the errors users see."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.errors import TranscriptionError
from pipeline.ingest.transcribe import transcribe
from pipeline.ingest.wer import normalize_words, wer

AUDIO = Path(__file__).parent / "fixtures" / "audio"
MAX_WER = 0.15
SETTINGS = Settings()  # defaults, whatever the environment says: bundled model, VAD on, beam 5


def _reference(name: str) -> str:
    with (AUDIO / "REFERENCES.tsv").open(encoding="utf-8") as fh:
        return next(row["reference_text"] for row in csv.DictReader(fh, delimiter="\t") if row["file"] == name)


@pytest.mark.parametrize("name", ["jfk.flac", "librispeech_2412-153948-0000.flac"])
def test_transcribes_real_speech_within_wer(name: str) -> None:
    seen: list[float] = []
    transcript = transcribe(AUDIO / name, settings=SETTINGS, progress=seen.append)
    assert wer(_reference(name), transcript.text) < MAX_WER, transcript.text
    assert (transcript.source, transcript.format, transcript.language) == ("asr", "tiny.en", "en")
    assert len(seen) >= 2 and seen == sorted(seen) and seen[0] < seen[-1] == 1.0 and seen[0] > 0
    starts = [s.start_s for s in transcript.segments]
    assert starts == sorted(starts)
    assert all(0 <= s.start_s < s.end_s <= 12.0 and s.text == s.text.strip() for s in transcript.segments)


def test_segments_are_timed_in_order_at_phrase_boundaries() -> None:
    transcript = transcribe(AUDIO / "librispeech_2412-153948-0000.flac", settings=SETTINGS)
    assert len(transcript.segments) >= 2
    for earlier, later in zip(transcript.segments, transcript.segments[1:], strict=False):
        assert earlier.end_s <= later.start_s
    last = transcript.segments[-1]
    assert normalize_words(last.text)[:2] == ["the", "narrative"]  # the second sentence starts a segment
    assert 7.0 < last.start_s < 9.5


def test_sequential_decoding_without_vad() -> None:
    transcript = transcribe(AUDIO / "jfk.flac", settings=Settings(podbrief_vad=False, podbrief_asr_threads=1))
    assert wer(_reference("jfk.flac"), transcript.text) < MAX_WER, transcript.text


def test_corrupt_audio_is_a_transcription_error(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.flac"
    truncated.write_bytes((AUDIO / "jfk.flac").read_bytes()[:3000])
    with pytest.raises(TranscriptionError, match=r"Could not decode .*truncated\.flac as audio .* corrupt or not audio"):
        transcribe(truncated, settings=SETTINGS)


@pytest.mark.parametrize("content", [b"", b"<html><body>Not found</body></html>"])
def test_non_audio_is_a_transcription_error(tmp_path: Path, content: bytes) -> None:
    fake = tmp_path / "episode.mp3"
    fake.write_bytes(content)
    with pytest.raises(TranscriptionError, match=r"Could not decode .*episode\.mp3 as audio"):
        transcribe(fake, settings=SETTINGS)


def test_missing_audio_file(tmp_path: Path) -> None:
    with pytest.raises(TranscriptionError, match=r"Audio file .*gone\.mp3 does not exist"):
        transcribe(tmp_path / "gone.mp3", settings=SETTINGS)


def test_uncached_model_name_says_to_set_a_local_path() -> None:
    with pytest.raises(TranscriptionError,
                       match=r"'podbrief-test/no-such-model' is not bundled, not a local path .*PODBRIEF_WHISPER_MODEL"):
        transcribe(AUDIO / "jfk.flac", model="podbrief-test/no-such-model", settings=SETTINGS)


def test_missing_model_directory(tmp_path: Path) -> None:
    with pytest.raises(TranscriptionError, match=r"model directory .*/nowhere does not exist\. Set PODBRIEF_WHISPER_MODEL"):
        transcribe(AUDIO / "jfk.flac", model=str(tmp_path / "nowhere"), settings=SETTINGS)


def test_directory_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(TranscriptionError, match=r"could not be loaded: .*model\.bin"):
        transcribe(AUDIO / "jfk.flac", settings=Settings(podbrief_whisper_model=str(tmp_path)))


def test_wer_normalises_case_and_punctuation() -> None:
    assert wer("And so, my fellow Americans!", "and so my fellow americans") == 0.0
    assert wer("ask not what your country", "ask what your county") == pytest.approx(2 / 5)
    assert wer("don't stop", "Don’t stop now") == pytest.approx(1 / 2)
    assert (wer("", ""), wer("", "noise")) == (0.0, 1.0)
