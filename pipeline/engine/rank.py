"""The daily top five: score each candidate from named components, then pick with MMR under diversity caps.

Candidates are the insights of episodes published in the window that ends with the brief's date. Each gets
components in [0, 1] (see `Weights`), and an overall score, their weighted mean. Selection is maximal marginal
relevance with per-podcast and per-topic caps and a quality floor; editor overrides (pins, excludes, an exact
list, edited text) always win. Everything is deterministic for the same store and inputs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import date as calendar_date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Settings
from ..errors import PodbriefError
from ..store import Store, sql_in
from .rank_inputs import RankInputs, load_inputs
from .scoring import corroboration, interest, iso_prefix, novelty, podcast_weight, recency
from .weights import COMPONENT_LABELS, COMPONENTS, Weights

log = logging.getLogger(__name__)

TOP_N = 5
CORROBORATION_DAYS = 7
CORROBORATION_FULL = 3  # this many other podcasts saying something similar scores 1
ALTERNATES = 20
CANDIDATE_COLUMNS = ["insight_id", "feed_id", "episode_id", "topic_id", "history_sim", "published", "score"]  # and "vector"
WHY_REASONS = 2  # the largest contributions named in a pick's explanation
DATE_FORMAT_HINT = "is not YYYY-MM-DD (for example 2026-02-11)"
FIRST_DATE = calendar_date(1990, 1, 1)  # before podcasts; a feed's 0001-01-01 or 9999-12-31 is no brief date


@dataclass
class Pick:
    """One insight in a brief (or a candidate left out), with the score breakdown that placed it."""

    insight_id: str
    text: str
    original_text: str
    quote: str
    start_s: float
    end_s: float
    published: str | None
    episode_id: str
    episode_title: str
    episode_link: str | None
    audio_url: str | None
    feed_id: str
    feed_title: str
    topic_id: str | None
    topic_label: str | None
    score: float
    components: dict[str, float | None]
    pinned: bool = False  # the editor's choice: every reader's brief keeps it
    note: str | None = None  # the editor's public note, shown to readers
    why: str = ""
    contributions: dict[str, float] = field(default_factory=dict)  # each component's share of `score` (they add up)
    internal_note: str | None = None  # the editor's note for other editors; never leaves the dashboard
    related: list[dict] | None = None  # related insights frozen with a published brief; None: look them up now
    headline: str = ""  # when an LLM wrote the insight
    also_on: list[str] = field(default_factory=list)  # episode ids of syndicated copies and re-runs


@dataclass
class Brief:
    """A day's picks in order, the candidates left out, and how they were chosen."""

    date: str
    window_start: str
    window_end: str
    picks: list[Pick]
    alternates: list[Pick]
    candidates: int
    eligible: int
    weights: Weights
    shortfall: str | None = None
    status: str = "unsaved"  # unsaved | draft | published
    note: str | None = None  # the editor's public note on the whole brief
    editor: str | None = None
    updated_at: str | None = None
    published_at: str | None = None  # when the date was last published (maybe before a later draft)
    notes: dict[str, str] = field(default_factory=dict)
    version: int | None = None  # the saved version shown; None while nobody saved this date
    published_version: int | None = None
    internal_note: str | None = None
    missing: list[str] = field(default_factory=list)  # saved insights no longer in the store, left out


def normalize_date(text: str) -> str:
    """An ISO date (2026-02-11, 20260211, 2026-W07-3) as YYYY-MM-DD; anything else a clear error."""
    try:
        return calendar_date.fromisoformat(str(text).strip()).isoformat()
    except ValueError as exc:
        raise PodbriefError(f"Date {text!r} {DATE_FORMAT_HINT}.") from exc


