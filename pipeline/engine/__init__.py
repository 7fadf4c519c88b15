"""The brief engine: topics, related insights, the ranked top five, editors' briefs, search and export.

Entry points: `topics` (clustering), `related`, `rank`, the briefs (`assemble_brief`, `save_brief`,
`publish_brief`), `search` and `brief` (the Markdown export).
"""

from .briefs import assemble_brief, get_brief, latest_brief_date, list_briefs, publish_brief, save_brief
from .export import brief, export_markdown
from .rank import Brief, Pick, rank
from .related import related
from .search import insight_detail, search
from .topics import topics
from .weights import Weights

__all__ = [
    "Brief", "Pick", "Weights", "assemble_brief", "brief", "export_markdown", "get_brief", "insight_detail",
    "latest_brief_date", "list_briefs", "publish_brief", "rank", "related", "save_brief", "search", "topics",
]
