"""The ingestion run: poll feeds, get transcripts (publisher or ASR), extract and embed insights.

An episode's work is one function, `process_episode`: from the episode's row to the rows to store (segments,
insights with vectors). It reads the store but writes nothing. An executor runs it for every due episode, here
in turn (`run_here`) or as Ray tasks (`distributed.run_on_ray`), and this process, the driver, writes what comes
back, assigns topics and moves the episode's state. Every write is a merge on stable ids and the state moves
only after the rows are written, so a run killed at any moment (even `kill -9`, of the driver or of a worker)
is finished by the next one without losing or duplicating rows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..config import Settings, get_settings
from ..engine.day_counts import refresh_day_counts
from ..engine.history import fill_history
from ..engine.topics import assign_topics
from ..errors import DownloadError, LockedError, PodbriefError, TranscriptError
from ..insights.dedup import merge_copies
from ..insights.embed import embed, embedding_model, reusing_vectors
from ..insights.extract import extract
from ..lock import ingest_lock
from ..models import Chapter, Segment, Transcript, TranscriptLink
from ..store import Progress, Store, now_iso, sql_eq, sql_in, sql_quote
from . import reach
from .catalog import add_feeds
from .chapters import chapters_json, parse_chapters, stored_chapters
from .http import Budget, download, fetch
from .poll import poll_feed
from .speech_context import SpeechContext
from .transcribe import transcribe
from .transcripts import parse_transcript, pick_transcript

log = logging.getLogger(__name__)

SCRATCH = "partial-audio"  # in the store's working folder: one subfolder per run for audio being downloaded or transcribed
Executor = Callable[[Store, list[dict], Settings], Iterator["EpisodeOutcome"]]  # runs process_episode over episodes


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


@dataclass
class EpisodeOutcome:
    """What one episode's work produced: the rows to store, or the stage that failed and why."""

    episode: dict
    segments: list[dict] | None = None  # set when this work transcribed the episode
    transcribed: dict = field(default_factory=dict)  # the episode's columns that transcription sets
    insights: list[dict] | None = None
    extracted: dict = field(default_factory=dict)  # the episode's columns that extraction sets
    embedding: tuple[str, int] = ("", 0)  # (model, dimension) of the insights' vectors
    failed_stage: str | None = None
    error: str | None = None


