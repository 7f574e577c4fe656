"""English: Snowball (Porter 2) stemming and a stop-word list.

Titles and notes in ``title_en`` / ``notes_en`` are short, so the stop list is
Lucene's classic English set plus a few words that only pad catalogue text.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import snowballstemmer

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "from",
        "its",
        "per",
        "via",
    ]
)

_local = threading.local()


def _stemmer() -> Any:
    # Snowball stemmers keep state between calls: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = snowballstemmer.stemmer("english")
        _local.stemmer = stemmer
    return stemmer


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    if not word.isascii() or not word.isalpha():
        return word  # numbers and codes stay as they are
    return str(_stemmer().stemWord(word))


def is_stop_word(word: str) -> bool:
    return word in STOP_WORDS


def minimal_stem(word: str) -> str:
    """Plural folding only (Lucene's EnglishMinimalStemmer), for thesaurus look-ups.

    Snowball conflates too much for a synonym key: "parking" and "park" both
    become "park", but one means 停车场 and the other 公园.
    """
    if len(word) < 3 or word[-1] != "s" or word[-2] in "us":
        return word
    if word[-2] == "e":
        if len(word) > 3 and word[-3] == "i" and word[-4] not in "ae":
            return word[:-3] + "y"
        if word[-3] in "iaoe":
            return word
    return word[:-1]
