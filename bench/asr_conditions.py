"""ASR accuracy and speed: plain faster-whisper against Podbrief's setup, on clean and degraded copies of real clips.

The degraded copies are made here, deterministically (numpy with a fixed seed, PyAV for resampling):
- "8 kHz": each channel resampled to 8 kHz (narrow-band, telephone-like) and stored as an 8 kHz WAV;
- "noise": pink noise mixed into each channel at an SNR drawn per clip from 5-10 dB.
Every setup but the baseline transcribes speaker-per-channel stereo by channel and takes the language from
the feed; the others differ in model and in whether the feed's names are given as hotwords.
"""

from __future__ import annotations

import csv
import re
import sys
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from faster_whisper import decode_audio

from pipeline.config import Settings
from pipeline.ingest.speech_context import SpeechContext
from pipeline.ingest.transcribe import transcribe
from pipeline.ingest.wer import normalize_words, word_errors
from pipeline.ingest.whisper_models import BASE, DEFAULT_MODEL, TINY, load_model
from pipeline.models import Segment, Transcript

SAMPLE_RATE = 16_000
SEED = 20_260_213
SNR_DB = (5.0, 10.0)
CONDITIONS = ("clean", "8 kHz", "noise 5-10 dB")
SHOW = "Public Domain Speech Clips"
# What a feed would say about each clip: the demo feed's own words where it has the clip (data/samples/feeds/
# speech-clips.xml), else the title and source of the recording. Never the reference text.
CONTEXTS = {
    "jfk.flac": ("John F. Kennedy: inaugural address (excerpt)",
                 '"Ask not what your country can do for you", 20 January 1961.'),
    "librispeech_2412-153948-0000.flac": ("Erewhon, chapter 1 (LibriSpeech reading)",
                                          "The opening sentence of Samuel Butler's Erewhon, read for LibriVox."),
    "librivox_sense_and_sensibility_0870.wav": ("Sense and Sensibility, chapter 1", "Jane Austen, read for LibriVox."),
    "librivox_sense_and_sensibility_0880.wav": ("Sense and Sensibility, chapter 1", "Jane Austen, read for LibriVox."),
    "harvard_sentences_osr0010_44k.flac": ("Harvard sentences", "Open Speech Repository, American English."),
    "ljspeech_LJ002-0020.wav": ("LJ Speech", "A public-domain non-fiction reading."),
    "stereo_diarization.wav": ("Two voices", "Two speakers recorded one per channel."),
}


@dataclass(frozen=True)
class Clip:
    """One reference clip: its file, duration, reference words and the feed-like context it would come with."""

    path: Path
    seconds: float
    reference: str
    context: SpeechContext


# Decoding options tried on plain faster-whisper tiny.en (bench/ingest.py --sweep), clips only.
SWEEP: dict[str, dict[str, object]] = {
    "VAD threshold 0.35, 300 ms padding": {"vad_parameters": {"threshold": 0.35, "speech_pad_ms": 300}},
    "beam patience 2": {"patience": 2.0},
    "stricter fallback (log-prob -0.8, compression 2.2)": {"log_prob_threshold": -0.8, "compression_ratio_threshold": 2.2},
    "no-speech threshold 0.4": {"no_speech_threshold": 0.4},
    "no 3-gram repeats": {"no_repeat_ngram_size": 3},
}


@dataclass(frozen=True)
class Setup:
    """One way to transcribe: a name, a function (path, context) -> text, and whether it runs the long-form test."""

    name: str
    run: Callable[[Path, SpeechContext], Transcript]
    long_form: bool = False


def clips(folder: Path) -> list[Clip]:
    """The clips of a REFERENCES.tsv folder; "LEFT:"/"RIGHT:" channel labels in a reference are not speech."""
    with (folder / "REFERENCES.tsv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [Clip(folder / row["file"], float(row["duration_s"]), re.sub(r"\b(?:LEFT|RIGHT):|\|", " ", row["reference_text"]),
                 SpeechContext(SHOW, *CONTEXTS.get(row["file"], ("", "")), language="en-us"))
            for row in rows]


def degrade(source: list[Clip], folder: Path) -> dict[str, list[Clip]]:
    """The clips in each condition, written under `folder` as WAV files (channels kept apart)."""
    rng = np.random.default_rng(SEED)
    out: dict[str, list[Clip]] = {"clean": source, "8 kHz": [], "noise 5-10 dB": []}
    for clip in source:
        channels = _channels(clip.path, SAMPLE_RATE)
        narrow = folder / "8k" / f"{clip.path.stem}.wav"
        _write(narrow, _channels(clip.path, 8000), 8000)
        snr = rng.uniform(*SNR_DB)
        noisy = folder / "noise" / f"{clip.path.stem}.wav"
        _write(noisy, [_with_noise(c, snr, rng) for c in channels], SAMPLE_RATE)
        out["8 kHz"].append(Clip(narrow, clip.seconds, clip.reference, clip.context))
        out["noise 5-10 dB"].append(Clip(noisy, clip.seconds, clip.reference, clip.context))
    return out


