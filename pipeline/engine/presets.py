"""Named sets of ranking weights that editors save, and the default everyone's automatic picks start from.

Presets live in the `weight_presets` table keyed by name; the one named "default" is what the automatic picks
and a new day's brief use (the built-in `Weights()` until an editor saves one). Saving a preset replaces one of
the same name: a preset is a setting, not editorial work, so the last save wins.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..errors import PodbriefError
from ..store import Store, now_iso, sql_eq
from .weights import Weights

log = logging.getLogger(__name__)

DEFAULT_PRESET = "default"
MAX_NAME = 60


def list_presets(store: Store) -> list[dict]:
    """Every saved preset (name, weights, editor, updated_at), the default first, then by name."""
    rows = store.rows("weight_presets")
    for row in rows:
        row["weights"] = Weights.from_json(row["weights"])
    return sorted(rows, key=lambda r: (r["name"] != DEFAULT_PRESET, r["name"].casefold()))


def save_preset(store: Store, name: str, weights: Weights, *, editor: str | None = None) -> dict:
    """Save weights under a name (replacing a preset of that name); "default" makes them everyone's default.

    Example: `python -m pipeline brief --weights "morning news"` then ranks with them.
    """
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise PodbriefError(f"A preset needs a name of 1 to {MAX_NAME} characters.")
    row = {"name": name, "weights": weights.to_json(), "editor": editor, "updated_at": now_iso()}
    store.upsert("weight_presets", [row])
    log.info("Saved the weights preset %r", name)
    return {**row, "weights": weights}


def delete_preset(store: Store, name: str) -> None:
    """Remove a saved preset (removing "default" brings back the built-in weights)."""
    store.delete("weight_presets", sql_eq("name", name))


def default_weights(store: Store) -> Weights:
    """The weights the automatic picks use: the "default" preset when an editor saved one, else the built-in ones."""
    rows = store.rows("weight_presets", sql_eq("name", DEFAULT_PRESET))
    return Weights.from_json(rows[0]["weights"]) if rows else Weights()


def resolve_weights(store: Store, value: Weights | str | dict[str, Any] | None) -> Weights | None:
    """Weights given as Weights, a JSON object (text or dict) or a preset's name; None stays None."""
    if value is None or isinstance(value, (Weights, dict)):
        return None if value is None else Weights.from_json(value)
    text = value.strip()
    if text.startswith("{"):
        return Weights.from_json(text)
    found = store.rows("weight_presets", sql_eq("name", " ".join(text.split())))
    if found:
        return Weights.from_json(found[0]["weights"])
    if text == DEFAULT_PRESET:
        return Weights()
    names = [p["name"] for p in list_presets(store)]
    saved = f"Saved presets: {', '.join(names)}." if names else "No presets are saved yet."
    raise PodbriefError(f"No weights preset is named {text!r}. {saved} Or give the weights as JSON, "
                        f"e.g. {json.dumps({'novelty': 1.5})}.")
