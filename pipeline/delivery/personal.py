"""Personal briefs: the published brief re-ranked and filled for one reader, with related insights and alerts.

The editor's pinned items always stay. A reader with no interests gets the published brief as it is (cut or
filled to their size); otherwise the day's candidates are ranked again with the reader's topics and keywords
as the interest profile, podcasts they follow count as full interest, muted podcasts are left out and those
their thumbs turned against rank last. Keyword alerts list every new insight that matches since their last brief.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta

from ..config import Settings
from ..engine.rank import Brief, Pick, parse_date, rank
from ..engine.related import RELATED_THRESHOLD, related
from ..engine.scoring import iso_prefix
from ..engine.weights import COMPONENTS, Weights
from ..store import Store, sql_in
from .feedback import Learned, learned
from .readers import Reader
from .source import brief_version, excluded_ids, published_brief

log = logging.getLogger(__name__)

# A reader's interests weigh as much as quality and novelty together. On the planted test topics the ranking's
# default (0.6) puts 2-4 of a keyword reader's five items on their topic, 1.5 and more 3-5, and 3 adds nothing
# (tests/test_personal.py::test_the_personal_interest_weight_is_what_puts_a_keyword_readers_topic_first).
PERSONAL_INTEREST_WEIGHT = 2.0
RELATED_PER_ITEM = 3
ALERT_LOOKBACK_DAYS = 7  # a reader's first brief, or one after a long pause, alerts on at most a week
ALERTS_PER_KEYWORD = 10
SOURCE_COLUMNS = ["insight_id", "text", "quote", "feed_id", "episode_id", "start_s", "published"]


@dataclass
class Source:
    """Where an insight was said: podcast, episode, links and time."""

    feed_title: str
    episode_title: str
    episode_link: str | None
    audio_url: str | None
    start_s: float


@dataclass
class Related:
    """An insight said on another podcast, under an item."""

    insight_id: str
    text: str
    similarity: float
    source: Source


@dataclass
class Item:
    """One numbered insight of a personal brief."""

    pick: Pick
    related: list[Related]


@dataclass
class Alert:
    """A keyword the reader follows and the new insights that match it."""

    keyword: str
    matches: list[Related]  # similarity is unused (1.0)
    more: int = 0  # matches beyond the ones listed


@dataclass
class PersonalBrief:
    """What one reader is sent for one date."""

    email: str
    date: str
    version: str
    items: list[Item]
    alerts: list[Alert]
    note: str | None
    personalised: bool
    window_start: str = ""
    window_end: str = ""
    interests: list[str] = field(default_factory=list)


class BriefMaker:
    """Makes personal briefs for one run, computing what readers share (the published brief, related) once."""

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings
        self._published: dict[str, Brief | None] = {}
        self._ranked: dict[tuple, list[Pick]] = {}
        self._related: dict[str, list[Related]] = {}
        self._recent: dict[str, list[dict]] = {}
        self._learned: dict[str, Learned] | None = None
        self._topics: dict[str, str] | None = None

    def published(self, date: str) -> Brief | None:
        """The date's published brief (read once per run)."""
        if date not in self._published:
            self._published[date] = published_brief(self.store, date)
        return self._published[date]

    def make(self, reader: Reader, date: str, *, last_date: str | None = None) -> PersonalBrief | None:
        """The reader's brief for a date (alerts since `last_date`, their last brief); None if it is not published."""
        brief = self.published(date)
        if brief is None:
            return None
        taste = self._learned_of(reader.email)
        chosen, personalised = self._choose(reader, brief, taste)
        items = [Item(pick, self.related(pick.insight_id)) for pick in chosen]
        alerts = self.alerts(reader, brief, {p.insight_id for p in chosen}, last_date)
        return PersonalBrief(reader.email, date, brief_version(brief), items, alerts, brief.note, personalised,
                             brief.window_start, brief.window_end, self._interest_names(reader, taste))

    def as_published(self, date: str) -> PersonalBrief | None:
        """The published brief exactly as it is, for the whole list's channels and the public feed."""
        brief = self.published(date)
        return None if brief is None else self.as_is(brief)

    def as_is(self, brief: Brief) -> PersonalBrief:
        """A brief exactly as it is, not personalised (published, or an editor's list before it is published)."""
        items = [Item(pick, self.related(pick.insight_id)) for pick in brief.picks]
        return PersonalBrief("", brief.date, brief_version(brief), items, [], brief.note, False, brief.window_start,
                             brief.window_end)

    # -- choosing the items ----------------------------------------------------------------------------------

    def _choose(self, reader: Reader, brief: Brief, taste: Learned) -> tuple[list[Pick], bool]:
        pins = [p for p in brief.picks if p.pinned]
        if not (reader.has_interests or taste):
            pool = [p for p in [*brief.picks, *brief.alternates] if not p.pinned]
            kept = {p.insight_id for p in [*pins, *pool[:max(reader.size - len(pins), 0)]]}
            return [p for p in [*brief.picks, *brief.alternates] if p.insight_id in kept], False
        followed_topics = set(reader.topics) | taste.topics
        followed_podcasts = set(reader.podcasts) | taste.podcasts
        less_topics = taste.less_topics - followed_topics
        less_podcasts = taste.less_podcasts - followed_podcasts
        muted = set(reader.muted)
        weights = replace(brief.weights, interests=sorted(followed_topics) + list(reader.keywords),
                          interest=PERSONAL_INTEREST_WEIGHT)
        shown = {p.insight_id: p for p in [*brief.picks, *brief.alternates]}  # as published: edits and notes
        pinned = {p.insight_id for p in pins}
        scored = []
        for n, pick in enumerate(self._candidates(brief, weights, pins)):
            if pick.insight_id in pinned or pick.feed_id in muted:
                continue
            followed = pick.feed_id in followed_podcasts or pick.topic_id in followed_topics
            less = pick.feed_id in less_podcasts or pick.topic_id in less_topics
            scored.append((less, -personal_score(pick, weights, followed=followed, less=less), n,
                           shown.get(pick.insight_id, pick)))
        scored.sort(key=lambda s: s[:3])
        return pins + [s[3] for s in scored[:max(reader.size - len(pins), 0)]], True

    def _candidates(self, brief: Brief, weights: Weights, pins: list[Pick]) -> list[Pick]:
        """The day's candidates scored with an interest profile (shared by readers with the same profile)."""
        if not weights.interests:  # only podcasts or votes: the published scores are the ones to adjust
            return [*brief.picks, *brief.alternates]
        key = (brief.date, brief_version(brief), tuple(weights.interests))
        if key not in self._ranked:
            ranked = rank(self.store, brief.date, weights=weights, pins=[p.insight_id for p in pins],
                          excludes=excluded_ids(self.store, brief.date), settings=self.settings)
            self._ranked[key] = [*ranked.picks, *ranked.alternates]
        return self._ranked[key]

    def _learned_of(self, email: str) -> Learned:
        if self._learned is None:
            self._learned = learned(self.store)
        return self._learned.get(email, Learned())

    def _interest_names(self, reader: Reader, taste: Learned) -> list[str]:
        if self._topics is None:
            self._topics = {r["topic_id"]: r["label"] for r in self.store.rows("topics", columns=["topic_id", "label"])}
        topics = [self._topics.get(t, t) for t in sorted(set(reader.topics) | taste.topics)]
        return topics + list(reader.keywords)

    # -- related insights and alerts -------------------------------------------------------------------------

    def related(self, insight_id: str) -> list[Related]:
        """Insights from other podcasts close to this one (computed once per run)."""
        if insight_id not in self._related:
            found = related(self.store, insight_id, limit=RELATED_PER_ITEM, threshold=RELATED_THRESHOLD)
            sources = sources_of(self.store, found)
            self._related[insight_id] = [Related(f["insight_id"], f["text"], f["similarity"], sources[f["insight_id"]])
                                         for f in found]
        return self._related[insight_id]

    def alerts(self, reader: Reader, brief: Brief, shown: set[str], last_date: str | None) -> list[Alert]:
        """For each keyword the reader follows, the insights that match it published since their last brief."""
        if not reader.keywords:
            return []
        end = parse_date(brief.date) + timedelta(days=1)
        floor = end - timedelta(days=ALERT_LOOKBACK_DAYS)
        since = parse_date(last_date) + timedelta(days=1) if last_date and last_date < brief.date \
            else parse_date(brief.date)
        since_text = iso_prefix(max(since, floor))
        rows = [r for r in self._recent_rows(brief.date) if (r["published"] or "") >= since_text]
        out = []
        for keyword in reader.keywords:
            pattern = re.compile(rf"(?<!\w){re.escape(keyword)}(?!\w)", re.IGNORECASE)
            hits = [r for r in rows if r["insight_id"] not in shown and pattern.search(f"{r['text']} {r['quote']}")]
            if hits:
                listed = hits[:ALERTS_PER_KEYWORD]
                sources = sources_of(self.store, listed)
                out.append(Alert(keyword, [Related(r["insight_id"], r["text"], 1.0, sources[r["insight_id"]])
                                           for r in listed], more=len(hits) - len(listed)))
        return out

    def _recent_rows(self, date: str) -> list[dict]:
        """The insights published in the week up to the end of `date`, newest first (read once per date)."""
        if date not in self._recent:
            end = parse_date(date) + timedelta(days=1)
            start = end - timedelta(days=ALERT_LOOKBACK_DAYS)
            rows = self.store.rows("insights", f"published >= '{iso_prefix(start)}' AND published < '{iso_prefix(end)}'",
                                   columns=SOURCE_COLUMNS)
            self._recent[date] = sorted(rows, key=lambda r: (r["published"] or "", r["insight_id"]), reverse=True)
        return self._recent[date]


