"""The daily top five and the editor's briefs, on a real LanceDB store with three planted topics."""

import json
import re
from collections import Counter

import pytest

from pipeline.engine.briefs import assemble_brief, get_brief, latest_brief_date, list_briefs, publish_brief, save_brief
from pipeline.engine.rank import TOP_N, rank
from pipeline.engine.weights import COMPONENTS, Weights
from pipeline.errors import PodbriefError
from tests.engine_fixtures import Engine, clustered_engine  # noqa: F401  (the `engine` fixture)


def test_top_five_is_deterministic_and_explains_itself(engine: Engine) -> None:
    brief = rank(engine.store, engine.date)
    again = rank(engine.store, engine.date)
    assert [p.insight_id for p in brief.picks] == [p.insight_id for p in again.picks]
    assert len(brief.picks) == TOP_N and brief.shortfall is None and brief.candidates == 18
    w = Weights()
    for pick in brief.picks:
        assert pick.published.startswith(engine.date)
        assert set(pick.components) == set(COMPONENTS) and pick.components["interest"] is None  # no profile set
        used = {k: v for k, v in pick.components.items() if v is not None}
        assert all(0.0 <= v <= 1.0 for v in used.values())
        expected = sum(w.weight_of(k) * v for k, v in used.items()) / sum(w.weight_of(k) for k in used)
        assert pick.score == pytest.approx(expected, abs=2e-3)
        assert pick.score >= w.quality_floor and "MMR" in pick.why and f"{pick.score:.2f}" in pick.why
        assert pick.feed_title and pick.episode_title and pick.audio_url
    assert brief.alternates and all(a.insight_id not in {p.insight_id for p in brief.picks} for a in brief.alternates)


def test_diversity_caps_hold(engine: Engine) -> None:
    for cap in (1, 2):
        brief = rank(engine.store, engine.date, weights=Weights(max_per_podcast=cap, max_per_topic=cap))
        assert max(Counter(p.feed_id for p in brief.picks).values()) <= cap
        assert max(Counter(p.topic_id for p in brief.picks).values()) <= cap
    one_each = rank(engine.store, engine.date, weights=Weights(max_per_podcast=1))
    assert len(one_each.picks) == 3  # only three podcasts published that day
    assert one_each.shortfall and "Only 3 insight(s)" in one_each.shortfall and "at most 1 per podcast" in one_each.shortfall


def test_quality_floor_leaves_the_brief_short_rather_than_padding(engine: Engine) -> None:
    brief = rank(engine.store, engine.date, weights=Weights(quality_floor=0.99))
    assert brief.picks == [] and brief.eligible == 0
    assert "0 above the quality floor of 0.99" in brief.shortfall


def test_editor_overrides_win(engine: Engine) -> None:
    auto = rank(engine.store, engine.date)
    top = auto.picks[0].insight_id
    old = "podcasting-000"  # published four days earlier: outside the window, and pinned anyway
    third = auto.picks[2].insight_id
    brief = rank(engine.store, engine.date, pins=[old, third], excludes=[top], order=[third, old],
                 edits={old: "An editor's rewrite."})
    ids = [p.insight_id for p in brief.picks]
    assert ids[:2] == [third, old] and top not in ids and len(ids) == TOP_N
    pinned = next(p for p in brief.picks if p.insight_id == old)
    assert pinned.pinned and pinned.text == "An editor's rewrite." and pinned.original_text != pinned.text
    assert pinned.why.startswith("Pinned by the editor")
    strict = rank(engine.store, engine.date, weights=Weights(quality_floor=0.99), pins=[old])
    assert [p.insight_id for p in strict.picks] == [old], "a pin stays in even below the quality floor"
    assert pinned.components["novelty"] > 0.2  # its own history does not count against it
    with pytest.raises(PodbriefError, match="both pinned and excluded"):
        rank(engine.store, engine.date, pins=[old], excludes=[old])
    with pytest.raises(PodbriefError, match="not in the store"):
        rank(engine.store, engine.date, pins=["no-such-insight"])


