"""Readers' thumbs up and down: one vote per reader and insight (the last one counts).

Votes move that reader's interests: a topic or podcast they liked more than disliked counts as followed,
one they disliked more than liked ranks last in their brief. Editors see which picks landed.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from ..errors import DeliveryError
from ..store import Store, now_iso, sql_eq, sql_in
from .readers import Reader

VOTES = {"up": 1, "down": -1}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Learned:
    """What a reader's votes say: topics and podcasts to favour and to rank last."""

    topics: set[str] = field(default_factory=set)
    podcasts: set[str] = field(default_factory=set)
    less_topics: set[str] = field(default_factory=set)
    less_podcasts: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.topics or self.podcasts or self.less_topics or self.less_podcasts)


def record_vote(store: Store, reader: Reader, insight_id: str, vote: str, *, date: str | None = None) -> dict:
    """Record a reader's thumb on an insight (a second vote on the same insight replaces the first)."""
    if vote not in VOTES:
        raise DeliveryError(f"Vote {vote!r} is not one of {', '.join(VOTES)}.")
    if date is not None and not DATE.fullmatch(date):
        date = None  # the link's date only groups the votes per brief; a mangled one is dropped, not stored
    rows = store.rows("insights", sql_eq("insight_id", insight_id), columns=["insight_id", "feed_id", "text"])
    if not rows:
        raise DeliveryError("That insight is no longer in the store, so the vote was not recorded.")
    row = {
        "feedback_id": hashlib.sha1(f"{reader.email}|{insight_id}".encode()).hexdigest()[:20],
        "email": reader.email, "insight_id": insight_id, "date": date, "vote": VOTES[vote],
        "topic_id": store.topic_ids_of([insight_id]).get(insight_id), "feed_id": rows[0]["feed_id"], "updated_at": now_iso(),
    }
    store.upsert("feedback", [row])
    return {**row, "text": rows[0]["text"]}


def learned(store: Store, emails: list[str] | None = None) -> dict[str, Learned]:
    """Each reader's learned likes and dislikes from their votes (all readers, or those given)."""
    rows = store.rows("feedback", sql_in("email", emails) if emails is not None else None,
                      columns=["email", "vote", "topic_id", "feed_id"])
    net: dict[str, dict[str, Counter]] = defaultdict(lambda: {"topic": Counter(), "feed": Counter()})
    for row in rows:
        if row["topic_id"]:
            net[row["email"]]["topic"][row["topic_id"]] += row["vote"]
        net[row["email"]]["feed"][row["feed_id"]] += row["vote"]
    out: dict[str, Learned] = {}
    for email, counts in net.items():
        out[email] = Learned(
            topics={t for t, n in counts["topic"].items() if n > 0},
            podcasts={f for f, n in counts["feed"].items() if n > 0},
            less_topics={t for t, n in counts["topic"].items() if n < 0},
            less_podcasts={f for f, n in counts["feed"].items() if n < 0},
        )
    return out


def pick_feedback(store: Store, dates: list[str] | None = None) -> list[dict]:
    """Thumbs per insight (up, down, net), most liked first: which picks landed with readers."""
    rows = store.rows("feedback", sql_in("date", dates) if dates is not None else None,
                      columns=["insight_id", "date", "vote"])
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        tally[(row["insight_id"], row["date"] or "")][0 if row["vote"] > 0 else 1] += 1
    texts = {r["insight_id"]: r["text"] for r in store.rows(
        "insights", sql_in("insight_id", {i for i, _ in tally}), columns=["insight_id", "text"])}
    out = [{"date": date, "insight_id": insight_id, "text": texts.get(insight_id, ""), "up": up, "down": down,
            "net": up - down} for (insight_id, date), (up, down) in tally.items()]
    return sorted(out, key=lambda r: (-r["net"], -r["up"], r["date"], r["insight_id"]))