def parse_date(date: str) -> datetime:
    """A brief date, exactly YYYY-MM-DD (stored dates compare as text), as midnight UTC; a clear error otherwise."""
    if normalize_date(date) != date:
        raise PodbriefError(f"Date {date!r} {DATE_FORMAT_HINT}.")
    moment = datetime.fromisoformat(date).replace(tzinfo=UTC)
    if not FIRST_DATE <= moment.date() <= datetime.now(UTC).date() + timedelta(days=1):
        raise PodbriefError(f"Date {date} is outside the dates a brief can have ({FIRST_DATE} to tomorrow). "
                            "Pick another date.")
    return moment


def rank(store: Store, date: str, *, weights: Weights | None = None, pins: list[str] | None = None,
         excludes: list[str] | None = None, edits: dict[str, str] | None = None, fixed: list[str] | None = None,
         settings: Settings | None = None) -> Brief:
    """Score the day's candidates and pick the top five; `fixed` scores and explains a given list, in its order, instead.

    Example: `python -m pipeline brief --date 2024-05-10 --weights '{"novelty": 1.5}'`
    """
    w = weights or Weights()
    pins, excludes, edits = list(dict.fromkeys(pins or [])), set(excludes or []), edits or {}
    clash = sorted(excludes & set(pins))
    if clash:
        raise PodbriefError(f"Insight(s) {', '.join(clash)} are both pinned and excluded for {date}. Unpin or un-exclude them.")
    end = parse_date(date) + timedelta(days=1)
    start = end - timedelta(hours=w.window_hours)
    forced = list(dict.fromkeys(pins + (fixed or [])))
    inputs = load_inputs(store, date, start=start, end=end, since=end - timedelta(days=CORROBORATION_DAYS), forced=forced,
                         interests=w.interests, settings=settings)
    rows = inputs.rows
    # flagged insights (sponsor reads, intros, ...) are never candidates
    in_window = rows.filter(pc.and_(rows.column("in_range"), pc.greater_equal(rows.column("published"), iso_prefix(start))))
    ids, flags = (in_window.column(c).to_pylist() for c in ("insight_id", "flags"))
    window_ids = [i for i, flagged in zip(ids, flags, strict=True) if i not in excludes and not flagged]
    cand = _candidates(rows, inputs.vectors, window_ids + forced)
    missing = sorted(set(forced) - set(cand["insight_id"]))
    if missing:
        raise PodbriefError(f"Insight(s) {', '.join(missing)} are not in the store. Remove them from the brief for {date}.")
    comps = _components(cand, inputs, start, end, w)
    total = _total(comps, w)
    if fixed is not None:
        chosen = [cand["index"][i] for i in fixed]
    else:
        chosen = _select(cand, total, [cand["index"][p] for p in pins], w, window_ids)
    eligible = sum(1 for i in window_ids if total[cand["index"][i]] >= w.quality_floor)
    rest = sorted((cand["index"][i] for i in window_ids if cand["index"][i] not in chosen),
                  key=lambda c: (-total[c], cand["insight_id"][c]))[:ALTERNATES]
    pinned = {cand["index"][p] for p in pins}
    automatic = set() if fixed is not None else set(chosen) - pinned
    shown = _picks(store, cand, chosen + rest, comps, total, w, edits, pinned, automatic, chosen_set=set(chosen))
    picks, alternates = shown[:len(chosen)], shown[len(chosen):]
    brief = Brief(date, iso_prefix(start), iso_prefix(end), picks, alternates, len(window_ids), eligible, w)
    if len(picks) < TOP_N and fixed is None:
        brief.shortfall = (f"Only {len(picks)} insight(s) made the brief: {len(window_ids)} candidate(s) in the "
                           f"{w.window_hours:g} h window ending {date}, {eligible} above the quality bar of "
                           f"{w.quality_floor:.2f}, at most {w.max_per_podcast} per podcast and {w.max_per_topic} per topic.")
    return brief


