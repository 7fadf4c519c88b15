"""`python -m pipeline`: one subcommand per stage, each a thin call into the library."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from .config import ROOT, get_settings
from .errors import PodbriefError
from .models import Transcript
from .store import Store, open_store

if TYPE_CHECKING:
    from .delivery.send import SendReport

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

    imported = import_opml(_store(args), args.file)
    print(f"{len(imported.feeds)} feed(s) from {args.file}")
    for line in imported.refused:
        print(f"refused: {line}", file=sys.stderr)
    return 1 if imported.refused else 0


@command
def cmd_ingest(args: argparse.Namespace) -> int:
    """Poll feeds, transcribe and extract new episodes (on a Ray cluster with --ray).
    Example: python -m pipeline ingest --feed A.xml B.xml --max-new 5"""
    from .ingest.run import ingest

    executor = None
    if args.ray is not None:
        from .ingest.distributed import connect

        executor = connect(args.ray)  # before the store opens: starting Ray forks this process
    report = ingest(_store(args), feeds=args.feed or None, max_new=args.max_new, progress=StageProgress(), executor=executor)
    _print_report(report)
    if report.nothing_ingested:
        if report.feeds_polled == 0:
            raise PodbriefError("There are no feeds to ingest (none added, or all paused). "
                                "Add one with: python -m pipeline add-feed URL_OR_PATH")
        raise PodbriefError(f"Nothing could be ingested: all {report.feeds_polled} feed(s) failed (see above).")
    return 0


def _print_report(report: object) -> None:
    data = asdict(report)  # type: ignore[call-overload]
    failed, feed_errors = data.pop("failed"), data.pop("feed_errors")
    print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in data.items()))
    for line in feed_errors:
        print(f"feed failed: {line}")
    for line in failed:
        print(f"failed: {line}")


@command
def cmd_watch(args: argparse.Namespace) -> int:
    """Run ingestion on an interval until stopped (Ctrl-C). Example: python -m pipeline watch --every 30m"""
    from .ingest.run import watch

    store = _store(args)

    def after_pass(report: object) -> None:
        _print_report(report)
        _send_due(store)

    try:
        watch(store, every_s=parse_interval(args.every), progress=StageProgress(), on_report=after_pass)
    except KeyboardInterrupt:
        print("stopped")
    return 0


def _send_due(store: Store) -> None:
    """After an ingestion pass, send what is due; a failure to send never stops the watch."""
    from .delivery.send import send

    try:
        report = send(store)
    except PodbriefError as exc:
        print(f"send: {exc}", file=sys.stderr)
        return
    _print_send(report)


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
    from .ingest.http import Budget, fetch
    from .ingest.reach import operator_access

    got = fetch(path_or_url, access=operator_access(), budget=Budget.transcript(get_settings()))
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
    from .ingest.reach import operator_access
    from .ingest.transcribe import transcribe

    with tempfile.TemporaryDirectory() as tmp:
        return transcribe(download(source, Path(tmp), access=operator_access()))


def _print_segments(segments: list, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(s) for s in segments], ensure_ascii=False, indent=1))
        return
    for s in segments:
        who = f"{s.speaker}: " if s.speaker else ""
        print(f"[{s.start_s:8.2f} - {s.end_s:8.2f}] {who}{s.text}")


@command
def cmd_extract(args: argparse.Namespace) -> int:
    """Extract every insight of one transcript file and print them, best first; stores nothing.
    Example: python -m pipeline extract data/samples/transcripts/go-time-339.vtt --title "Does Go still make sense?"
    """
    from .ingest.chapters import parse_chapters
    from .ingest.transcripts import parse_transcript
    from .insights.extract import extract

    content, ctype = _read_source(args.path)
    transcript = parse_transcript(content, filename=args.path, content_type=ctype)
    chapters = parse_chapters(_read_source(args.chapters)[0]) if args.chapters else None
    result = extract(transcript, extractor=args.extractor, title=args.title, description=args.description,
                     chapters=chapters)
    if result.fallback_reason:
        print(f"note: fell back to the extractive extractor: {result.fallback_reason}", file=sys.stderr)
    shown = sorted((i for i in result.insights if args.flagged or not i.flags), key=lambda i: (-i.score, i.start_s))
    if args.json:
        print(json.dumps([asdict(i) for i in shown], ensure_ascii=False, indent=1))
        return 0
    for i in shown:
        flagged = f" [flagged: {', '.join(i.flags)}]" if i.flags else ""
        print(f"- [{_clock(i.start_s)}] ({i.score:.2f}){flagged} {i.text}")
    return 0


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


@command
def cmd_topics(args: argparse.Namespace) -> int:
    """Cluster insights into topics (new insights join the nearest topic unless a re-cluster is due); list, rename
    or merge topics (names and merges survive re-clustering).
    Example: python -m pipeline topics rename topic-0003 "Go at work" (or: topics --rebuild, topics list)"""
    from .engine import topic_edits
    from .engine.topic_views import topic_list
    from .engine.topics import topics

    store = _store(args)
    if args.action == "list":
        for t in topic_list(store):
            named = "  (named by an editor)" if t["label_source"] == "editor" else ""
            print(f"{t['topic_id']}  {t['size']:>6}  {t['label']}{named}")
    elif args.action == "rename":
        topic = topic_edits.rename_topic(store, args.topic_id, args.name, editor=args.editor)
        print(f"{topic['topic_id']} is now called {topic['label']!r}")
    elif args.action == "merge":
        topic = topic_edits.merge_topics(store, args.keep_id, args.other_id, editor=args.editor)
        print(f"merged {args.other_id} into {topic['topic_id']} ({topic['label']!r}, {topic['size']} insights)")
    else:
        print(topics(store, rebuild=args.rebuild).message)
    return 0


@command
def cmd_brief(args: argparse.Namespace) -> int:
    """Print (or write) the day's top five as Markdown, the editor's saved version when there is one.
    Example: python -m pipeline brief --date 2026-02-11 --out brief.md --weights '{"novelty": 1.5}'"""
    from .engine.export import brief
    from .engine.rank import normalize_date

    day = normalize_date(args.date) if args.date else None
    text = brief(_store(args), day, out=args.out, weights=args.weights, explain=args.explain)
    if args.out:
        print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


@command
def cmd_publish(args: argparse.Namespace) -> int:
    """Publish a date's brief exactly as the Curate page shows it (the editor's draft, else the automatic top five).
    Example: python -m pipeline publish --date 2026-02-11 --editor ana"""
    from .engine.briefs import latest_brief_date, publish_brief
    from .engine.rank import normalize_date

    store = _store(args)
    day = normalize_date(args.date) if args.date else latest_brief_date(store)
    if day is None:
        raise PodbriefError("The store has no insights yet, so there is no brief to publish. "
                            "Run `python -m pipeline ingest` first.")
    published = publish_brief(store, day, editor=args.editor or _user())
    print(f"published the brief for {day} as version {published.version} ({len(published.picks)} insight(s))")
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without one): say where it came from instead
        return "command line"


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


@command
def cmd_reindex(args: argparse.Namespace) -> int:
    """Rebuild the vector index over every insight; searches keep using the old one until the new one is ready.
    Example: python -m pipeline reindex"""
    from .store import VECTOR_INDEX_MIN_ROWS

    store = _store(args)
    started = time.monotonic()
    coverage = store.rebuild_vector_index(progress=StageProgress())
    if coverage is None:
        print(f"fewer than {VECTOR_INDEX_MIN_ROWS:,} insights: searches look at every one, so there is no index to rebuild")
    else:
        print(f"search index rebuilt in {time.monotonic() - started:.0f} s; it covers {coverage:.1%} of the insights")
    return 0


@command
def cmd_readers(args: argparse.Namespace) -> int:
    """Add, list, change, pause, resume, remove or import the readers the brief is sent to.
    Example: python -m pipeline readers add ana@example.com --size 3 --tz Asia/Tokyo --hour 8 --keyword kubernetes"""
    from .delivery import import_csv, readers

    store = _store(args)
    if args.action == "list":
        rows = [r.public() for r in readers.list_readers(store)]
        if args.json:
            print(json.dumps(rows, indent=2))
        elif not rows:
            print("No readers yet. Add one with: python -m pipeline readers add EMAIL")
        for r in [] if args.json else rows:
            when = f"{r['cadence']}{' ' + r['day'] if r['cadence'] == 'weekly' else ''} at {r['hour']}:00 {r['tz']}"
            print(f"{r['email']}  {r['status']}  size {r['size']}  {when}  channels: {len(r['channels'])}")
        return 0
    if args.action == "import":
        report = import_csv.import_readers(store, Path(args.file).read_bytes())
        print(f"added {len(report.added)}, updated {len(report.updated)}, errors {len(report.errors)}")
        for line in report.errors:
            print(f"  {line}", file=sys.stderr)
        return 1 if report.errors else 0
    if args.action in ("add", "set"):
        values = {name: getattr(args, name) for name in ("name", "size", "tz", "hour", "cadence", "day")}
        values |= {"topics": args.topic, "podcasts": args.podcast, "keywords": args.keyword, "muted": args.mute,
                   "channels": args.channel}
        on = None if args.email_channel is None else args.email_channel == "on"
        if args.action == "add":
            reader = readers.add_reader(store, args.email, email_channel=on is not False, **values)
        else:
            reader = readers.update_reader(store, args.email, email_channel=on, **values)
        print(f"{reader.email}  {reader.status}  size {reader.size}  {reader.cadence} at {reader.hour}:00 {reader.tz}")
        return 0
    if args.action == "remove":
        readers.remove_reader(store, args.email)
        print(f"removed {args.email}")
        return 0
    change = {"pause": readers.pause_reader, "resume": readers.resume_reader}[args.action]
    print(f"{change(store, args.email).email}  {args.action}d")
    return 0


@command
def cmd_send(args: argparse.Namespace) -> int:
    """Send a date's published brief to every active reader who has not had it, or (no --date) whatever is due now.
    Example: python -m pipeline send --date 2026-02-11 --dry-run"""
    from .delivery.send import send

    report = send(_store(args), date=args.date, email=args.reader, dry_run=args.dry_run)
    _print_send(report)
    if report.stopped:
        print(f"Error: {report.stopped}", file=sys.stderr)
        return 1
    return 0


def _print_send(report: SendReport) -> None:
    for line in [*report.lines, *report.notes]:
        print(line)
    if not report.dry_run:
        print(f"sent {report.sent}, failed {report.failed}, bounced {report.bounced}, skipped {report.skipped}")
    if report.to_files:
        print(f"No SMTP server is configured (PODBRIEF_SMTP_URL), so the emails were written as .eml files under "
              f"{report.where}.")


def _reader_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--db", default=argparse.SUPPRESS, help="store folder (default: $PODBRIEF_DB, else data/lancedb)")
    p.add_argument("--name")
    p.add_argument("--size", type=int, help="insights per brief, 3-15 (default 5)")
    p.add_argument("--tz", metavar="AREA/CITY", help="IANA time zone (default UTC)")
    p.add_argument("--hour", type=int, help="local hour to send at, 0-23 (default 7)")
    p.add_argument("--cadence", choices=["daily", "weekdays", "weekly"], help="default daily")
    p.add_argument("--day", choices=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], help="the day of a weekly reader")
    for flag, what in (("topic", "a topic (name or id) to favour"), ("podcast", "a podcast (title or URL) to favour"),
                       ("keyword", "a keyword to favour and alert on"), ("mute", "a podcast (title or URL) to leave out"),
                       ("channel", "an Apprise URL to send to as well (Slack, Discord, ntfy, json://...)")):
        p.add_argument(f"--{flag}", action="append", metavar=flag.upper(),
                       help=f"{what} (repeatable; with set, replaces the list; '' clears it)")
    p.add_argument("--email", dest="email_channel", choices=["on", "off"], help="send by email too (default on)")


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
    p.add_argument("--feed", action="extend", nargs="+", metavar="URL_OR_PATH",
                   help="only these feeds (several after one --feed, or --feed repeated; added if new)")
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
    p.add_argument("--title", default="", help="the episode's title, as context for what it is about")
    p.add_argument("--description", default="", help="the episode's description, as context")
    p.add_argument("--chapters", help="the episode's JSON chapters file (Podcasting 2.0), as context and its sections")
    p.add_argument("--flagged", action="store_true", help="also print flagged passages (sponsor reads, intros, ...)")
    p = add("topics")
    p.add_argument("--rebuild", action="store_true", help="re-cluster everything now")
    actions = p.add_subparsers(dest="action", metavar="ACTION", help="list, rename or merge (default: cluster)")
    actions.add_parser("list", help="print every topic: id, size, name")
    rename = actions.add_parser("rename", help="give a topic a name that re-clustering keeps")
    rename.add_argument("topic_id", metavar="TOPIC_ID")
    rename.add_argument("name", metavar="NAME")
    merge = actions.add_parser("merge", help="fold topic OTHER_ID into KEEP_ID, for good")
    merge.add_argument("keep_id", metavar="KEEP_ID")
    merge.add_argument("other_id", metavar="OTHER_ID")
    for action in (rename, merge):
        action.add_argument("--editor", default=getpass.getuser(), help="who made the change (default: your login)")
        action.add_argument("--db", default=argparse.SUPPRESS, help="store folder (as before the action)")
    p = add("brief")
    p.add_argument("--date", help="YYYY-MM-DD (default: the latest date with insights)")
    p.add_argument("--out", metavar="FILE", help="write the Markdown here instead of printing it")
    p.add_argument("--weights", metavar="JSON_OR_PRESET", help='ranking weights as JSON, e.g. \'{"novelty": 1.5, '
                   '"max_per_podcast": 1}\', or the name of a preset saved on the Curate page')
    p.add_argument("--explain", action="store_true", help="add why each pick is there")
    p = add("publish")
    p.add_argument("--date", help="YYYY-MM-DD (default: the latest date with insights)")
    p.add_argument("--editor", help="who publishes, recorded in the brief's history (default: your user name)")
    add("seed")
    add("reembed")
    add("reindex")
    p = add("readers")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    _reader_options(actions.add_parser("add", help="add a reader (active at once)"))
    _reader_options(actions.add_parser("set", help="change a reader's preferences (only the options given)"))
    listing = actions.add_parser("list", help="every reader (never their secret token)")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument("--db", default=argparse.SUPPRESS, help="store folder")
    for action in ("pause", "resume", "remove"):
        one = actions.add_parser(action, help=f"{action} a reader")
        one.add_argument("email", metavar="EMAIL")
        one.add_argument("--db", default=argparse.SUPPRESS, help="store folder")
    imported = actions.add_parser("import", help="add or update readers from a CSV file (columns: email, name, tz, ...)")
    imported.add_argument("file", metavar="FILE.csv")
    imported.add_argument("--db", default=argparse.SUPPRESS, help="store folder")
    p = add("send")
    p.add_argument("--date", help="send this date's published brief to everyone who has not had it")
    p.add_argument("--reader", metavar="EMAIL", help="only this reader")
    p.add_argument("--dry-run", action="store_true", help="say what would be sent; send and record nothing")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run one command, and turn Podbrief errors into `Error: ...` with exit code 1."""
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        try:
            code = args.func(args)
        except PodbriefError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            code = 1
        sys.stdout.flush()  # inside the try: a reader that stopped early (`status | head`) shows up here
        return code
    except BrokenPipeError:
        # The reader closed the pipe: stop quietly, and keep Python from complaining again at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
