"""The ``_full_text`` column and ``q``: one normalised text per row, matched by substring.

Rows and queries go through the search analyser's character normalisation
(NFKC, traditional -> simplified Chinese, case folding), so 上海 finds 上海市
and 臺北 finds 台北. Substring matching needs no word segmentation, which is
what makes it work for Chinese; each whitespace-separated term must occur.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from search.analysis.normalize import normalize

MAX_TERMS = 20
MAX_TERM_CHARS = 200
# The analyser caches queries; rows are unique, so they skip the cache.
_fold = normalize.__wrapped__


def row_text(values: Iterable[Any]) -> str:
    return _fold(" ".join(str(value) for value in values if value is not None and value != ""))


def query_terms(q: str) -> list[str]:
    terms = [term[:MAX_TERM_CHARS] for term in normalize(q).split()]
    return terms[:MAX_TERMS]


def like_pattern(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere; ``\\`` is the escape character."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
