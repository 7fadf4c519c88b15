"""Speech recognition: an audio file becomes a timed transcript, with faster-whisper on the CPU.

Decoding is sequential with VAD on (silence is skipped). faster-whisper's batched pipeline was about
25% faster here but dropped whole chunks of speech on long audio (WER 0.32 against 0.00 on the bundled
clips played back to back), so it is not used. The feed gives the language; its titles and names can steer
the decoder (hotwords, off by default: with tiny.en they made long recordings lose whole sentences). A stereo
recording with one speaker per channel is transcribed channel by channel, and every segment carries a 0-1
confidence that later stages use to hold back garbled text.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from ..config import Settings, get_settings
from ..errors import TranscriptionError
from ..models import Segment, Transcript
from .channels import is_bleed, speaker_channels
from .json_transcripts import whisper_confidence
from .speech_context import SpeechContext, hotwords, language_code
from .whisper_models import load_model

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000


def transcribe(
    audio_path: Path,
    *,
    model: str | None = None,
    context: SpeechContext | None = None,
    settings: Settings | None = None,
    progress: Callable[[float], None] | None = None,
) -> Transcript:
    """Transcribe an audio file into sentence-sized timed segments; progress(fraction) is called as it goes."""
    settings = settings or get_settings()
    label, whisper = load_model(model or settings.podbrief_whisper_model, _threads(settings),
                                settings.podbrief_asr_device)
    channels = _decode(Path(audio_path))
    duration = len(channels[0][1]) / SAMPLE_RATE
    options = _options(settings, context)
    started = time.perf_counter()
    segments: list[Segment] = []
    try:
        # One BLAS thread for the log-Mel features: their sums, and so the text, then come out the same whatever
        # OMP_NUM_THREADS says (Ray sets it to 1 in a worker; on an AVX2 CPU "And so my fellow" became "And so, my
        # fellow"). It is faster too: 3.1 s against 7.9 s for an hour's features on 2 cores. The decoder's threads
        # (PODBRIEF_ASR_THREADS) change nothing in the text.
        with threadpool_limits(limits=1, user_api="blas"):
            for k, (speaker, audio) in enumerate(channels):
                pieces, info = whisper.transcribe(audio, **options)
                reported = _report(pieces, duration, k, len(channels), progress)
                others = [other for _, other in channels if other is not audio]
                segments.extend(_segments(reported, speaker, audio, others))
    except (RuntimeError, ValueError) as exc:
        raise TranscriptionError(f"Whisper failed on {audio_path}: {exc}. Check that the file plays; re-download it.") from exc
    if progress:
        progress(1.0)
    elapsed = time.perf_counter() - started
    log.info("transcribed %s (%d channel(s)): %.1f s of audio in %.1f s (%.1fx real time)",
             audio_path, len(channels), duration, elapsed, duration / elapsed)
    segments.sort(key=lambda s: s.start_s)  # stable: at a tie the left channel reads first
    return Transcript(segments=segments, source="asr", format=label, language=info.language)


def _options(settings: Settings, context: SpeechContext | None) -> dict[str, Any]:
    """faster-whisper's decoding options for these settings and this episode."""
    return {
        "beam_size": settings.podbrief_whisper_beam,
        "vad_filter": settings.podbrief_vad,
        "hotwords": hotwords(context) if context and settings.podbrief_asr_hotwords else None,
        "language": language_code(context),
        "word_timestamps": True,  # per-word probabilities: Whisper's own scores are per 30-second window
    }


def _threads(settings: Settings) -> int:
    return settings.podbrief_asr_threads or len(os.sched_getaffinity(0))


def _decode(audio_path: Path) -> list[tuple[str | None, np.ndarray]]:
    """(speaker, 16 kHz mono float32 samples) per voice track: one for a mix, two for a speaker per channel."""
    import av
    from faster_whisper.audio import decode_audio

    if not audio_path.is_file():
        raise TranscriptionError(f"Audio file {audio_path} does not exist. Download the episode again.")
    try:
        with av.open(str(audio_path), metadata_errors="ignore") as container:
            stereo = container.streams.audio[0].channels == 2
        if stereo:
            channels = speaker_channels(*decode_audio(str(audio_path), sampling_rate=SAMPLE_RATE, split_stereo=True))
        else:
            channels = [(None, decode_audio(str(audio_path), sampling_rate=SAMPLE_RATE))]
    except (av.FFmpegError, IndexError, OSError, ValueError) as exc:  # IndexError: a container with no audio stream
        raise TranscriptionError(
            f"Could not decode {audio_path} as audio ({type(exc).__name__}: {exc}). The file is corrupt or not audio; "
            "check the enclosure URL or download it again."
        ) from exc
    if len(channels[0][1]) == 0:
        raise TranscriptionError(f"{audio_path} holds no audio samples. Check the enclosure URL or download it again.")
    return channels


def _report(pieces: Iterable[Any], duration: float, done: int, total: int,
            progress: Callable[[float], None] | None) -> Iterator[Any]:
    for piece in pieces:
        if progress:
            progress(min(1.0, (done + float(piece.end) / duration) / total))
        yield piece


def _segments(pieces: Iterable[Any], speaker: str | None, audio: np.ndarray, others: list[np.ndarray]) -> Iterator[Segment]:
    """Whisper's own segments (phrase-sized with VAD on), empty ones and other channels' bleed dropped."""
    for piece in pieces:
        start, end = int(piece.start * SAMPLE_RATE), int(piece.end * SAMPLE_RATE)
        if not piece.text.strip() or any(is_bleed(audio, other, start, end) for other in others):
            continue
        words = [float(w.probability) for w in piece.words or []] or [math.exp(min(piece.avg_logprob, 0.0))]
        yield Segment(round(float(piece.start), 2), round(float(piece.end), 2), piece.text.strip(), speaker,
                      whisper_confidence(words, piece.no_speech_prob, piece.compression_ratio))

