"""The brief engine: topics, related insights, the ranked top five, editors' briefs, search and export.

Entry points: `topics` (clustering), `rename_topic` and `merge_topics` (editors' changes that re-clustering keeps),
`related`, `rank`, the briefs (`assemble_brief`, `save_brief`, `publish_brief`), `search` (with `SearchFilters`) and
`brief` (the Markdown export).
"""

from .briefs import assemble_brief, get_brief, latest_brief_date, list_briefs, publish_brief, save_brief
from .export import brief, export_markdown
from .rank import Brief, Pick, rank
from .related import related
from .search import SearchFilters, insight_detail, search
from .topic_edits import merge_topics, rename_topic
from .topics import topics
from .weights import Weights

__all__ = [
    "Brief", "Pick", "SearchFilters", "Weights", "assemble_brief", "brief", "export_markdown", "get_brief",
    "insight_detail", "latest_brief_date", "list_briefs", "merge_topics", "publish_brief", "rank", "related",
    "rename_topic", "save_brief", "search", "topics",
]