def _candidates(rows: pa.Table, vectors: np.ndarray, wanted: list[str]) -> dict:
    """Candidate columns as lists (vectors as a matrix), in insight_id order: the wanted ids among `rows`."""
    at = pc.indices_nonzero(pc.is_in(rows.column("insight_id"), pa.array(list(dict.fromkeys(wanted)), pa.string())))
    table = rows.take(at)
    order = pc.sort_indices(table, [("insight_id", "ascending")])  # a fixed order for ties
    table = table.take(order)
    cand = {c: table.column(c).to_pylist() for c in CANDIDATE_COLUMNS}
    cand["vector"] = vectors[at.to_numpy()[order.to_numpy()]] if table.num_rows else np.zeros((0, 0), np.float32)
    cand["index"] = {i: n for n, i in enumerate(cand["insight_id"])}
    return cand


def _components(cand: dict, inputs: RankInputs, start: datetime, end: datetime, w: Weights) -> dict[str, np.ndarray | None]:
    n = len(cand["insight_id"])
    quality = np.clip(np.array([s or 0.0 for s in cand["score"]], dtype=np.float32), 0, 1) if n else np.zeros(0)
    return {
        "quality": quality,
        "novelty": novelty(cand, inputs.rows, inputs.vectors, start, stored=inputs.history_stored,
                           threshold=w.related_threshold),
        "corroboration": corroboration(cand, inputs.rows, inputs.vectors, end - timedelta(days=CORROBORATION_DAYS),
                                       w.related_threshold, CORROBORATION_FULL),
        "recency": recency(cand, start, end),
        "interest": interest(cand, inputs.profile),
        "podcast": podcast_weight(cand, inputs.feed_weights),
    }


def _total(comps: dict[str, np.ndarray | None], w: Weights) -> np.ndarray:
    active = [(name, w.weight_of(name)) for name in COMPONENTS if comps[name] is not None and w.weight_of(name) > 0]
    n = len(comps["quality"])
    weight_sum = sum(weight for _, weight in active)
    if not active or n == 0:
        return np.zeros(n, dtype=np.float32)
    return sum(weight * comps[name] for name, weight in active) / weight_sum


def _select(cand: dict, total: np.ndarray, pinned: list[int], w: Weights, window_ids: list[str]) -> list[int]:
    """Pins first, then maximal marginal relevance among eligible window candidates, within the caps."""
    vectors = cand["vector"]
    chosen = list(pinned)
    per_feed: dict[str, int] = {}
    per_topic: dict[str, int] = {}
    for c in chosen:
        per_feed[cand["feed_id"][c]] = per_feed.get(cand["feed_id"][c], 0) + 1
        if cand["topic_id"][c]:
            per_topic[cand["topic_id"][c]] = per_topic.get(cand["topic_id"][c], 0) + 1
    pool = [cand["index"][i] for i in window_ids if total[cand["index"][i]] >= w.quality_floor]
    pool = sorted(set(pool) - set(chosen))
    similarity = np.full(len(total), 0.0, dtype=np.float32)
    if chosen:
        similarity = (vectors @ vectors[chosen].T).max(axis=1)
    while len(chosen) < TOP_N:
        allowed = [c for c in pool if per_feed.get(cand["feed_id"][c], 0) < w.max_per_podcast
                   and (not cand["topic_id"][c] or per_topic.get(cand["topic_id"][c], 0) < w.max_per_topic)]
        if not allowed:
            break
        values = w.mmr_lambda * total[allowed] - (1 - w.mmr_lambda) * np.maximum(similarity[allowed], 0)
        best = allowed[int(np.argmax(values))]  # argmax takes the first of ties; pool is in insight_id order
        chosen.append(best)
        pool.remove(best)
        per_feed[cand["feed_id"][best]] = per_feed.get(cand["feed_id"][best], 0) + 1
        if cand["topic_id"][best]:
            per_topic[cand["topic_id"][best]] = per_topic.get(cand["topic_id"][best], 0) + 1
        similarity = np.maximum(similarity, vectors @ vectors[best])
    return chosen


