"""From a ``SearchQuery`` to a backend-neutral plan: what matches, how it is
scored, who may see it, how it is sorted, paged and faceted.

Both backends compile this same plan, so they agree on semantics:

* **free text** (``q`` of bare words, as CKAN's dismax search) matches a
  dataset when any query concept matches, and ranks by BM25 over the words
  the user typed, their thesaurus synonyms and related terms, and character
  bigrams as a fallback; places named in the query do not have to match but
  multiply the score of datasets whose ``region_code`` lies inside them;
* **fielded / boolean** queries (``title:x AND -tags:y``, every ``fq``) are
  strict: each text clause needs all its concepts, keyword clauses an exact
  value, ranges a date in range. Positive text clauses of ``q`` also score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from search.analysis import Alternative, Analyzer, Concept, QueryAnalysis
from search.analysis.script import has_cjk
from search.datemath import request_now
from search.documents import keyword_norm
from search.errors import SearchQueryError
from search.fields import FACET_FIELDS, HEADLINE_STREAMS, TEXT_FIELDS, TEXT_STREAMS, kind_of
from search.limits import DEFAULT_LIMITS, SearchLimits
from search.protocol import SearchQuery
from search.query import (
    And,
    MatchAll,
    Node,
    Not,
    Or,
    Range,
    Term,
    count_clauses,
    is_free_text,
    parse,
    parse_filters,
)
from standards import regions as gbt2260

# Scoring weights, shared by both backends (tuned on the dev queries as a
# whole, never per query).
WEIGHT_ORIGINAL = 1.0  # words as the user typed them
WEIGHT_SYNONYM = 0.9  # thesaurus equivalents and preferred terms
WEIGHT_RELATED = 0.35  # thesaurus related terms
WEIGHT_GRAMS = 0.5  # character bigrams: partial and unsegmented matches
# A concept scores by its best form plus this share of its other forms found
# (Lucene's dis_max tie_breaker): more evidence helps, but a word holding two
# synonyms is not worth twice the word.
TIE_BREAKER = 0.25
REGION_BOOST = 2.5  # dataset lies inside a place named in the query
ANCESTOR_BOOST = 1.25  # dataset covers a wider area that contains that place

# -- filter tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FMatchAll:
    pass


@dataclass(frozen=True)
class FMatchNone:
    pass


@dataclass(frozen=True)
class FKeyword:
    field: str
    values: tuple[str, ...]  # normalised; any of them


@dataclass(frozen=True)
class FDateRange:
    field: str
    lower: str | None
    upper: str | None
    include_lower: bool
    include_upper: bool


@dataclass(frozen=True)
class FText:
    """Any alternative found in the streams: a word, a gram phrase, or a
    gram prefix (for a lone Chinese character)."""

    streams: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    prefix: str | None = None


@dataclass(frozen=True)
class FRegion:
    codes: tuple[str, ...]  # region_code inside any of them


@dataclass(frozen=True)
class FAnd:
    children: tuple[Filter, ...]


@dataclass(frozen=True)
class FOr:
    children: tuple[Filter, ...]


@dataclass(frozen=True)
class FNot:
    child: Filter


Filter = FMatchAll | FMatchNone | FKeyword | FDateRange | FText | FRegion | FAnd | FOr | FNot

# -- scoring, visibility, sorting --------------------------------------------------


@dataclass(frozen=True)
class ScoreClause:
    """BM25 of any of ``terms`` (a term is one token, or several as a phrase)
    in ``streams`` of one token stream, times ``weight``."""

    weight: float
    stream: Literal["words", "grams"]
    streams: tuple[str, ...]
    terms: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ConceptScore:
    """One query concept: the best of its clauses (what the user typed, its
    synonyms, its related terms), so a dataset is not rewarded for saying the
    same thing in two languages."""

    clauses: tuple[ScoreClause, ...]
    coordinated: bool = True  # counts for coordination (catalogue words do not)

    def forms(self) -> tuple[ScoreClause, ...]:
        """What the backends take the best of: each form on its own, so a
        dataset is not paid twice for 医疗卫生机构 holding 医疗卫生 and 卫生机构.
        Catalogue words only nudge the ranking: their clauses stay whole."""
        if not self.coordinated:
            return self.clauses
        return tuple(replace(c, terms=(term,)) for c in self.clauses for term in c.terms)


@dataclass(frozen=True)
class Scoring:
    """score = (sum of concept scores + extras + BASE) x coordination x region boost,
    where coordination = (coordinated concepts matched + 0.1) / (coordinated concepts + 0.1)."""

    concepts: tuple[ConceptScore, ...] = ()
    extras: tuple[ScoreClause, ...] = ()  # summed, not counted for coordination
    regions: tuple[str, ...] = ()  # boost REGION_BOOST when inside one of them
    ancestors: tuple[str, ...] = ()  # boost ANCESTOR_BOOST when exactly one of them

    @property
    def empty(self) -> bool:
        return not self.concepts and not self.extras

    @property
    def coordinated(self) -> int:
        return sum(1 for concept in self.concepts if concept.coordinated)


@dataclass(frozen=True)
class Visibility:
    states: tuple[str, ...]
    labels: tuple[str, ...] | None  # None: no permission filter
    include_private: bool


SortField = Literal[
    "score", "metadata_modified", "metadata_created", "title_string", "name", "metadata_quality"
]


@dataclass(frozen=True)
class SortKey:
    field: SortField
    descending: bool


@dataclass(frozen=True)
class SearchPlan:
    filter: Filter
    visibility: Visibility
    scoring: Scoring
    sort: tuple[SortKey, ...]
    sort_text: str
    rows: int
    start: int
    facet_fields: tuple[str, ...]
    facet_limit: int  # -1: all
    facet_mincount: int
    analysis: QueryAnalysis | None = field(default=None, compare=False)


DEFAULT_SORT = "score desc, metadata_modified desc"
_SORT_FIELDS: dict[str, SortField] = {
    "score": "score",
    "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created",
    "title_string": "title_string",
    "name": "name",
    # The metadata quality score (0-100) the dataset had when it was indexed.
    "metadata_quality": "metadata_quality",
}


def plan_search(
    query: SearchQuery,
    analyzer: Analyzer,
    *,
    limits: SearchLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> SearchPlan:
    _check_paging(query, limits)
    # One NOW for the whole request (q and every fq), as Solr does.
    now = request_now() if now is None else now
    q_node = parse(query.q, limits=limits, now=now)
    fq_nodes = parse_filters(list(query.fq), limits=limits, now=now)
    clauses = count_clauses(q_node) + sum(count_clauses(node) for node in fq_nodes)
    if clauses > limits.max_clauses:
        raise SearchQueryError(f"Too many clauses ({clauses}, at most {limits.max_clauses})")
    compiler = _Compiler(analyzer, limits)
    if is_free_text(q_node):
        q_filter = compiler.free_text(q_node)
    else:
        q_filter = compiler.strict(q_node, score=True)
    filters = [q_filter, *(compiler.strict(node, score=False) for node in fq_nodes)]
    sort, sort_text = parse_sort(query.sort)
    return SearchPlan(
        filter=_and(filters),
        visibility=visibility_of(query),
        scoring=compiler.scoring(),
        sort=sort,
        sort_text=sort_text,
        rows=query.rows,
        start=query.start,
        facet_fields=_facet_fields(query.facet_fields),
        facet_limit=query.facet_limit,
        facet_mincount=query.facet_mincount,
        analysis=compiler.analysis,
    )


def visibility_of(query: SearchQuery) -> Visibility:
    states = ["active"]
    if query.include_drafts:
        states.append("draft")
    if query.include_deleted:
        states.append("deleted")
    labels = None if query.permission_labels is None else tuple(query.permission_labels)
    return Visibility(tuple(states), labels, bool(query.include_private))


def parse_sort(sort: str | None) -> tuple[tuple[SortKey, ...], str]:
    text = sort if sort is not None and sort.strip() else DEFAULT_SORT
    if len(text) > 200:
        raise SearchQueryError("sort is too long")
    keys: list[SortKey] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            raise SearchQueryError(f"Invalid sort '{text}': empty sort key")
        if len(words) > 2 or words[0] not in _SORT_FIELDS:
            raise SearchQueryError(
                f"Invalid sort '{part.strip()}': sort by {', '.join(_SORT_FIELDS)} "
                "followed by asc or desc"
            )
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise SearchQueryError(f"Invalid sort direction '{words[1]}': use asc or desc")
        keys.append(SortKey(_SORT_FIELDS[words[0]], direction == "desc"))
    if len(keys) > 5:
        raise SearchQueryError("At most 5 sort keys")
    if keys == [SortKey("score", True)]:
        keys.append(SortKey("metadata_modified", True))  # CKAN's tie-break
    return tuple(keys), ", ".join(f"{k.field} {'desc' if k.descending else 'asc'}" for k in keys)


def _check_paging(query: SearchQuery, limits: SearchLimits) -> None:
    for name, value, most in (
        ("rows", query.rows, limits.max_rows),
        ("start", query.start, limits.max_start),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SearchQueryError(f"{name} must be a whole number")
        if value < 0:
            raise SearchQueryError(f"{name} must be at least 0")
        if value > most:
            raise SearchQueryError(f"{name} must be at most {most}")
    if not isinstance(query.facet_limit, int) or query.facet_limit < -1:
        raise SearchQueryError("facet.limit must be -1 (no limit) or a non-negative integer")
    if not isinstance(query.facet_mincount, int) or query.facet_mincount < 0:
        raise SearchQueryError("facet.mincount must be a non-negative integer")


def _facet_fields(fields: Sequence[str]) -> tuple[str, ...]:
    if isinstance(fields, str):
        raise SearchQueryError("facet.field must be a list of field names")
    unknown = [name for name in fields if name not in FACET_FIELDS]
    if unknown:
        raise SearchQueryError(
            f"Cannot facet on {', '.join(map(str, unknown))}; facet fields are "
            f"{', '.join(FACET_FIELDS)}"
        )
    return tuple(dict.fromkeys(fields))


class _Compiler:
    def __init__(self, analyzer: Analyzer, limits: SearchLimits) -> None:
        self.analyzer = analyzer
        self.limits = limits
        self.concepts: list[tuple[tuple[str, ...], Concept]] = []  # scored concepts
        self.gram_tokens: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        self.regions: set[str] = set()
        self.analysis: QueryAnalysis | None = None

    # -- free text ----------------------------------------------------------------------------
    def free_text(self, node: Node) -> Filter:
        terms = [node] if isinstance(node, Term) else list(node.children)  # type: ignore[union-attr]
        words = " ".join(t.value for t in terms if isinstance(t, Term) and not t.phrase)
        phrases = [t.value for t in terms if isinstance(t, Term) and t.phrase]
        analysis = self.analyzer.analyze_query(words)
        self.analysis = analysis
        concepts = analysis.concepts[: self.limits.max_query_tokens]
        matches: list[Filter] = []
        # Catalogue words (名录, 地址) rank, but do not match on their own
        # unless the query has nothing else.
        deciding = [c for c in concepts if not c.generic] or list(concepts)
        for concept in concepts:
            if concept in deciding:
                matches.append(FText(TEXT_STREAMS, concept.alternatives, concept.prefix))
            self.concepts.append((TEXT_STREAMS, concept))
        self.gram_tokens.append((TEXT_STREAMS, analysis.grams))
        for phrase in phrases:
            matches.append(self._phrase(TEXT_STREAMS, phrase, score=True))
        self.regions |= analysis.regions
        if not concepts and not phrases and analysis.regions:
            # Only places were asked for: datasets in them, or naming them.
            place_words = tuple(
                Alternative(None, self.analyzer.phrase(word)) for word in analysis.region_words
            )
            return FOr((FRegion(tuple(sorted(analysis.regions))), FText(TEXT_STREAMS, place_words)))
        return _or(matches)

    # -- strict (fielded / boolean) --------------------------------------------------
    def strict(self, node: Node, *, score: bool, negated: bool = False) -> Filter:
        if isinstance(node, MatchAll):
            return FMatchAll()
        if isinstance(node, And):
            return _and([self.strict(c, score=score, negated=negated) for c in node.children])
        if isinstance(node, Or):
            return _or([self.strict(c, score=score, negated=negated) for c in node.children])
        if isinstance(node, Not):
            return FNot(self.strict(node.child, score=score, negated=not negated))
        if isinstance(node, Range):
            return FDateRange(
                node.field, node.lower, node.upper, node.include_lower, node.include_upper
            )
        return self._term(node, score=score and not negated)

    def _term(self, term: Term, *, score: bool) -> Filter:
        kind = kind_of(term.field)
        if term.field in ("region_code", "province", "city"):
            return _region_filter(term.field, keyword_norm(term.value))
        if kind == "keyword":
            return FKeyword(term.field, (keyword_norm(term.value),))
        streams = TEXT_FIELDS[term.field]
        if term.phrase:
            return self._phrase(streams, term.value, score=score)
        if term.bare:
            # A bare place name also finds datasets about that place.
            analysis = self.analyzer.analyze_query(term.value)
            if analysis.region_only:
                if score:
                    self.regions |= analysis.regions
                return FOr(
                    (
                        FRegion(tuple(sorted(analysis.regions))),
                        FText(streams, (Alternative(None, self.analyzer.phrase(term.value)),)),
                    )
                )
        concepts = self.analyzer.analyze_value(term.value)
        if not concepts:
            return FMatchNone()  # nothing searchable in it, e.g. only punctuation
        if score:
            self.concepts.extend((streams, concept) for concept in concepts)
            self.gram_tokens.append((streams, self.analyzer.phrase(term.value)))
        return _and([FText(streams, c.alternatives, c.prefix) for c in concepts])

    def _phrase(self, streams: tuple[str, ...], text: str, *, score: bool) -> Filter:
        grams = self.analyzer.phrase(text)
        if not grams:
            return FMatchNone()
        if score:
            self.gram_tokens.append((streams, grams))
        return FText(streams, (Alternative(None, grams),))

    # -- scoring ------------------------------------------------------------------------------
    def scoring(self) -> Scoring:
        chosen = self.concepts[: self.limits.max_query_tokens]
        # Catalogue words (名录, 地址) add score but do not count for coordination,
        # unless the query has nothing else.
        everything_generic = all(concept.generic for _, concept in chosen)
        concepts = tuple(
            _concept_score(
                streams if everything_generic or not concept.generic else _headline(streams),
                concept,
                coordinated=everything_generic or not concept.generic,
            )
            for streams, concept in chosen
        )
        extras = []
        for streams, grams in self.gram_tokens:
            # Partial credit for Chinese only: English words are concepts already.
            chinese = tuple((g,) for g in dict.fromkeys(grams) if has_cjk(g))
            if chinese:
                extras.append(ScoreClause(WEIGHT_GRAMS, "grams", streams, chinese))
        regions = tuple(sorted(self.regions))
        return Scoring(concepts, tuple(extras), regions, _ancestors(regions))


def _region_filter(field: str, code: str) -> Filter:
    """``region_code:C`` finds datasets of C and of every region inside it (a province
    holds its cities and districts); ``province:C`` and ``city:C`` the same, for codes
    of that level only (a municipality is its own city). Decided on the stored
    region_code, so it holds for datasets indexed before the enclosing regions were
    (their facets need ``delta search reindex``)."""
    if not gbt2260.is_well_formed(code):
        return FKeyword(field, (code,)) if field == "region_code" else FMatchNone()
    level = gbt2260.level_of(code)
    municipality = code in gbt2260.MUNICIPALITIES
    if (field == "province" and level != "province") or (
        field == "city" and level != "city" and not municipality
    ):
        return FMatchNone()
    return FRegion((code,))


def _concept_score(
    streams: tuple[str, ...], concept: Concept, *, coordinated: bool
) -> ConceptScore:
    original = concept.original
    clauses: list[ScoreClause] = []
    if original.word is not None:
        clauses.append(ScoreClause(WEIGHT_ORIGINAL, "words", streams, ((original.word,),)))
    if original.grams and (original.word is None or len(original.grams) > 1):
        # As a phrase of grams: finds it where segmentation cut it differently.
        clauses.append(ScoreClause(WEIGHT_ORIGINAL, "grams", streams, (original.grams,)))
    if concept.prefix:
        clauses.append(ScoreClause(WEIGHT_ORIGINAL, "grams", streams, ((concept.prefix + "*",),)))
    for weight, related in ((WEIGHT_SYNONYM, False), (WEIGHT_RELATED, True)):
        chosen = [a for a in concept.expansions if (a.weight < 1.0) == related]
        words = tuple(dict.fromkeys((a.word,) for a in chosen if a.word is not None))
        phrases = tuple(dict.fromkeys(a.grams for a in chosen if a.word is None and a.grams))
        if words:
            clauses.append(ScoreClause(weight, "words", streams, words))
        if phrases:
            clauses.append(ScoreClause(weight, "grams", streams, phrases))
    return ConceptScore(tuple(clauses), coordinated)


def _headline(streams: tuple[str, ...]) -> tuple[str, ...]:
    """Where a catalogue word (名录, 实时) says something about a dataset: its
    title and tags, not the boilerplate of every description (also cheaper:
    数据 is in the notes of nearly every dataset)."""
    return tuple(s for s in streams if s in HEADLINE_STREAMS) or streams


def _ancestors(regions: tuple[str, ...]) -> tuple[str, ...]:
    """Wider areas containing a named place: a city's province, a district's city."""
    found: set[str] = set()
    for code in regions:
        for wider in (gbt2260.city_of(code), gbt2260.province_of(code)):
            if wider != code and not any(gbt2260.contains(r, wider) for r in regions):
                found.add(wider)
    return tuple(sorted(found))


def _and(children: Sequence[Filter]) -> Filter:
    kept = [c for c in children if not isinstance(c, FMatchAll)]
    if any(isinstance(c, FMatchNone) for c in kept):
        return FMatchNone()
    if not kept:
        return FMatchAll()
    return kept[0] if len(kept) == 1 else FAnd(tuple(kept))


def _or(children: Sequence[Filter]) -> Filter:
    kept = [c for c in children if not isinstance(c, FMatchNone)]
    if any(isinstance(c, FMatchAll) for c in kept):
        return FMatchAll()
    if not kept:
        return FMatchNone()
    return kept[0] if len(kept) == 1 else FOr(tuple(kept))
