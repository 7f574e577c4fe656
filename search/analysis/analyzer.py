"""Turning text into the tokens both backends index and search.

Every text is normalised (NFKC, traditional → simplified, lower case) and
becomes two token streams:

* **words**: jieba segments with our dictionary, plus the dictionary words
  inside each segment (search mode: 生活垃圾 also yields 垃圾); English words
  stemmed, stop words dropped;
* **grams**: overlapping bigrams of "units" (a Chinese character or a Latin
  word) within each run of text, so that any Chinese substring of two or more
  characters can be found as a phrase even when segmentation disagrees or the
  word is unknown.

Queries go through the same steps, then through region recognition and the
thesaurus (``analyze_query``). Backends only ever see these tokens: they
consist of CJK characters and ``[a-z0-9]``, so they are inert in FTS5 and
Elasticsearch syntax alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, lru_cache

from search.analysis.english import is_stop_word, stem
from search.analysis.normalize import normalize
from search.analysis.regions import RegionIndex, region_index
from search.analysis.script import RUN, UNIT, has_cjk, is_cjk_char, latin_words
from search.analysis.segment import Segmenter
from search.analysis.thesaurus import Thesaurus, default_thesaurus, english_key, term_key

# Function words that carry no subject.
MAX_PHRASE_WORDS = 4  # longest English thesaurus entry looked for in a query
CHINESE_STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "或",
        "等",
        "是",
        "在",
        "对",
        "为",
        "以",
        "于",
        "之",
        "其",
        "并",
        "将",
        "由",
        "从",
        "向",
    ]
)


@dataclass(frozen=True)
class Alternative:
    """One way a concept can appear in a document."""

    word: str | None  # a token of the words stream, if the form is one word
    grams: tuple[str, ...]  # the same form as a phrase of the grams stream
    weight: float = 1.0


@dataclass(frozen=True)
class Concept:
    """One thing the query asks for, with the forms that count as a match."""

    surface: str
    original: Alternative
    expansions: tuple[Alternative, ...] = ()
    prefix: str | None = None  # a lone Chinese character: matched as a gram prefix
    generic: bool = False  # a catalogue word (名录, 地址): ranks, but matches nothing alone

    @property
    def alternatives(self) -> tuple[Alternative, ...]:
        return (self.original, *self.expansions)


@dataclass(frozen=True)
class QueryAnalysis:
    concepts: tuple[Concept, ...]
    regions: frozenset[str] = frozenset()  # GB/T 2260 codes named in the query
    region_words: tuple[str, ...] = ()  # how they were written (normalised)
    grams: tuple[str, ...] = field(default=())  # gram tokens of the non-place text

    @property
    def region_only(self) -> bool:
        return bool(self.regions) and not self.concepts


class Analyzer:
    def __init__(self, thesaurus: Thesaurus, regions: RegionIndex) -> None:
        self.thesaurus = thesaurus
        self.regions = regions
        self.segmenter = Segmenter(
            extra_words=sorted(thesaurus.chinese_terms() | regions.chinese_names())
        )

    # -- documents ------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        return list(self._words(text)) if text else []

    def grams(self, text: str) -> list[str]:
        return list(self._grams(text)) if text else []

    @lru_cache(maxsize=100_000)  # noqa: B019 - one analyser per process, cloned texts repeat
    def _words(self, text: str) -> tuple[str, ...]:
        normalised = normalize(text)
        out: list[str] = []
        segments: set[tuple[int, int]] = set()
        for token, start, end in self.segmenter.tokenize(normalised):
            words = self._word_tokens(token)
            out.extend(words)
            if words and has_cjk(token):
                segments.add((start, end))
        # Search mode: every dictionary word inside the running text as well,
        # so a word is found whichever way segmentation cut around it.
        for run in RUN.finditer(normalised):
            for word, start, end in self.segmenter.dictionary_words_in(run.group()):
                span = (run.start() + start, run.start() + end)
                if span not in segments and has_cjk(word) and word not in CHINESE_STOP_WORDS:
                    out.append(word)
        return tuple(out)

    @lru_cache(maxsize=100_000)  # noqa: B019
    def _grams(self, text: str) -> tuple[str, ...]:
        return gram_tokens(normalize(text))

    def _word_tokens(self, token: str) -> list[str]:
        if has_cjk(token):
            clean = "".join(UNIT.findall(token))
            if not clean or clean in CHINESE_STOP_WORDS:
                return []
            return [clean]
        return [stem(word) for word in latin_words(token) if not is_stop_word(word)]

    # -- queries ----------------------------------------------------------------
    def analyze_query(self, text: str, *, detect_regions: bool = True) -> QueryAnalysis:
        """Concepts, places and fallback grams of a free-text query."""
        tokens = self.segmenter.cut(normalize(text))
        concepts: list[Concept] = []
        regions: set[str] = set()
        region_words: list[str] = []
        rest: list[str] = []  # the query with places blanked out, for grams
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if not token.strip():
                rest.append(" ")
                index += 1
                continue
            if detect_regions:
                place, used = self._place_at(tokens, index)
                if place is not None:
                    regions |= place
                    region_words.append("".join(tokens[index : index + used]).strip())
                    rest.append(" ")
                    index += used
                    continue
            if not has_cjk(token):
                phrase, used = self._english_phrase_at(tokens, index)
                if phrase is not None:
                    concepts.append(phrase)
                    rest.extend(tokens[index : index + used])
                    index += used
                    continue
            found = self._concepts_of(token)
            concepts.extend(found)
            # Catalogue words (数据, 名录) give no useful partial matches.
            generic = bool(found) and all(concept.generic for concept in found)
            rest.append(" " if generic else token)
            index += 1
        return QueryAnalysis(
            concepts=_without_stray_characters(_unique(concepts)),
            regions=frozenset(regions),
            region_words=tuple(region_words),
            grams=tuple(dict.fromkeys(gram_tokens("".join(rest)))),
        )

    def analyze_value(self, text: str) -> tuple[Concept, ...]:
        """Concepts of a fielded value (title:...): no place recognition."""
        return self.analyze_query(text, detect_regions=False).concepts

    def phrase(self, text: str) -> tuple[str, ...]:
        """A quoted phrase as a sequence of gram tokens."""
        return gram_tokens(normalize(text))

    def _place_at(self, tokens: list[str], index: int) -> tuple[frozenset[str] | None, int]:
        token = tokens[index]
        if has_cjk(token):
            return self.regions.lookup_chinese(token), 1
        found: tuple[frozenset[str] | None, int] = (None, 1)
        words: list[str] = []
        # English names may span several words, with space tokens in between.
        for length in range(1, 2 * self.regions.max_english_words):
            if index + length > len(tokens) or has_cjk(tokens[index + length - 1]):
                break
            added = latin_words(tokens[index + length - 1])
            if not added:
                continue
            words.extend(added)
            codes = self.regions.lookup_english(tuple(words))
            if codes is not None:
                found = (codes, length)
        return found

    def _english_phrase_at(self, tokens: list[str], index: int) -> tuple[Concept | None, int]:
        """The longest run of two or more English words the thesaurus knows."""
        words: list[str] = []
        best: tuple[Concept | None, int] = (None, 1)
        for length in range(1, 2 * MAX_PHRASE_WORDS):
            if index + length > len(tokens) or has_cjk(tokens[index + length - 1]):
                break
            added = [w for w in latin_words(tokens[index + length - 1]) if not is_stop_word(w)]
            if not added:
                continue
            words.extend(added)
            key = english_key(words)
            if len(words) > 1 and self.thesaurus.knows(key):
                stems = tuple(stem(word) for word in words)
                original = Alternative(None, stems)
                concept = Concept(
                    " ".join(stems),
                    original,
                    self._expand(key, None),
                    generic=self.thesaurus.is_generic(key),
                )
                best = (concept, length)
        return best

    def _concepts_of(self, token: str) -> list[Concept]:
        if has_cjk(token):
            clean = "".join(UNIT.findall(token))
            if not clean or clean in CHINESE_STOP_WORDS:
                return []
            original = Alternative(clean, gram_tokens(clean))
            prefix = clean if len(clean) == 1 and is_cjk_char(clean) else None
            key = term_key(clean)
            generic = self.thesaurus.is_generic(key)
            return [Concept(clean, original, self._expand(key, clean), prefix, generic)]
        concepts = []
        for word in latin_words(token):
            if is_stop_word(word):
                continue
            stemmed = stem(word)
            original = Alternative(stemmed, (stemmed,))
            key = english_key([word])
            generic = self.thesaurus.is_generic(key)
            concepts.append(Concept(stemmed, original, self._expand(key, None), generic=generic))
        return concepts

    def _expand(self, key: str, original: str | None) -> tuple[Alternative, ...]:
        alternatives = [
            self._alternative(expansion.term, expansion.weight)
            for expansion in self.thesaurus.expansions(key)
        ]
        return tuple(self._without_nested(alternatives, original))

    def _without_nested(
        self, alternatives: list[Alternative], original: str | None
    ) -> list[Alternative]:
        """Drop forms that contain a shorter dictionary word of the same concept.

        Documents index the dictionary words inside their words (环境空气质量
        also yields 空气质量), so the shorter form already finds them; keeping
        both would count one mention several times.
        """
        shorter = {a.word for a in alternatives if a.word and has_cjk(a.word)}
        if original:
            shorter.add(original)
        shorter = {w for w in shorter if len(w) > 1 and self.segmenter.is_word(w)}
        kept = []
        for alternative in alternatives:
            word = alternative.word
            if word and any(inner != word and inner in word for inner in shorter):
                continue
            kept.append(alternative)
        return kept

    @lru_cache(maxsize=8192)  # noqa: B019
    def _alternative(self, term: str, weight: float) -> Alternative:
        if has_cjk(term):
            clean = "".join(UNIT.findall(term))
            return Alternative(clean, gram_tokens(clean), weight)
        stems = tuple(stem(word) for word in latin_words(term) if not is_stop_word(word))
        return Alternative(stems[0] if len(stems) == 1 else None, stems, weight)


def gram_tokens(normalised: str) -> tuple[str, ...]:
    """Bigrams of units within each run; a run of one unit gives that unit."""
    out: list[str] = []
    for run in RUN.finditer(normalised):
        units = [unit if is_cjk_char(unit) else stem(unit) for unit in UNIT.findall(run.group())]
        if len(units) == 1:
            if not is_stop_word(units[0]):  # "a" alone is noise, the "a" of "a级" is not
                out.append(units[0])
        else:
            out.extend(units[i] + units[i + 1] for i in range(len(units) - 1))
    return tuple(out)


def _without_stray_characters(concepts: tuple[Concept, ...]) -> tuple[Concept, ...]:
    """Drop lone Chinese characters left over by segmentation (the 点 of 投放点)
    when the query has real words; the grams still score them in context."""
    words = tuple(concept for concept in concepts if concept.prefix is None)
    return words if words else concepts


def _unique(concepts: list[Concept]) -> tuple[Concept, ...]:
    seen: dict[str, Concept] = {}
    for concept in concepts:
        seen.setdefault(concept.surface, concept)
    return tuple(seen.values())


@cache
def default_analyzer() -> Analyzer:
    return Analyzer(default_thesaurus(), region_index())