def setups(threads: int, beam: int, *, sweep: bool = False) -> list[Setup]:
    """Plain faster-whisper (the baseline), then Podbrief's transcribe() adding one idea at a time (the last: defaults).

    With `sweep`, plain faster-whisper with each of SWEEP's decoding options as well.
    """
    settings = Settings(podbrief_asr_threads=threads, podbrief_whisper_beam=beam)

    def plain(**options: object) -> Callable[[Path, SpeechContext], Transcript]:
        def run(path: Path, _: SpeechContext) -> Transcript:
            _, whisper = load_model("tiny.en", threads)
            audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
            pieces, _ = whisper.transcribe(audio, beam_size=beam, vad_filter=True, **options)
            return Transcript([Segment(p.start, p.end, p.text.strip()) for p in pieces], "asr", "tiny.en")
        return run

    def ours(model: str | None, with_hotwords: bool = False) -> Callable[[Path, SpeechContext], Transcript]:
        chosen = replace(settings, podbrief_asr_hotwords=with_hotwords)

        def run(path: Path, context: SpeechContext) -> Transcript:
            return transcribe(path, model=model, context=context, settings=chosen)
        return run

    swept = [Setup(f"plain tiny.en, {name}", plain(**options)) for name, options in SWEEP.items()] if sweep else []
    other = BASE if DEFAULT_MODEL == TINY else TINY
    return [
        Setup("plain faster-whisper tiny.en", plain(), True),
        *swept,
        Setup("tiny.en, channels, feed hotwords", ours(TINY, with_hotwords=True), True),
        Setup("base, channels, feed hotwords", ours(BASE, with_hotwords=True)),
        Setup(f"{other}, channels", ours(other), True),
        Setup(f"Podbrief default: {DEFAULT_MODEL}, channels", ours(None), True),
    ]


def measure(setup: Setup, condition: list[Clip], scored: list[tuple[float, float]]) -> dict[str, float]:
    """Pooled WER over the clips (errors / reference words), the worst clip, and audio seconds per wall second.

    Each clip's (mean segment confidence, WER) is appended to `scored` when the setup scores its segments.
    """
    errors = words = 0
    worst = 0.0
    wall = 0.0
    for clip in condition:
        started = time.perf_counter()
        transcript = setup.run(clip.path, clip.context)
        wall += time.perf_counter() - started
        ref = normalize_words(clip.reference)
        wrong = word_errors(ref, normalize_words(transcript.text))
        errors, words, worst = errors + wrong, words + len(ref), max(worst, wrong / len(ref))
        trust = _mean_confidence(transcript)
        if trust is not None:
            scored.append((trust, wrong / len(ref)))
        print(f"  {setup.name} | {clip.path.name}: WER {wrong / len(ref):.3f}, confidence {trust} "
              f"{transcript.text!r}", file=sys.stderr)
    seconds = sum(c.seconds for c in condition)
    return {"wer": round(errors / words, 3), "worst_clip_wer": round(worst, 3), "x_real_time": round(seconds / wall, 1)}


def calibration(scored: list[tuple[float, float]], threshold: float) -> dict[str, float]:
    """How segment confidence tracks errors over clips: correlation, and WER below and above `threshold`."""
    trust, errors = np.array(scored).T
    low, high = errors[trust < threshold], errors[trust >= threshold]
    return {"clips": len(scored), "pearson_r": round(float(np.corrcoef(trust, errors)[0, 1]), 2), "threshold": threshold,
            "clips_below": len(low), "mean_wer_below": round(float(low.mean()), 3) if len(low) else None,
            "mean_wer_at_or_above": round(float(high.mean()), 3) if len(high) else None}


def _mean_confidence(transcript: Transcript) -> float | None:
    """Word-weighted mean confidence of the segments, or None when they carry none."""
    pairs = [(len(s.text.split()), s.confidence) for s in transcript.segments if s.confidence is not None]
    total = sum(words for words, _ in pairs)
    return round(sum(words * c for words, c in pairs) / total, 3) if total else None


def long_form(setup: Setup, condition: list[Clip], repeats: int, folder: Path) -> dict[str, float]:
    """WER and speed on the clips of a condition played back to back `repeats` times, as one long mono episode.

    Podcasts are long and Whisper encodes 30-second windows, so a 3-second clip alone costs as much as 30 seconds
    of speech: this is the speed that plans an hour of audio.
    """
    pause = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    joined = np.concatenate([part for _ in range(repeats) for clip in condition
                             for part in (decode_audio(str(clip.path), sampling_rate=SAMPLE_RATE), pause)])
    path = folder / f"joined-{condition[0].path.parent.name}.wav"
    _write(path, [joined], SAMPLE_RATE)
    context = SpeechContext(SHOW, "Clips played back to back", " ".join(c.context.title + "." for c in condition), "en-us")
    started = time.perf_counter()
    text = setup.run(path, context).text
    wall = time.perf_counter() - started
    print(f"  {setup.name} | long form: {text.strip()!r}", file=sys.stderr)
    ref = normalize_words(" ".join(clip.reference for _ in range(repeats) for clip in condition))
    seconds = len(joined) / SAMPLE_RATE
    return {"wer": round(word_errors(ref, normalize_words(text)) / len(ref), 3), "x_real_time": round(seconds / wall, 1),
            "audio_s": round(seconds)}


def _channels(path: Path, rate: int) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        stereo = container.streams.audio[0].channels == 2
    return list(decode_audio(str(path), sampling_rate=rate, split_stereo=True)) if stereo else [
        decode_audio(str(path), sampling_rate=rate)]


def _with_noise(signal: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """The signal plus pink (1/f) noise at snr_db below its mean power, scaled back into [-1, 1] if it clips."""
    spectrum = np.fft.rfft(rng.standard_normal(len(signal)))
    frequencies = np.fft.rfftfreq(len(signal))
    frequencies[0] = frequencies[1]
    pink = np.fft.irfft(spectrum / np.sqrt(frequencies), len(signal))
    pink *= np.sqrt(np.mean(signal.astype(np.float64) ** 2) / np.mean(pink**2) / 10 ** (snr_db / 10))
    mixed = signal + pink
    return (mixed / max(1.0, float(np.abs(mixed).max()))).astype(np.float32)


def _write(path: Path, channels: list[np.ndarray], rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = np.stack([np.clip(c, -1, 1) for c in channels], axis=1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(len(channels))
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((frames * 32767).astype("<i2").tobytes())