def ingest(
    store: Store,
    *,
    feeds: list[str] | None = None,
    max_new: int | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> IngestReport:
    """One pass: poll all feeds (or the named ones, adding new ones), then transcribe, extract and embed every due
    episode with the executor (`run_here` unless given, e.g. `distributed.run_on_ray`)."""
    settings = settings or get_settings()
    max_new = settings.podbrief_max_new if max_new is None else max_new
    report = IngestReport()
    with ingest_lock(store, settings) as lock, run_scratch(store) as scratch:
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
        episodes = _due(store, {f["feed_id"] for f in targets}, settings)
        run = executor or functools.partial(run_here, scratch=scratch)
        for i, outcome in enumerate(run(store, episodes, settings)):
            lock.check()  # a lease lost on an object store: stop before writing over another run
            _store_outcome(store, outcome, settings, report)
            _tick(progress, "episodes", i + 1, len(episodes), outcome.episode["title"])
        _tick(progress, "episodes", len(episodes), len(episodes), "")
        fill_history(store)
        store.optimize()
        refresh_day_counts(store)  # after optimize: the counts are stamped with the tables' final versions
    return report


@contextmanager
def run_scratch(store: Store) -> Iterator[Path]:
    """A fresh local folder for this run's audio files, removed on exit; leftovers of killed runs are removed on entry.

    Called under the ingestion lock, so no other run on this store can be using the folders it clears.
    """
    root = store.work_dir / SCRATCH
    shutil.rmtree(root, ignore_errors=True)
    folder = root / f"run-{os.getpid()}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(root, ignore_errors=True)


def run_here(store: Store, episodes: list[dict], settings: Settings, *, scratch: Path) -> Iterator[EpisodeOutcome]:
    """The in-process executor: each episode's work in turn, in this process, with audio in `scratch`."""
    for episode in episodes:
        yield process_episode(store, episode, settings, scratch=scratch)


def process_episode(store: Store, episode: dict, settings: Settings, *, scratch: Path | None = None) -> EpisodeOutcome:
    """An episode's work, from its row to the rows to store: its transcript unless it has one, then its insights and
    their vectors. Reads the store, writes nothing; a PodbriefError comes back as the failed stage. Audio goes to
    `scratch`, or (a Ray worker) to a temporary folder of its own."""
    if scratch is None:
        with tempfile.TemporaryDirectory(prefix="podbrief-audio-") as tmp:
            return process_episode(store, episode, settings, scratch=Path(tmp))
    outcome = EpisodeOutcome(episode)
    stage = "transcribe" if needs_transcript(episode) else "extract"
    try:
        if stage == "transcribe":
            outcome.segments, outcome.transcribed = _transcribe_episode(store, episode, settings, scratch=scratch)
            stage = "extract"
            segments = outcome.segments
        else:
            segments = store.rows("segments", sql_eq("episode_id", episode["episode_id"]))
        outcome.insights, outcome.extracted, outcome.embedding = _extract_episode(
            store, {**episode, **outcome.transcribed}, segments, settings)
    except PodbriefError as exc:
        outcome.failed_stage, outcome.error = stage, str(exc)
    return outcome


def needs_transcript(episode: dict) -> bool:
    """True if the episode has no stored transcript yet (new, or its transcription failed)."""
    return episode["status"] == "new" or (episode["status"] == "failed" and episode["failed_stage"] == "transcribe")


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


def _due(store: Store, scope: set[str], settings: Settings) -> list[dict]:
    """Episodes waiting for a transcript or insights, plus failed ones whose backoff has passed; newest first."""
    where = f"({sql_in('status', ['new', 'transcribed'])} OR ({sql_eq('status', 'failed')} "
    where += f"AND attempts < {int(settings.podbrief_max_attempts)} AND next_attempt_at <= {sql_quote(now_iso())}))"
    where += " AND " + sql_in("feed_id", scope)
    return sorted(store.rows("episodes", where), key=lambda e: e["published"] or "", reverse=True)


def _store_outcome(store: Store, outcome: EpisodeOutcome, settings: Settings, report: IngestReport) -> None:
    """Write an episode's rows, then move its state: a crash in between only makes the next run redo the work."""
    episode, eid = outcome.episode, outcome.episode["episode_id"]
    if outcome.segments is not None:
        store.delete("segments", sql_eq("episode_id", eid))
        store.upsert("segments", outcome.segments)
        store.update("episodes", eid, {"status": "transcribed", **outcome.transcribed, "error": None,
                                       "failed_stage": None, "attempts": 0, "updated_at": now_iso()})
        episode = {**episode, "attempts": 0}
        report.transcribed += 1
    if outcome.insights is not None:
        store.insights_table(*outcome.embedding)
        rows = merge_copies(store, eid, outcome.insights)  # here, on the driver: it sees what this run stored so far
        store.delete("insights", sql_eq("episode_id", eid))
        store.upsert("insights", rows)
        assign_topics(store, [r["insight_id"] for r in rows])  # held-back ones too: Explore shows them, and why
        store.update("episodes", eid, {"status": "extracted", **outcome.extracted, "error": None, "failed_stage": None,
                                       "attempts": 0, "updated_at": now_iso()})
        report.extracted += 1
        report.insights += len(rows)
    if outcome.failed_stage:
        report.failed.append(_record_failure(store, episode, outcome.failed_stage, outcome.error or "", settings))


def _record_failure(store: Store, episode: dict, stage: str, error: str, settings: Settings) -> str:
    attempts = (episode["attempts"] or 0) + 1
    delay = settings.podbrief_retry_base_s * 2 ** (attempts - 1)
    store.update("episodes", episode["episode_id"], {
        "status": "failed", "failed_stage": stage, "error": error, "attempts": attempts,
        "next_attempt_at": (datetime.now(UTC) + timedelta(seconds=delay)).replace(microsecond=0).isoformat(),
        "updated_at": now_iso(),
    })
    log.warning("%s failed on %r: %s", stage, episode["title"], error)
    return (f"{episode['title']}: {error} (attempt {attempts}/{settings.podbrief_max_attempts}; "
            f"retry now with: python -m pipeline retry --episode {episode['episode_id']})")


def _transcribe_episode(store: Store, episode: dict, settings: Settings, *, scratch: Path) -> tuple[list[dict], dict]:
    """The episode's segment rows, and its columns that record where the transcript came from."""
    access = _found_in_feed(store, episode["feed_id"], settings)
    rejected: list[str] = []
    transcript = _publisher_transcript(episode, access, settings, rejected) or _asr_transcript(
        store, episode, access, settings, scratch, rejected)
    eid = episode["episode_id"]
    rows = [
        {"segment_id": f"{eid}:{i:05d}", "episode_id": eid, "feed_id": episode["feed_id"], "idx": i,
         "start_s": s.start_s, "end_s": s.end_s, "text": s.text, "speaker": s.speaker, "confidence": s.confidence}
        for i, s in enumerate(transcript.segments)
    ]
    chapters = _chapters(episode, access, settings)
    return rows, {"transcript_source": transcript.source, "transcript_format": transcript.format,
                  "duration_s": episode["duration_s"] or transcript.duration_s,
                  "chapters": chapters_json(chapters) if chapters else None}


def _chapters(episode: dict, access: reach.Access, settings: Settings) -> list[Chapter]:
    """The episode's chapters from its `<podcast:chapters>` file; none (and a warning) when it has none or it fails."""
    url = episode.get("chapters_url")
    if not url:
        return []
    try:
        return parse_chapters(fetch(url, access=access, budget=Budget.transcript(settings)).content)
    except (DownloadError, TranscriptError) as exc:
        log.warning("chapters %s of %r unusable (%s); extracting without them", url, episode["title"], exc)
        return []


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
    context = SpeechContext.of(feeds[0] if feeds else {}, episode)
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


def _extract_episode(store: Store, episode: dict, segment_rows: list[dict],
                     settings: Settings) -> tuple[list[dict], dict, tuple[str, int]]:
    """The episode's insight rows with vectors, its columns that record the extraction, and the (model, dimension)."""
    eid = episode["episode_id"]
    segments = [Segment(r["start_s"], r["end_s"], r["text"], r["speaker"], r.get("confidence"))
                for r in sorted(segment_rows, key=lambda r: r["idx"])]
    transcript = Transcript(segments, source=episode["transcript_source"] or "publisher",
                            format=episode["transcript_format"] or "")
    feed = store.rows("feeds", sql_eq("feed_id", episode["feed_id"]), columns=["title"])
    with reusing_vectors():
        result = extract(transcript, settings=settings, cache_dir=Path(settings.podbrief_cache_dir) / "llm",
                         title=episode["title"] or "", description=episode["description"] or "",
                         feed_title=next((f["title"] or "" for f in feed), ""),
                         chapters=stored_chapters(episode.get("chapters")))
        model, dim = embedding_model(settings)
        store.check_embedding(model, dim)  # vectors of another model are refused before any work is stored
        vectors = embed([i.text for i in result.insights], settings=settings)
    stamp = now_iso()
    rows = [
        {"insight_id": insight_id(eid, ins.quote, ins.start_s), "episode_id": eid, "feed_id": episode["feed_id"],
         "published": episode["published"], "text": ins.text, "quote": ins.quote, "start_s": ins.start_s,
         "end_s": ins.end_s, "extractor": ins.extractor, "score": ins.score, "vector": vec.tolist(),
         "created_at": stamp, "headline": ins.headline or None,
         "flags": list(ins.flags), "also_on": []}
        for ins, vec in zip(result.insights, vectors, strict=True)
    ]
    return rows, {"extractor": result.extractor, "extract_note": result.note, "tokens": result.tokens}, (model, dim)


def insight_id(episode_id: str, quote: str, start_s: float) -> str:
    """The stable id of an insight: its episode, where it starts and what it quotes."""
    return hashlib.sha1(f"{episode_id}|{start_s:.1f}|{quote}".encode()).hexdigest()[:16]
