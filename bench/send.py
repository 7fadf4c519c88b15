"""Benchmark of sending: one `python -m pipeline send --date D` to 1,000 readers through a local SMTP server.

Builds a store with bench/engine.py (real sentences, perturbed vectors; --n insights over a year, 40 podcasts),
clusters it, publishes the brief of the latest day with insights, adds the readers (70% as they come, 20% with other brief sizes,
10% with topics, keywords and followed or muted podcasts, so their briefs are ranked again and get alerts), and
runs the real CLI against aiosmtpd on 127.0.0.1. Every message is marked `sending` then `sent` in the outbox
(exactly once), so the store's writes are part of the figure. A second run must send nothing.

Usage: python bench/send.py [--readers 1000] [--n 10000]
The last line printed is one JSON object: messages, send_s, messages_per_s, peak_rss_mb (the send process),
rerun_s and rerun_messages (the second run), personalised (readers with interests).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiosmtpd.controller import Controller  # noqa: E402

from bench.engine import _corpus, build  # noqa: E402
from pipeline.delivery.readers import Reader  # noqa: E402
from pipeline.engine.briefs import latest_brief_date, publish_brief  # noqa: E402
from pipeline.engine.topics import topics  # noqa: E402
from pipeline.store import Store, now_iso  # noqa: E402

KEYWORDS = ["open source", "kubernetes", "python", "security", "startups", "rust", "machine learning", "podcasting"]
SEED = 0
TIMEOUT_S = 3600
log = logging.getLogger("bench.send")


class Counter:
    """An SMTP handler that only counts what it accepts (parsing would slow the server, not Podbrief)."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.messages += 1
            self.bytes += len(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def add_readers(store: Store, count: int) -> int:
    """`count` readers in one write (setup, not what is measured); returns how many have interests."""
    rng = random.Random(SEED)
    topic_ids = [r["topic_id"] for r in store.rows("topics", columns=["topic_id"])]
    feed_ids = [r["feed_id"] for r in store.rows("feeds", columns=["feed_id"])]
    rows, personalised = [], 0
    for n in range(count):
        reader = Reader(email=f"reader{n:05d}@example.com", token=f"bench-token-{n:05d}", created_at=now_iso())
        share = rng.random()
        if share < 0.2:
            reader.size = rng.randint(3, 15)
        elif share < 0.3:
            personalised += 1
            reader.keywords = rng.sample(KEYWORDS, rng.randint(0, 2))
            reader.topics = rng.sample(topic_ids, rng.randint(0, 2))
            reader.podcasts = rng.sample(feed_ids, rng.randint(0, 1))
            reader.muted = rng.sample([f for f in feed_ids if f not in reader.podcasts], rng.randint(0, 1))
        rows.append(reader.row())
    store.upsert("readers", rows)
    return personalised


def _send(db: Path, env: dict[str, str], date: str) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "send", "--db", str(db), "--date", date], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"send failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    log.info(done.stdout.strip().splitlines()[-1])
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Build, send twice, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--n", type=int, default=10_000, help="insights in the store")
    parser.add_argument("--dir", help="build the store here (default: a temporary folder)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.dir or tmp) / "bench.lancedb"
        texts, sources, base = _corpus()
        build(db, args.n, texts, sources, base)
        store = Store(db)
        topics(store, rebuild=True)
        date = latest_brief_date(store)
        published = publish_brief(store, date, editor="bench")
        if len(published.picks) < 3:
            raise SystemExit(f"the brief for {date} has {len(published.picks)} picks; use a larger --n")
        personalised = add_readers(store, args.readers)
        log.info("store ready: %d insights, %d readers (%d with interests)", args.n, args.readers, personalised)

        counter = Counter()
        port = _free_port()
        controller = Controller(counter, hostname="127.0.0.1", port=port)
        controller.start()
        env = {**os.environ, "PODBRIEF_SMTP_URL": f"smtp://127.0.0.1:{port}", "PODBRIEF_MAIL_FROM": "Bench <b@example.com>",
               "PODBRIEF_PUBLIC_URL": "https://brief.example.org"}
        try:
            send_s = _send(db, env, date)
            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            sent = counter.messages
            rerun_s = _send(db, env, date)
        finally:
            controller.stop()
    result = {
        "readers": args.readers, "insights": args.n, "personalised": personalised, "messages": sent,
        "mean_kb": round(counter.bytes / max(sent, 1) / 1024, 1), "send_s": round(send_s, 1),
        "messages_per_s": round(sent / send_s, 1), "peak_rss_mb": round(peak_kb / 1024),
        "rerun_s": round(rerun_s, 1), "rerun_messages": counter.messages - sent,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
