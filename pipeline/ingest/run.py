"""The ingestion run: poll feeds, get transcripts (publisher or ASR), extract and embed insights.

Each step commits on its own and the episode's state moves only after its rows are written, so a run
killed at any moment (even `kill -9`) is finished by the next one without losing or duplicating rows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..config import Settings, get_settings
from ..engine.topics import assign_topics
from ..errors import DownloadError, LockedError, PodbriefError, TranscriptError
from ..insights.dedup import merge_copies
from ..insights.embed import embed, embedding_model
from ..insights.extract import extract
from ..lock import ingest_lock
from ..models import Segment, Transcript, TranscriptLink
from ..store import Store, now_iso, sql_eq, sql_in, sql_quote
from . import reach
from .asr_context import EpisodeContext
from .catalog import add_feeds
from .http import Budget, download, fetch
from .poll import poll_feed
from .transcribe import transcribe
from .transcripts import parse_transcript, pick_transcript

log = logging.getLogger(__name__)

SCRATCH = "partial-audio"  # in the store folder: one subfolder per run for audio being downloaded or transcribed
Progress = Callable[[str, int, int, str], None]  # (stage, done, total, item title)


@dataclass
class IngestReport:
    """What one ingestion run did."""

    feeds_polled: int = 0
    feeds_failed: int = 0
    new_episodes: int = 0
    transcribed: int = 0
    extracted: int = 0
    insights: int = 0
    failed: list[str] = field(default_factory=list)  # one line per failure, with the retry command
    feed_errors: list[str] = field(default_factory=list)  # one line per feed whose poll failed

    @property
    def nothing_ingested(self) -> bool:
        """True when there was no feed to poll, or every feed polled failed."""
        return self.feeds_failed == self.feeds_polled


def ingest(
    store: Store,
    *,
    feeds: list[str] | None = None,
    max_new: int | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """One pass: poll all feeds (or the named ones, adding new ones), transcribe, extract and embed."""
    settings = settings or get_settings()
    max_new = settings.podbrief_max_new if max_new is None else max_new
    report = IngestReport()
    with ingest_lock(store), run_scratch(store) as scratch:
        named = add_feeds(store, feeds) if feeds else store.rows("feeds")
        targets = [f for f in named if not f["paused"] and not f["removed_at"]]
        for i, feed in enumerate(targets):
            _tick(progress, "poll", i, len(targets), feed["title"] or feed["url"])
            added = poll_feed(store, feed, max_new=max_new, settings=settings)
            if added is None:
                report.feeds_failed += 1
                error = (store.rows("feeds", sql_eq("feed_id", feed["feed_id"]), columns=["last_error"]) or [{}])[0]
                report.feed_errors.append(f"{feed['url']}: {error.get('last_error')}")
            report.new_episodes += added or 0
        report.feeds_polled = len(targets)
        _tick(progress, "poll", len(targets), len(targets), "")
        scope = {f["feed_id"] for f in targets}
        transcribe_into = functools.partial(_transcribe_episode, scratch=scratch)
        _run_stage(store, "new", "transcribe", scope, settings, progress, report, transcribe_into)
        _run_stage(store, "transcribed", "extract", scope, settings, progress, report, _extract_episode)
        store.optimize()
    return report


@contextmanager
def run_scratch(store: Store) -> Iterator[Path]:
    """A fresh folder for this run's audio files, removed on exit; leftovers of killed runs are removed on entry.

    Called under the ingestion lock, so no other run can be using the folders it clears.
    """
    root = store.path / SCRATCH
    shutil.rmtree(root, ignore_errors=True)
    folder = root / f"run-{os.getpid()}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(root, ignore_errors=True)


def watch(store: Store, *, every_s: float, settings: Settings | None = None, progress: Progress | None = None,
          on_report: Callable[[IngestReport], None] | None = None, rounds: int | None = None) -> None:
    """Run `ingest` every `every_s` seconds until stopped (or for `rounds` rounds)."""
    done = 0
    while rounds is None or done < rounds:
        try:
            report = ingest(store, settings=settings, progress=progress)
            if on_report:
                on_report(report)
        except LockedError as exc:
            log.warning("%s Skipping this round.", exc)
        done += 1
        if rounds is None or done < rounds:
            time.sleep(every_s)


def _tick(progress: Progress | None, stage: str, done: int, total: int, item: str) -> None:
    if progress:
        progress(stage, done, total, item)


def _due(store: Store, status: str, stage: str, scope: set[str], settings: Settings) -> list[dict]:
    """Episodes waiting in `status`, plus failed ones of this stage whose backoff has passed."""
    where = f"({sql_eq('status', status)} OR ({sql_eq('status', 'failed')} AND {sql_eq('failed_stage', stage)} "
    where += f"AND attempts < {int(settings.podbrief_max_attempts)} AND next_attempt_at <= {sql_quote(now_iso())}))"
    where += " AND " + sql_in("feed_id", scope)
    return sorted(store.rows("episodes", where), key=lambda e: e["published"] or "", reverse=True)


def _run_stage(store: Store, status: str, stage: str, scope: set[str], settings: Settings, progress: Progress | None,
               report: IngestReport, work: Callable[[Store, dict, Settings], int]) -> None:
    episodes = _due(store, status, stage, scope, settings)
    for i, episode in enumerate(episodes):
        _tick(progress, stage, i, len(episodes), episode["title"])
        try:
            count = work(store, episode, settings)
        except PodbriefError as exc:
            report.failed.append(_record_failure(store, episode, stage, exc, settings))
            continue
        if stage == "transcribe":
            report.transcribed += 1
        else:
            report.extracted += 1
            report.insights += count
    _tick(progress, stage, len(episodes), len(episodes), "")


def _record_failure(store: Store, episode: dict, stage: str, exc: Exception, settings: Settings) -> str:
    attempts = (episode["attempts"] or 0) + 1
    delay = settings.podbrief_retry_base_s * 2 ** (attempts - 1)
    store.update("episodes", episode["episode_id"], {
        "status": "failed", "failed_stage": stage, "error": str(exc), "attempts": attempts,
        "next_attempt_at": (datetime.now(UTC) + timedelta(seconds=delay)).replace(microsecond=0).isoformat(),
        "updated_at": now_iso(),
    })
    log.warning("%s failed on %r: %s", stage, episode["title"], exc)
    return (f"{episode['title']}: {exc} (attempt {attempts}/{settings.podbrief_max_attempts}; "
            f"retry now with: python -m pipeline retry --episode {episode['episode_id']})")


def _transcribe_episode(store: Store, episode: dict, settings: Settings, *, scratch: Path) -> int:
    access = _found_in_feed(store, episode["feed_id"], settings)
    rejected: list[str] = []
    transcript = _publisher_transcript(episode, access, settings, rejected) or _asr_transcript(
        store, episode, access, settings, scratch, rejected)
    eid = episode["episode_id"]
    store.delete("segments", sql_eq("episode_id", eid))
    store.upsert("segments", [
        {"segment_id": f"{eid}:{i:05d}", "episode_id": eid, "feed_id": episode["feed_id"], "idx": i,
         "start_s": s.start_s, "end_s": s.end_s, "text": s.text, "speaker": s.speaker, "confidence": s.confidence}
        for i, s in enumerate(transcript.segments)
    ])
    store.update("episodes", eid, {
        "status": "transcribed", "transcript_source": transcript.source, "transcript_format": transcript.format,
        "duration_s": episode["duration_s"] or transcript.duration_s, "error": None, "failed_stage": None,
        "attempts": 0, "updated_at": now_iso(),
    })
    return len(transcript.segments)


def _found_in_feed(store: Store, feed_id: str, settings: Settings) -> reach.Access:
    """What the links inside this feed may reach (see reach.py)."""
    feed = (store.rows("feeds", sql_eq("feed_id", feed_id), columns=["url", "added_via"]) or [None])[0]
    if feed is None:
        raise DownloadError("The feed of this episode was removed, so nothing it links to is fetched.")
    return reach.inside(feed["url"], reach.feed_access(feed["added_via"], settings))


def _publisher_transcript(episode: dict, access: reach.Access, settings: Settings, rejected: list[str]) -> Transcript | None:
    """The first of the episode's transcript links that fetches and parses; why each other one failed goes to rejected."""
    links = [TranscriptLink(**t) for t in json.loads(episode["transcripts"] or "[]")]
    for link in pick_transcript(links):
        try:
            got = fetch(link.url, access=access, budget=Budget.transcript(settings))
            return parse_transcript(got.content, content_type=link.type or got.content_type, filename=link.url)
        except (DownloadError, TranscriptError) as exc:
            rejected.append(str(exc))
            log.warning("transcript %s of %r unusable (%s); trying the next source", link.url, episode["title"], exc)
    return None


