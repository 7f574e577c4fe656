"""The ``_full_text`` column and ``q``: one normalised text per row, matched by substring.

Rows and queries go through the search analyser's character normalisation
(NFKC, traditional -> simplified Chinese, case folding), so 上海 finds 上海市
and 臺北 finds 台北. Substring matching needs no word segmentation, which is
what makes it work for Chinese; each whitespace-separated term must occur.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from search.analysis.normalize import to_simplified

MAX_TERMS = 20
MAX_TERM_CHARS = 200


def fold(text: str) -> str:
    """The search analyser's character folding, cheap for the common ASCII-only row."""
    if text.isascii():
        return text.lower()
    return to_simplified(unicodedata.normalize("NFKC", text).casefold())


def row_text(values: Iterable[Any]) -> str:
    return fold(" ".join(str(value) for value in values if value is not None and value != ""))


def fold_many(texts: list[str]) -> list[str]:
    """``fold`` for a batch of rows' texts, with one OpenCC call instead of one per row."""
    foreign = [i for i, text in enumerate(texts) if not text.isascii()]
    out = [text.lower() for text in texts]
    if foreign:
        joined = "\n".join(texts[i].replace("\n", " ") for i in foreign)
        folded = to_simplified(unicodedata.normalize("NFKC", joined).casefold()).split("\n")
        for i, text in zip(foreign, folded, strict=True):
            out[i] = text
    return out


def query_terms(q: str) -> list[str]:
    terms = [term[:MAX_TERM_CHARS] for term in fold(q).split()]
    return terms[:MAX_TERMS]


def like_pattern(term: str) -> str:
    """A LIKE pattern matching ``term`` anywhere; ``\\`` is the escape character."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
