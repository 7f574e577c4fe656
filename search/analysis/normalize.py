"""Character-level normalisation shared by documents and queries.

NFKC folds full-width letters, digits and punctuation to their ASCII forms
(ＡＢＣ１２３ → ABC123), OpenCC's t2s maps traditional characters to the
simplified ones the catalogue is written in (空氣質量 → 空气质量), and case
folding makes English case-insensitive.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

_lock = threading.Lock()
_state: dict[str, Any] = {}  # the OpenCC converter, created on first use
# Apostrophes inside words (Ma'anshan, children's) would split a word in two.
_APOSTROPHE = re.compile(r"(?<=[a-z])['’](?=[a-z])")


def _t2s() -> Any:
    if "t2s" not in _state:
        with _lock:
            if "t2s" not in _state:
                import opencc

                _state["t2s"] = opencc.OpenCC("t2s")
    return _state["t2s"]


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFKC, traditional → simplified, lower case; the form every analyser starts from."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if any(ord(char) > 0x2E7F for char in folded):  # only CJK text needs OpenCC
        folded = to_simplified(folded)
    return _APOSTROPHE.sub("", folded)
