"""`python -m pipeline`: one subcommand per stage, each a thin call into the library."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from .config import ROOT, get_settings
from .errors import PodbriefError
from .models import Transcript
from .store import Store, open_store

SAMPLES = ROOT / "data" / "samples" / "feeds"
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Register a subcommand named after the function (underscores become dashes)."""
    COMMANDS[func.__name__.removeprefix("cmd_").replace("_", "-")] = func
    return func


class StageProgress:
    """Progress bars per stage on a terminal; plain lines otherwise (for logs the dashboard tails)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.bars: dict = {}

    def __call__(self, stage: str, done: int, total: int, item: str) -> None:
        if not self.tty:
            if total and (done < total or item == ""):
                print(f"[{stage}] {done}/{total} {item}".rstrip(), file=sys.stderr, flush=True)
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=f"{stage:<10}", unit="item", leave=True)
        bar.total = total
        bar.n = done
        bar.set_postfix_str(item[:40])
        if done >= total:
            bar.close()


def _store(args: argparse.Namespace) -> Store:
    return open_store(args.db or get_settings().podbrief_db)


@command
def cmd_add_feed(args: argparse.Namespace) -> int:
    """Add feeds by URL or local path. Example: python -m pipeline add-feed https://example.com/feed.xml"""
    from .ingest.catalog import add_feeds

    for row in add_feeds(_store(args), args.urls):
        print(f"{row['feed_id']}  {row['url']}")
    return 0


@command
def cmd_import_opml(args: argparse.Namespace) -> int:
    """Add every feed listed in an OPML export. Example: python -m pipeline import-opml subscriptions.opml"""
    from .ingest.catalog import import_opml

    rows = import_opml(_store(args), args.file)
    print(f"{len(rows)} feed(s) from {args.file}")
    return 0


@command
def cmd_ingest(args: argparse.Namespace) -> int:
    """Poll feeds, transcribe and extract new episodes (on a Ray cluster with --ray).
    Example: python -m pipeline ingest --max-new 5"""
    from .ingest.run import ingest

    executor = None
    if args.ray is not None:
        from .ingest.distributed import connect

        executor = connect(args.ray)  # before the store opens: starting Ray forks this process
    report = ingest(_store(args), feeds=args.feed or None, max_new=args.max_new, progress=StageProgress(), executor=executor)
    _print_report(report)
    return 0


def _print_report(report: object) -> None:
    data = asdict(report)  # type: ignore[call-overload]
    failed = data.pop("failed")
    print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in data.items()))
    for line in failed:
        print(f"failed: {line}")


@command
def cmd_watch(args: argparse.Namespace) -> int:
    """Run ingestion on an interval until stopped (Ctrl-C). Example: python -m pipeline watch --every 30m"""
    from .ingest.run import watch

    try:
        watch(_store(args), every_s=parse_interval(args.every), progress=StageProgress(), on_report=_print_report)
    except KeyboardInterrupt:
        print("stopped")
    return 0


