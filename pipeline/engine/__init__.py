"""The brief engine: topics, related insights, the ranked top five, editors' briefs, search and export.

Entry points: `topics` (clustering), `rename_topic` and `merge_topics` (editors' changes that re-clustering keeps),
`related`, `rank`, the editors' versioned briefs (`get_brief`, `save_brief`, `publish_brief`, `published_brief`,
`brief_history`, `assemble_brief`), weights presets, `search` (with `SearchFilters`) and `brief` (the Markdown export).
"""

from .briefs import (
    assemble_brief,
    brief_history,
    compose_brief,
    get_brief,
    latest_brief_date,
    list_briefs,
    publish_brief,
    published_brief,
    save_brief,
)
from .export import brief, export_markdown
from .presets import default_weights, list_presets, save_preset
from .rank import Brief, Pick, rank
from .related import related
from .search import SearchFilters, insight_detail, search
from .topic_edits import merge_topics, rename_topic
from .topics import topics
from .weights import Weights

__all__ = [
    "Brief", "Pick", "SearchFilters", "Weights", "assemble_brief", "brief", "brief_history", "compose_brief",
    "default_weights", "export_markdown", "get_brief", "insight_detail", "latest_brief_date", "list_briefs",
    "list_presets", "merge_topics", "publish_brief", "published_brief", "rank", "related", "rename_topic", "save_brief",
    "save_preset", "search", "topics",
]
