"""Once, under crashes: a real `python -m pipeline send` killed with SIGKILL at random points, then rerun.

No reader may be missing, and the SMTP server may see no more duplicates than there were kills (each kill
can repeat at most the one message in flight), each duplicate with the same Message-ID.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from pipeline.delivery import outbox, readers
from tests.delivery_fixtures import PUBLIC_URL, published_engine  # noqa: F401  (the `published` fixture)
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)
from tests.smtpserver import LocalSMTPServer

ROOT = Path(__file__).resolve().parent.parent
READERS = 30
KILLS = 4
RUN_TIMEOUT_S = 300
POLL_S = 0.01
SEED = 20240510


def _start(db: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "send", "--db", str(db), "--date", "2024-05-10"],
                            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def test_killed_sends_then_a_rerun_miss_nobody_and_repeat_at_most_one_each(published: Engine,
                                                                           smtp_server: LocalSMTPServer,
                                                                           tmp_path: Path) -> None:
    emails = [f"reader{n:02d}@example.com" for n in range(READERS)]
    for email in emails:
        readers.add_reader(published.store, email)
    env = {**os.environ, **smtp_server.env(), "PODBRIEF_PUBLIC_URL": PUBLIC_URL}
    log = tmp_path / "send.log"
    chance = random.Random(SEED)
    kills = 0
    while kills < KILLS:
        before = len(smtp_server.messages)
        if before >= READERS - 2:
            break  # leave work for the final, uninterrupted run
        proc = _start(published.store.uri, env, log)
        # A random point: after a random number of messages reached the server (0: while it starts up).
        target = before + chance.randint(0, 6)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while len(smtp_server.messages) < target and proc.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(POLL_S)
        if target == before:
            time.sleep(chance.uniform(0.2, 3.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=RUN_TIMEOUT_S)

    final = _start(published.store.uri, env, log)
    assert final.wait(timeout=RUN_TIMEOUT_S) == 0, log.read_text()
    rerun = _start(published.store.uri, env, log)
    assert rerun.wait(timeout=RUN_TIMEOUT_S) == 0, log.read_text()

    per_reader = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert set(per_reader) == set(emails), "a reader is missing"
    duplicates = sum(n - 1 for n in per_reader.values())
    assert kills >= 1 and duplicates <= kills, (kills, per_reader)
    for email in emails:
        assert len({m.message["Message-ID"] for m in smtp_server.received_by(email)}) == 1
    rows = outbox.outbox_rows(published.store)
    assert len(rows) == READERS and {r["status"] for r in rows} == {"sent"}
