"""The LLM reply cache: one JSON file per (transcript, episode context, model, prompt version), so a rerun costs nothing."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from ..models import ExtractedInsight, Transcript
from .gates import EpisodeContext

if TYPE_CHECKING:
    from .llm import LLMResult

log = logging.getLogger(__name__)


def cache_file(cache_dir: Path | None, transcript: Transcript, context: EpisodeContext, model: str,
               prompt_version: str) -> Path | None:
    """Where the reply for this transcript, context, model and prompt version is cached (None: no cache)."""
    if cache_dir is None:
        return None
    segments = [[s.start_s, s.end_s, s.text, s.speaker] for s in transcript.segments]
    about = [context.title, context.description, context.feed_title] + [[c.start_s, c.title] for c in context.chapters]
    transcript_hash = hashlib.sha256(json.dumps([segments, about]).encode()).hexdigest()
    key = hashlib.sha256(f"{transcript_hash}\n{model}\n{prompt_version}".encode()).hexdigest()
    return Path(cache_dir) / f"llm-{key[:32]}.json"


def read_cache(path: Path | None) -> LLMResult | None:
    """The cached result, or None when there is none or it cannot be read."""
    from .llm import LLMResult

    if path is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        insights = [ExtractedInsight(**{**x, "flags": tuple(x.get("flags", ()))}) for x in data.pop("insights")]
        return LLMResult(insights=insights, cache_hit=True, **data)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("Ignoring the unreadable LLM cache file %s (%s); asking the model again", path, exc)
        return None


def write_cache(path: Path | None, result: LLMResult) -> None:
    """Store a result (atomically: a reader never sees half a file)."""
    if path is None:
        return
    data = asdict(result)
    data.pop("cache_hit")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("Could not write the LLM cache file %s (%s); the next run will ask the model again", path, exc)
