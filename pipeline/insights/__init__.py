"""Insights: a transcript to 1-3 sentence takeaways (an LLM or the offline extractive method), and their vectors.

Entry points: `extract` (one transcript), `embed` (texts to vectors), `reembed` (the whole store, after a
change of embedding model).
"""

from .embed import embed
from .extract import Extraction, extract
from .reembed import reembed

__all__ = ["Extraction", "embed", "extract", "reembed"]
