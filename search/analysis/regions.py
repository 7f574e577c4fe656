"""Recognising places in a query, from the GB/T 2260 gazetteer.

Full names (苏州市), common names (苏州), English names (Suzhou), the
one-character province names (沪 苏 浙 皖, only when they stand alone: 苏 in
苏州 is not Jiangsu), combinations of them (江浙沪, 沪苏浙皖) and 长三角 (all four
provinces). A recognised place is not text to match: the planner ranks
datasets whose ``region_code`` lies inside it first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

from search.analysis.normalize import normalize
from standards import regions as gbt2260

DELTA = frozenset(gbt2260.DELTA_PROVINCES)
# Names for the whole Yangtze River Delta (长三角 = all four provinces).
DELTA_NAMES = ("长三角", "长三角地区", "长江三角洲", "长三角区域", "长三角一体化")
DELTA_NAMES_EN = ("yangtze river delta", "yangtze delta", "yrd")
# 江 stands for 江苏 only inside combinations such as 江浙沪.
_COMBINATION = re.compile(r"^[沪苏浙皖江]{2,4}$")
_COMBINATION_CHARS = {"江": "320000"}
_QUALIFIER = re.compile(r"\s*\(.*\)\s*$")


class RegionIndex:
    def __init__(self) -> None:
        chinese: dict[str, set[str]] = defaultdict(set)
        english: dict[str, set[str]] = defaultdict(set)
        qualified_english: dict[str, set[str]] = defaultdict(set)
        shorts: dict[str, str] = {}
        for region in gbt2260.gazetteer().values():
            for name in (region.name, *region.aliases):
                if len(name) > 1:
                    chinese[normalize(name)].add(region.code)
            if region.short:
                shorts[normalize(region.short)] = region.code
            plain = _QUALIFIER.sub("", region.name_en)
            target = qualified_english if plain != region.name_en else english
            target[normalize(plain)].add(region.code)
        for name, codes in qualified_english.items():
            if name not in english:  # Suzhou means 苏州; Taizhou stays ambiguous
                english[name] = codes
        for name in DELTA_NAMES:
            chinese[name] = set(DELTA)
        for name in DELTA_NAMES_EN:
            english[name] = set(DELTA)
        self.chinese = {name: frozenset(codes) for name, codes in chinese.items()}
        self.english = {name: frozenset(codes) for name, codes in english.items()}
        self.shorts = shorts
        self.max_english_words = max(len(name.split()) for name in self.english)

    def chinese_names(self) -> set[str]:
        return set(self.chinese)

    def lookup_chinese(self, token: str) -> frozenset[str] | None:
        """Codes for a standalone Chinese token, or None when it is not a place."""
        if token in self.chinese:
            return self.chinese[token]
        if token in self.shorts:
            return frozenset({self.shorts[token]})
        if _COMBINATION.match(token):
            codes = set()
            for char in token:
                code = self.shorts.get(char) or _COMBINATION_CHARS.get(char)
                if code is None:
                    return None
                codes.add(code)
            if len(codes) == len(token):  # no repeated province
                return frozenset(codes)
        return None

    def lookup_english(self, words: tuple[str, ...]) -> frozenset[str] | None:
        return self.english.get(" ".join(words))


@cache
def region_index() -> RegionIndex:
    return RegionIndex()


def inside_any(code: str, regions: frozenset[str]) -> bool:
    return any(gbt2260.contains(outer, code) for outer in regions)