def parse_interval(text: str) -> float:
    """Seconds in an interval such as `90s`, `30m`, `2h` or a bare number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise PodbriefError(f"--every {text!r} is not an interval. Use a number with s, m, h or d, e.g. 30m.")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


@command
def cmd_status(args: argparse.Namespace) -> int:
    """Show feeds, episodes by state and failures. Example: python -m pipeline status --json"""
    from .ingest.catalog import status

    info = status(_store(args))
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"feeds: {info['feeds']}   insights: {info['insights']}")
    print("episodes: " + ", ".join(f"{k} {v}" for k, v in info["episodes"].items()))
    for f in info["failures"]:
        where = f"{f['feed']}" + (f" / {f['episode']}" if f["episode"] else "")
        print(f"  FAILED {where}: {f['error']}")
    return 0


@command
def cmd_retry(args: argparse.Namespace) -> int:
    """Retry failed episodes on the next run (all, or the named ones). Example: python -m pipeline retry --episode 3f2a9c0d"""
    from .ingest.catalog import retry_failed

    count = retry_failed(_store(args), args.episode or None)
    print(f"{count} episode(s) will be retried by the next `python -m pipeline ingest`.")
    return 0


def _read_source(path_or_url: str) -> tuple[bytes, str | None]:
    from .ingest.http import fetch

    got = fetch(path_or_url)
    return got.content, got.content_type


@command
def cmd_transcribe(args: argparse.Namespace) -> int:
    """Transcribe one audio file, or parse one transcript file, and print its segments; stores nothing.
    Example: python -m pipeline transcribe tests/fixtures/audio/jfk.flac --json"""
    from .ingest.transcripts import parse_transcript, transcript_format

    source = args.path_or_url
    if transcript_format(None, source):
        content, ctype = _read_source(source)
        transcript = parse_transcript(content, filename=source, content_type=ctype)
    else:
        transcript = _transcribe_audio(source)
    _print_segments(transcript.segments, as_json=args.json)
    return 0


def _transcribe_audio(source: str) -> Transcript:
    import tempfile

    from .ingest.http import download
    from .ingest.transcribe import transcribe

    with tempfile.TemporaryDirectory() as tmp:
        path = download(source, Path(tmp), max_bytes=get_settings().podbrief_max_audio_mb * 1024 * 1024)
        return transcribe(path)


def _print_segments(segments: list, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(s) for s in segments], ensure_ascii=False, indent=1))
        return
    for s in segments:
        who = f"{s.speaker}: " if s.speaker else ""
        print(f"[{s.start_s:8.2f} - {s.end_s:8.2f}] {who}{s.text}")


@command
def cmd_extract(args: argparse.Namespace) -> int:
    """Extract insights from one transcript file and print them; stores nothing.
    Example: python -m pipeline extract data/samples/transcripts/go-time-339.vtt --extractor extractive"""
    from .ingest.transcripts import parse_transcript
    from .insights.extract import extract

    content, ctype = _read_source(args.path)
    transcript = parse_transcript(content, filename=args.path, content_type=ctype)
    result = extract(transcript, extractor=args.extractor)
    if result.fallback_reason:
        print(f"note: fell back to the extractive extractor: {result.fallback_reason}", file=sys.stderr)
    if args.json:
        print(json.dumps([asdict(i) for i in result.insights], ensure_ascii=False, indent=1))
        return 0
    for i in result.insights:
        print(f"- [{_clock(i.start_s)}] ({i.score:.2f}) {i.text}")
    return 0


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


@command
def cmd_topics(args: argparse.Namespace) -> int:
    """Cluster insights into topics (new insights join the nearest topic unless a re-cluster is due).
    Example: python -m pipeline topics --rebuild"""
    from .engine.topics import topics

    print(topics(_store(args), rebuild=args.rebuild).message)
    return 0


@command
def cmd_brief(args: argparse.Namespace) -> int:
    """Print (or write) the day's top five as Markdown, the editor's saved version when there is one.
    Example: python -m pipeline brief --date 2026-02-11 --out brief.md --weights '{"novelty": 1.5}'"""
    from .engine.export import brief

    text = brief(_store(args), args.date, out=args.out, weights=args.weights, explain=args.explain)
    if args.out:
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


@command
def cmd_seed(args: argparse.Namespace) -> int:
    """Fill an empty store from the bundled offline samples (does nothing if it has feeds). Example: python -m pipeline seed"""
    from .ingest.run import ingest

    store = _store(args)
    if store.count("feeds"):
        print(f"store {store.uri} already has feeds; not seeding")
        return 0
    feeds = sorted(str(p) for p in SAMPLES.glob("*.xml"))
    print(f"seeding {store.uri} from {len(feeds)} bundled sample feeds (first run only)")
    _print_report(ingest(store, feeds=feeds, progress=StageProgress()))
    return 0


@command
def cmd_reembed(args: argparse.Namespace) -> int:
    """Rebuild every insight vector with the configured embedding model, then re-cluster topics.
    Example: PODBRIEF_EMBED_MODEL=text-embedding-3-small python -m pipeline reembed"""
    from .engine.topics import topics
    from .insights.reembed import reembed

    store = _store(args)
    count = reembed(store)
    topics(store, rebuild=True)
    print(f"re-embedded {count} insight(s); topics rebuilt")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m pipeline", description="Podbrief: podcasts to a daily brief.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the library does")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, **kwargs: object) -> argparse.ArgumentParser:
        func = COMMANDS[name]
        p = sub.add_parser(name, help=(func.__doc__ or "").split(". ")[0], description=func.__doc__, **kwargs)
        p.add_argument("--db", help="store folder or object store URI (default: $PODBRIEF_DB, else data/lancedb)")
        p.set_defaults(func=func)
        return p

    add("add-feed").add_argument("urls", nargs="+", metavar="URL_OR_PATH")
    add("import-opml").add_argument("file", metavar="FILE")
    p = add("ingest")
    p.add_argument("--feed", action="append", metavar="URL_OR_PATH", help="only this feed (repeatable; added if new)")
    p.add_argument("--max-new", type=int, default=None, help="newest episodes a first-seen feed contributes (default 10)")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="run each episode's work as a Ray task on the cluster at ADDRESS (host:port), or on a local one")
    add("watch").add_argument("--every", default="30m", help="interval, e.g. 90s, 30m, 2h (default 30m)")
    add("status").add_argument("--json", action="store_true", help="print one JSON object")
    add("retry").add_argument("--episode", action="append", metavar="EPISODE_ID", help="only this episode (repeatable)")
    p = add("transcribe")
    p.add_argument("path_or_url", metavar="PATH_OR_URL")
    p.add_argument("--json", action="store_true", help="print a JSON array of segments")
    p = add("extract")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print a JSON array of insights")
    p.add_argument("--extractor", choices=["auto", "extractive", "llm"], default="auto")
    add("topics").add_argument("--rebuild", action="store_true", help="re-cluster everything now")
    p = add("brief")
    p.add_argument("--date", help="YYYY-MM-DD (default: the latest date with insights)")
    p.add_argument("--out", metavar="FILE", help="write the Markdown here instead of printing it")
    p.add_argument("--weights", metavar="JSON", help='ranking weights, e.g. \'{"novelty": 1.5, "max_per_podcast": 1}\'')
    p.add_argument("--explain", action="store_true", help="add each pick's score breakdown")
    add("seed")
    add("reembed")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run one command, and turn Podbrief errors into `Error: ...` with exit code 1."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except PodbriefError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