def test_manual_order_is_kept(engine: Engine) -> None:
    auto = [p.insight_id for p in rank(engine.store, engine.date).picks]
    wanted = list(reversed(auto))
    assert [p.insight_id for p in rank(engine.store, engine.date, order=wanted).picks] == wanted


def test_interest_profile_pulls_its_topic_up(engine: Engine) -> None:
    w = Weights(interest=5.0, interests=["generics and backwards compatibility in the Go programming language"])
    brief = rank(engine.store, engine.date, weights=w)
    assert engine.topic_of[brief.picks[0].insight_id] == "go"
    assert all(p.components["interest"] is not None for p in brief.picks)
    liked = engine.ids("podcasting")[-1]
    by_id = rank(engine.store, engine.date, weights=Weights(interest=5.0, interests=[liked]))
    assert engine.topic_of[by_id.picks[0].insight_id] == "podcasting"


def test_novelty_drops_for_what_an_earlier_brief_already_picked(engine: Engine) -> None:
    today = rank(engine.store, engine.date).picks[0]
    assert today.components["novelty"] < 1.0
    save_brief(engine.store, "2024-05-09", pins=[today.insight_id], status="published")
    again = rank(engine.store, engine.date, fixed=[today.insight_id]).picks[0]
    assert again.components["novelty"] == pytest.approx(0.0, abs=1e-3)


def test_weights_round_trip_and_reject_nonsense() -> None:
    w = Weights.from_json('{"novelty": 1.5, "max_per_topic": 1, "interests": "go"}')
    assert (w.novelty, w.max_per_topic, w.interests) == (1.5, 1, ["go"])
    assert Weights.from_json(w.to_json()) == w
    with pytest.raises(PodbriefError, match=re.escape("Unknown weight(s) novelty_boost. Valid keys: quality")):
        Weights.from_json({"novelty_boost": 2})
    with pytest.raises(PodbriefError, match=re.escape("mmr_lambda=1.5 must be between 0 and 1")):
        Weights.from_json({"mmr_lambda": 1.5})
    with pytest.raises(PodbriefError, match="not a JSON object"):
        Weights.from_json("{novelty: 1")


def test_saved_drafts_publishing_and_force(engine: Engine) -> None:
    auto = rank(engine.store, engine.date)
    dropped = auto.picks[0].insight_id
    draft = save_brief(engine.store, engine.date, excludes=[dropped], notes={"_brief": "Hello readers"}, editor="ed")
    assert draft.status == "draft" and draft.note == "Hello readers" and dropped not in [p.insight_id for p in draft.picks]
    saved = get_brief(engine.store, engine.date)
    assert saved["insight_ids"] == [p.insight_id for p in draft.picks] and json.loads(saved["weights"].to_json())
    published = publish_brief(engine.store, engine.date, editor="ed")
    assert published.status == "published" and published.published_at
    assert [p.insight_id for p in assemble_brief(engine.store, engine.date).picks] == saved["insight_ids"]
    with pytest.raises(PodbriefError, match=r"already published .* Pass force=True \(--force\)"):
        publish_brief(engine.store, engine.date)
    with pytest.raises(PodbriefError, match="already published"):
        save_brief(engine.store, engine.date, pins=[dropped])
    forced = save_brief(engine.store, engine.date, pins=[dropped], status="draft", force=True)
    assert dropped in [p.insight_id for p in forced.picks]
    assert [b["date"] for b in list_briefs(engine.store)] == [engine.date]
    assert latest_brief_date(engine.store) == engine.date


def test_bad_date_is_explained(engine: Engine) -> None:
    with pytest.raises(PodbriefError, match="Date '2024-13-45' is not YYYY-MM-DD"):
        rank(engine.store, "2024-13-45")