def _asr_transcript(store: Store, episode: dict, access: reach.Access, settings: Settings, scratch: Path,
                    rejected: list[str]) -> Transcript:
    if not episode["audio_url"]:
        why = f" Its transcript was rejected: {' / '.join(rejected)}" if rejected else ""
        raise TranscriptError(
            f"Episode {episode['title']!r} has no usable transcript and no audio enclosure to transcribe.{why}")
    feeds = store.rows("feeds", sql_eq("feed_id", episode["feed_id"]), columns=["title", "language"])
    context = EpisodeContext.of(feeds[0] if feeds else {}, episode)
    path = download(episode["audio_url"], scratch, access=access, budget=Budget.audio(settings))
    try:
        return transcribe(path, settings=settings, context=context)
    finally:
        _keep_or_delete(path, episode["episode_id"], settings)


def _keep_or_delete(path: Path, episode_id: str, settings: Settings) -> None:
    """With PODBRIEF_KEEP_AUDIO, move the audio to the audio folder as <episode id><suffix>; else delete it."""
    if settings.podbrief_keep_audio:
        audio_dir = Path(settings.podbrief_audio_dir)
        audio_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(path, audio_dir / f"{episode_id}{path.suffix}")
    else:
        path.unlink(missing_ok=True)


def _extract_episode(store: Store, episode: dict, settings: Settings) -> int:
    eid = episode["episode_id"]
    segments = [Segment(r["start_s"], r["end_s"], r["text"], r["speaker"], r["confidence"])
                for r in sorted(store.rows("segments", sql_eq("episode_id", eid)), key=lambda r: r["idx"])]
    transcript = Transcript(segments, source=episode["transcript_source"] or "publisher",
                            format=episode["transcript_format"] or "")
    feed = store.rows("feeds", sql_eq("feed_id", episode["feed_id"]), columns=["title"])
    result = extract(transcript, settings=settings, cache_dir=store.path.parent / "cache" / "llm",
                     title=episode["title"] or "", description=episode["description"] or "",
                     feed_title=next((f["title"] or "" for f in feed), ""))
    model, dim = embedding_model(settings)
    store.insights_table(model, dim)
    vectors = embed([i.text for i in result.insights], settings=settings)
    stamp = now_iso()
    rows = [
        {"insight_id": insight_id(eid, ins.quote, ins.start_s), "episode_id": eid, "feed_id": episode["feed_id"],
         "published": episode["published"], "text": ins.text, "quote": ins.quote, "start_s": ins.start_s,
         "end_s": ins.end_s, "extractor": ins.extractor, "score": ins.score, "vector": vec.tolist(),
         "topic_id": None, "x": None, "y": None, "created_at": stamp, "headline": ins.headline or None,
         "flags": list(ins.flags), "also_on": []}
        for ins, vec in zip(result.insights, vectors, strict=True)
    ]
    rows = merge_copies(store, eid, rows)
    store.delete("insights", sql_eq("episode_id", eid))
    store.upsert("insights", rows)
    assign_topics(store, [r["insight_id"] for r in rows if not r["flags"]])
    store.update("episodes", eid, {
        "status": "extracted", "extractor": result.extractor, "extract_note": result.note,
        "tokens": result.tokens, "error": None, "failed_stage": None, "attempts": 0, "updated_at": stamp,
    })
    return len(rows)


def insight_id(episode_id: str, quote: str, start_s: float) -> str:
    """The stable id of an insight: its episode, where it starts and what it quotes."""
    return hashlib.sha1(f"{episode_id}|{start_s:.1f}|{quote}".encode()).hexdigest()[:16]