def _picks(store: Store, cand: dict, indices: list[int], comps: dict, total: np.ndarray, w: Weights,
           edits: dict[str, str], pinned: set[int], automatic: set[int], *, chosen_set: set[int]) -> list[Pick]:
    if not indices:
        return []
    ids = [cand["insight_id"][c] for c in indices]
    columns = ["insight_id", "text", "quote", "start_s", "end_s", "published", "episode_id", "feed_id", "headline",
               "also_on"]
    rows = {r["insight_id"]: {**r, "topic_id": cand["topic_id"][cand["index"][r["insight_id"]]]}
            for r in store.rows("insights", sql_in("insight_id", ids), columns=columns)}
    episodes = {r["episode_id"]: r for r in store.rows(
        "episodes", sql_in("episode_id", {r["episode_id"] for r in rows.values()}),
        columns=["episode_id", "title", "link", "audio_url"])}
    feeds = {r["feed_id"]: r for r in store.rows("feeds", sql_in("feed_id", {r["feed_id"] for r in rows.values()}),
                                                 columns=["feed_id", "title"])}
    topics = {r["topic_id"]: r for r in store.rows("topics", sql_in("topic_id", {r["topic_id"] for r in rows.values()
                                                                                  if r["topic_id"]}),
                                                   columns=["topic_id", "label"])}
    out = []
    for c, insight_id in zip(indices, ids, strict=True):
        row = rows[insight_id]
        episode = episodes.get(row["episode_id"], {})
        components = {name: (None if comps[name] is None else round(float(comps[name][c]), 4)) for name in COMPONENTS}
        shares, score = _contributions(components, w), round(float(total[c]), 4)
        out.append(Pick(
            insight_id=insight_id, text=edits.get(insight_id) or row["text"], original_text=row["text"],
            quote=row["quote"] or "", start_s=float(row["start_s"] or 0.0), end_s=float(row["end_s"] or 0.0),
            published=row["published"], episode_id=row["episode_id"], episode_title=episode.get("title") or "",
            episode_link=episode.get("link"), audio_url=episode.get("audio_url"), feed_id=row["feed_id"],
            feed_title=(feeds.get(row["feed_id"]) or {}).get("title") or row["feed_id"], topic_id=row["topic_id"],
            topic_label=(topics.get(row["topic_id"]) or {}).get("label"), score=score,
            components=components, pinned=c in pinned, contributions=shares,
            why=_why(shares, score, w, pinned=c in pinned, automatic=c in automatic, chosen=c in chosen_set),
            headline=row["headline"] or "", also_on=list(row["also_on"] or []),
        ))
    return out


def _contributions(components: dict[str, float | None], w: Weights) -> dict[str, float]:
    """Each weighted component's share of the overall score (the weighted mean), so that they add up to it."""
    active = {name: w.weight_of(name) for name, value in components.items() if value is not None and w.weight_of(name) > 0}
    weight_sum = sum(active.values())
    return {name: round(weight * components[name] / weight_sum, 4) for name, weight in active.items()} if weight_sum else {}


def _why(shares: dict[str, float], total: float, w: Weights, *, pinned: bool, automatic: bool, chosen: bool) -> str:
    """Why an insight is in the brief or left out, in the words an editor uses."""
    top = [COMPONENT_LABELS[name] for name, share in sorted(shares.items(), key=lambda kv: -kv[1])[:WHY_REASONS]
           if share > 0]
    score = f"It scores {total:.2f}" + (f", mostly for: {'; '.join(top)}." if top else ".")
    if pinned:
        return f"Chosen by the editor, so every reader gets it. {score}"
    if automatic:
        return f"Picked automatically: among the best scores and unlike the picks above it. {score}"
    if chosen:
        return f"In this brief. {score}"
    if total < w.quality_floor:
        return f"Left out: its score of {total:.2f} is under the bar of {w.quality_floor:.2f} for automatic picks."
    return (f"Left out to keep the brief varied: it is close to a pick above, or the brief already has enough from "
            f"this show or topic. {score}")
