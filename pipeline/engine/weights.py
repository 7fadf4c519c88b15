"""The tunable knobs of the daily ranking, with defaults, validation and JSON round-trips."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..errors import PodbriefError
from .related import RELATED_THRESHOLD

COMPONENTS = ("quality", "novelty", "corroboration", "recency", "interest", "podcast")
COMPONENT_LABELS = {  # what each component rewards, in an editor's words (the Why chart, the sliders, explanations)
    "quality": "a clear, self-contained point",
    "novelty": "new: not heard in the last month",
    "corroboration": "said on other shows too",
    "recency": "one of the newest episodes",
    "interest": "matches your interests",
    "podcast": "from a show you weight highly",
}


@dataclass
class Weights:
    """Component weights, diversity and window settings, and the interest profile used to rank a day."""

    quality: float = 1.0  # the extractor's score
    novelty: float = 0.8  # distance from earlier picks and from the topic's history
    corroboration: float = 0.5  # other podcasts saying something similar recently
    recency: float = 0.3  # later in the window is better
    interest: float = 0.6  # similarity to the interest profile (ignored while `interests` is empty)
    podcast: float = 0.4  # the podcast's weight
    mmr_lambda: float = 0.7  # 1: score only; 0: diversity only
    max_per_podcast: int = 2
    max_per_topic: int = 2
    window_hours: float = 24.0
    quality_floor: float = 0.35  # picks need at least this overall score (pins excepted)
    related_threshold: float = RELATED_THRESHOLD  # cosine of the same idea: "related", corroboration, novelty
    interests: list[str] = field(default_factory=list)  # keywords, topic ids or insight ids

    def __post_init__(self) -> None:
        problems = [f"{name}={getattr(self, name)!r} must be 0 or more" for name in COMPONENTS if getattr(self, name) < 0]
        for name in ("mmr_lambda", "quality_floor", "related_threshold"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name}={getattr(self, name)!r} must be between 0 and 1")
        for name in ("max_per_podcast", "max_per_topic"):
            if getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)!r} must be 1 or more")
        if self.window_hours <= 0:
            problems.append(f"window_hours={self.window_hours!r} must be more than 0")
        if problems:
            raise PodbriefError(f"Invalid ranking weights: {'; '.join(problems)}. Fix them and rerun.")

    def weight_of(self, component: str) -> float:
        """The weight of one named score component."""
        return float(getattr(self, component))

    def to_json(self) -> str:
        """These weights as a JSON object."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, value: str | dict[str, Any] | Weights | None) -> Weights:
        """Weights from a JSON object (text or dict); missing keys keep their defaults."""
        if value is None or value == "":
            return cls()
        if isinstance(value, Weights):
            return value
        try:
            data = json.loads(value) if isinstance(value, str) else dict(value)
        except (ValueError, TypeError) as exc:
            raise PodbriefError(f"The weights are not a JSON object ({exc}). "
                                "Pass e.g. --weights '{\"novelty\": 1.5}'.") from exc
        if not isinstance(data, dict):
            raise PodbriefError(f"The weights must be a JSON object, not {type(data).__name__}. "
                                "Pass e.g. --weights '{\"novelty\": 1.5}'.")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise PodbriefError(f"Unknown weight(s) {', '.join(unknown)}. Valid keys: {', '.join(known)}.")
        values: dict[str, Any] = {}
        for name, raw in data.items():
            default = known[name].default
            try:
                if name == "interests":
                    values[name] = [str(x) for x in ([raw] if isinstance(raw, str) else raw)]
                elif isinstance(default, int) and not isinstance(default, bool):
                    values[name] = int(raw)
                else:
                    values[name] = float(raw)
            except (TypeError, ValueError) as exc:
                raise PodbriefError(f"Weight {name}={raw!r} is not a number. Fix it and rerun.") from exc
        return cls(**values)
