"""Marking the words of a search query in the titles and descriptions of its results."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from search.analysis import default_analyzer

_FIELDED = re.compile(r"\b[A-Za-z_]+:\S*")
_OPERATORS = {"AND", "OR", "NOT"}
MAX_TERMS = 40


def terms_of(q: str) -> list[str]:
    """What to mark: the words typed, and the words the search matched them with
    (segmented Chinese words and the thesaurus' equivalents)."""
    text = _FIELDED.sub(" ", q or "")
    raw = [w.strip('"()+-!') for w in text.split()]
    words = [w for w in raw if w and w not in _OPERATORS]
    if not words:
        return []
    found: list[str] = list(words)
    analysis = default_analyzer().analyze_query(" ".join(words), detect_regions=False)
    for concept in analysis.concepts:
        for alternative in (concept.original, *concept.expansions):
            if alternative.word:
                found.append(alternative.word)
    unique = sorted({t for t in found if len(t.strip()) > 0}, key=len, reverse=True)
    return unique[:MAX_TERMS]


def mark(text: str | None, terms: list[str], *, limit: int | None = None) -> Markup:
    """``text`` escaped, with each occurrence of ``terms`` in ``<mark>``; cut to ``limit``."""
    value = text or ""
    if limit is not None and len(value) > limit:
        value = value[:limit].rstrip() + "…"
    if not terms:
        return escape(value)
    pattern = re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(value):
        out.append(str(escape(value[last : match.start()])))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(str(escape(value[last:])))
    # Every piece of the text was escaped above; only our own <mark> tags are markup.
    return Markup("".join(out))  # noqa: S704
