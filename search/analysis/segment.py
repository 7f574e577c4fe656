"""Chinese word segmentation with jieba and our own dictionary.

A private ``jieba.Tokenizer`` (never jieba's global one, which other code may
share) is loaded lazily on first use with jieba's default dictionary plus
``data/dictionary.txt`` (government and catalogue terms), every Chinese term
of the thesaurus and every place name of the GB/T 2260 gazetteer, so that the
words people search for come out as single tokens.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from importlib import resources
from typing import Any

# High enough that a listed compound beats its parts, low enough that jieba's
# context statistics still win for unrelated neighbours.
DICTIONARY_FREQUENCY = 3000
MAX_WORD_LENGTH = 8  # longest dictionary word looked for inside running text


class Segmenter:
    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._extra_words = tuple(extra_words)
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _ready(self) -> Any:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._load()
        return self._tokenizer

    def _load(self) -> Any:
        import jieba

        logger = logging.getLogger("jieba")
        previous = logger.level
        logger.setLevel(logging.WARNING)  # jieba announces its dictionary loading on DEBUG
        try:
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
        finally:
            logger.setLevel(previous)
        for word in (*dictionary_words(), *self._extra_words):
            if len(word) > 1:
                tokenizer.add_word(
                    word, freq=max(DICTIONARY_FREQUENCY, tokenizer.FREQ.get(word, 0))
                )
        return tokenizer

    def cut(self, text: str) -> list[str]:
        """Precise-mode segmentation (jieba's HMM guesses unknown words)."""
        return list(self._ready().cut(text, HMM=True))

    def is_word(self, word: str) -> bool:
        return bool(self._ready().FREQ.get(word))

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """Precise-mode segments with their (start, end) offsets in ``text``."""
        return [(word, start, end) for word, start, end in self._ready().tokenize(text, HMM=True)]

    def dictionary_words_in(self, run: str) -> list[tuple[str, int, int]]:
        """Every dictionary word of two or more characters inside ``run``, with offsets.

        Exhaustive search mode (as IK's max_word): a document about 财政预算公开
        is found by 财政预算 however jieba happened to cut it (财政 / 预算公开).
        """
        freq = self._ready().FREQ
        found = []
        for start in range(len(run) - 1):
            for end in range(start + 2, min(len(run), start + MAX_WORD_LENGTH) + 1):
                if freq.get(run[start:end]):
                    found.append((run[start:end], start, end))
        return found


def dictionary_words() -> list[str]:
    text = resources.files("search.analysis.data").joinpath("dictionary.txt").read_text("utf-8")
    words = []
    for line in text.splitlines():
        words.extend(line.split("#", 1)[0].split())
    return words
