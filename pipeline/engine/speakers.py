"""Who said an insight: the transcript's named speaker where the insight starts (publisher transcripts often name
them; speech recognition does not)."""

from __future__ import annotations

from ..store import Store, sql_eq


def speakers_at(store: Store, insights: list[dict]) -> dict[str, str]:
    """Who speaks where each insight starts, where the transcript names speakers."""
    if not insights:
        return {}
    where = " OR ".join(f"({sql_eq('episode_id', r['episode_id'])} AND start_s <= {float(r['start_s'] or 0):.3f} "
                        f"AND end_s > {float(r['start_s'] or 0):.3f})" for r in insights)
    found: dict[tuple[str, float], str] = {}
    for seg in store.rows("segments", f"speaker IS NOT NULL AND ({where})", columns=["episode_id", "start_s", "speaker"]):
        found.setdefault((seg["episode_id"], seg["start_s"]), seg["speaker"])
    out = {}
    for r in insights:
        names = [name for (episode, start), name in sorted(found.items()) if episode == r["episode_id"]
                 and start <= float(r["start_s"] or 0)]
        if names:
            out[r["insight_id"]] = names[-1]
    return out
