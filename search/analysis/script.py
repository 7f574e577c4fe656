"""Which characters are Chinese, which are Latin words."""

from __future__ import annotations

import re

# CJK Unified Ideographs with extension A and the compatibility block.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{CJK}]")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
# A unit of text for character bigrams: one Chinese character or one Latin word.
UNIT = re.compile(f"[{CJK}]|[a-z0-9]+")
# Runs of units not separated by spaces or punctuation.
RUN = re.compile(f"(?:[{CJK}]|[a-z0-9])+")


def has_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.search(text))


def is_cjk_char(char: str) -> bool:
    return bool(_CJK_CHAR.fullmatch(char))


def latin_words(text: str) -> list[str]:
    return _LATIN_WORD.findall(text)