def personal_score(pick: Pick, weights: Weights, *, followed: bool, less: bool) -> float:
    """The pick's weighted mean score with the interest component set by the reader: 1 followed, 0 disliked."""
    interest = pick.components.get("interest")
    interest = 1.0 if followed else 0.0 if less else (interest or 0.0)
    total = weight_sum = 0.0
    for name in COMPONENTS:
        value = interest if name == "interest" else pick.components.get(name)
        weight = weights.weight_of(name)
        if value is not None and weight > 0:
            total += weight * value
            weight_sum += weight
    return total / weight_sum if weight_sum else 0.0


def sources_of(store: Store, rows: list[dict]) -> dict[str, Source]:
    """Podcast title, episode title and links of insights, by insight id (two reads for all of them)."""
    episodes = {r["episode_id"]: r for r in store.rows(
        "episodes", sql_in("episode_id", {r["episode_id"] for r in rows}), columns=["episode_id", "title", "link", "audio_url"])}
    feeds = {r["feed_id"]: r["title"] for r in store.rows(
        "feeds", sql_in("feed_id", {r["feed_id"] for r in rows}), columns=["feed_id", "title"])}
    out = {}
    for row in rows:
        episode = episodes.get(row["episode_id"], {})
        out[row["insight_id"]] = Source(feeds.get(row["feed_id"]) or row["feed_id"], episode.get("title") or "",
                                        episode.get("link"), episode.get("audio_url"), float(row["start_s"] or 0.0))
    return out


def pick_source(pick: Pick) -> Source:
    """Where a brief's pick was said."""
    return Source(pick.feed_title, pick.episode_title, pick.episode_link, pick.audio_url, pick.start_s)


def personal_brief(store: Store, reader: Reader, date: str, *, last_date: str | None = None,
                   settings: Settings | None = None) -> PersonalBrief | None:
    """One reader's brief for a date (None without a published brief there). Example: `python -m pipeline send --dry-run`"""
    return BriefMaker(store, settings).make(reader, date, last_date=last_date)
