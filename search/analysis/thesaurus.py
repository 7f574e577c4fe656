"""The thesaurus: what people call things versus what catalogue titles say.

``data/thesaurus.tsv`` holds one relation per line (``#`` starts a comment)::

    theme <TAB> relation <TAB> term|term|... [<TAB> term|term|...]

with the relations of ISO 25964:

* ``=``  equivalence: every term of the list stands for every other one;
* ``>``  USE: each term on the left (colloquial, abbreviation, English) is
  searched as the terms on the right (the catalogue's preferred terms), not
  the other way round;
* ``~``  related term: left and right find each other, at a lower weight.

Lines whose theme is 通用 hold catalogue words that describe any dataset
(名录, 地址, 电话, 实时, 数据): a query word among them ranks results but does
not make a dataset match on its own.

Terms are Chinese (matched as segmented words) or English (matched after
stemming, several words allowed: "air quality"). Expansion is not transitive:
what a term finds is exactly what its lines say.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources

from search.analysis.english import is_stop_word, minimal_stem
from search.analysis.normalize import normalize
from search.analysis.script import has_cjk, latin_words

# Lines of this theme hold catalogue words that describe any dataset (名录,
# 地址, 实时, 数据): they rank results but never decide alone what matches.
GENERIC_THEME = "通用"
SYNONYM_WEIGHT = 1.0
RELATED_WEIGHT = 0.5
RELATIONS = ("=", ">", "~")


@dataclass(frozen=True)
class Expansion:
    term: str  # normalised surface form of the term to search as well
    weight: float


class Thesaurus:
    def __init__(self, lines: list[tuple[str, str, list[str], list[str]]]) -> None:
        self._expansions: dict[str, dict[str, float]] = defaultdict(dict)
        self._generic: set[str] = set()
        self.themes: dict[str, str] = {}
        for theme, relation, left, right in lines:
            self._add(theme, relation, left, right)

    def _add(self, theme: str, relation: str, left: list[str], right: list[str]) -> None:
        if relation == "=":
            group = left + right
            for term in group:
                for other in group:
                    self._link(term, other, SYNONYM_WEIGHT)
        elif relation == ">":
            for term in left:
                for preferred in right:
                    self._link(term, preferred, SYNONYM_WEIGHT)
        else:
            for term in left:
                for other in right:
                    self._link(term, other, RELATED_WEIGHT)
                    self._link(other, term, RELATED_WEIGHT)
        for term in left + right:
            self.themes.setdefault(term_key(term), theme)
            if theme == GENERIC_THEME:
                self._generic.add(term_key(term))

    def _link(self, term: str, other: str, weight: float) -> None:
        key = term_key(term)
        surface = normalize(other)
        if key == term_key(other) or not key:
            return
        known = self._expansions[key].get(surface, 0.0)
        self._expansions[key][surface] = max(known, weight)

    def expansions(self, key: str) -> tuple[Expansion, ...]:
        found = self._expansions.get(key, {})
        return tuple(Expansion(term, weight) for term, weight in sorted(found.items()))

    def is_generic(self, key: str) -> bool:
        return key in self._generic

    def knows(self, key: str) -> bool:
        return key in self._expansions

    def chinese_terms(self) -> set[str]:
        terms = set(self._expansions)
        for targets in self._expansions.values():
            terms.update(targets)
        return {term for term in terms if has_cjk(term)}

    def english_keys(self) -> set[str]:
        return {key for key in self._expansions if not has_cjk(key)}


def term_key(term: str) -> str:
    """The lookup key: the normalised word for Chinese, plural-folded words for English."""
    surface = normalize(term)
    if has_cjk(surface):
        return surface.replace(" ", "")
    return english_key(latin_words(surface))


def english_key(words: list[str]) -> str:
    return " ".join(minimal_stem(word) for word in words if not is_stop_word(word))


def parse_thesaurus(text: str) -> list[tuple[str, str, list[str], list[str]]]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) not in (3, 4) or cells[1] not in RELATIONS:
            raise ValueError(
                f"thesaurus.tsv line {number}: expected theme, relation, terms[, terms]"
            )
        left = [term.strip() for term in cells[2].split("|") if term.strip()]
        right = (
            [term.strip() for term in cells[3].split("|") if term.strip()]
            if len(cells) == 4
            else []
        )
        if cells[1] != "=" and not right:
            raise ValueError(f"thesaurus.tsv line {number}: '{cells[1]}' needs a right-hand side")
        lines.append((cells[0].strip(), cells[1], left, right))
    return lines


@cache
def default_thesaurus() -> Thesaurus:
    text = resources.files("search.analysis.data").joinpath("thesaurus.tsv").read_text("utf-8")
    return Thesaurus(parse_thesaurus(text))
