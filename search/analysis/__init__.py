"""Text analysis shared by both backends (see ``analyzer`` for the pipeline)."""

from search.analysis.analyzer import (
    Alternative,
    Analyzer,
    Concept,
    QueryAnalysis,
    default_analyzer,
    gram_tokens,
)
from search.analysis.normalize import normalize

__all__ = [
    "Alternative",
    "Analyzer",
    "Concept",
    "QueryAnalysis",
    "default_analyzer",
    "gram_tokens",
    "normalize",
]
