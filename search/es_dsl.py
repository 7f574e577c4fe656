"""Compiling a ``SearchPlan`` to the Elasticsearch query DSL.

Only the plan's analysed tokens reach Elasticsearch, inside term, prefix,
``multi_match`` and ``combined_fields`` queries on whitespace-analysed
fields: never ``query_string`` or ``simple_query_string``, so no user text is
ever interpreted as Elasticsearch syntax.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from search.fields import FACET_FIELDS, KEYWORD_FIELDS, STREAM_WEIGHTS, TEXT_STREAMS
from search.plan import (
    ANCESTOR_BOOST,
    REGION_BOOST,
    TIE_BREAKER,
    FAnd,
    FDateRange,
    Filter,
    FKeyword,
    FMatchAll,
    FMatchNone,
    FNot,
    FOr,
    FRegion,
    FText,
    ScoreClause,
    SearchPlan,
    Visibility,
)
from standards import regions as gbt2260

Query = dict[str, Any]

BASE_SCORE = 0.01  # as in the FTS5 backend: region boosts order text-less matches
DATE_FIELDS = {"metadata_modified": "modified", "metadata_created": "created"}
SORT_FIELDS = {
    "metadata_modified": "modified",
    "metadata_created": "created",
    "title_string": "title_sort",
    "name": "name",
    "metadata_quality": "quality",
}
MAX_FACET_VALUES = 65_536  # facet.limit = -1
BM25_K1 = 1.2  # Elasticsearch's and FTS5's default


def words_field(stream: str) -> str:
    return f"w_{stream}"


def grams_field(stream: str) -> str:
    return f"g_{stream}"


def keyword_field(field: str) -> str:
    return f"kw_{field}"


def facet_field(field: str) -> str:
    return f"facet_{field}"


def mappings() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "id": {"type": "keyword"},
        "name": {"type": "keyword"},
        "state": {"type": "keyword"},
        "private": {"type": "boolean"},
        "labels": {"type": "keyword"},
        "region_code": {"type": "keyword"},
        "modified": {"type": "keyword"},
        "created": {"type": "keyword"},
        "title_sort": {"type": "keyword"},
        "quality": {"type": "integer"},
        "package": {"type": "object", "enabled": False},
        # The catalogue that wrote the document; searches of a catalogue filter on it.
        "catalogue": {"type": "keyword"},
    }
    for stream in TEXT_STREAMS:
        properties[words_field(stream)] = {"type": "text", "analyzer": "tokens"}
        properties[grams_field(stream)] = {"type": "text", "analyzer": "tokens"}
    for field in KEYWORD_FIELDS:
        properties[keyword_field(field)] = {"type": "keyword"}
    for field in FACET_FIELDS:
        properties[facet_field(field)] = {"type": "keyword"}
    return {"dynamic": "strict", "properties": properties}


def index_settings(*, shards: int, replicas: int, max_result_window: int) -> dict[str, Any]:
    return {
        "number_of_shards": shards,
        "number_of_replicas": replicas,
        "max_result_window": max_result_window,
        # Tokens arrive analysed (search.analysis): split on spaces, nothing else.
        "analysis": {"analyzer": {"tokens": {"type": "custom", "tokenizer": "whitespace"}}},
    }


# -- filters ---------------------------------------------------------------------------------


def compile_filter(node: Filter) -> Query:  # noqa: PLR0911 - one return per node type
    if isinstance(node, FMatchAll):
        return {"match_all": {}}
    if isinstance(node, FMatchNone):
        return {"match_none": {}}
    if isinstance(node, FAnd):
        return {"bool": {"filter": [compile_filter(c) for c in node.children]}}
    if isinstance(node, FOr):
        return {
            "bool": {
                "should": [compile_filter(c) for c in node.children],
                "minimum_should_match": 1,
            }
        }
    if isinstance(node, FNot):
        return {"bool": {"must_not": [compile_filter(node.child)]}}
    if isinstance(node, FKeyword):
        return {"terms": {keyword_field(node.field): list(node.values)}}
    if isinstance(node, FDateRange):
        return _date_range(node)
    if isinstance(node, FRegion):
        return region_query(node.codes)
    return _text(node)


def _date_range(node: FDateRange) -> Query:
    bounds: dict[str, str] = {}
    if node.lower is not None:
        bounds["gte" if node.include_lower else "gt"] = node.lower
    if node.upper is not None:
        bounds["lte" if node.include_upper else "lt"] = node.upper
    field = DATE_FIELDS[node.field]
    return {"range": {field: bounds}} if bounds else {"exists": {"field": field}}


def _text(node: FText) -> Query:
    words = [alt.word for alt in node.alternatives if alt.word is not None]
    phrases = list(dict.fromkeys(alt.grams for alt in node.alternatives if alt.grams))
    should: list[Query] = []
    if words:
        should.append(_multi_terms(words, node.streams))
    for phrase in phrases:
        should.append(
            {
                "multi_match": {
                    "query": " ".join(phrase),
                    "type": "phrase",
                    "fields": [grams_field(s) for s in node.streams],
                }
            }
        )
    if node.prefix:
        should += [{"prefix": {grams_field(s): node.prefix}} for s in node.streams]
    if not should:
        return {"match_none": {}}
    return {"bool": {"should": should, "minimum_should_match": 1}}


def _multi_terms(words: Sequence[str], streams: Sequence[str]) -> Query:
    return {
        "bool": {
            "should": [{"terms": {words_field(s): list(words)}} for s in streams],
            "minimum_should_match": 1,
        }
    }


def region_query(codes: Sequence[str]) -> Query:
    """region_code inside any of the codes (a province contains its cities, ...)."""
    should: list[Query] = []
    for code in codes:
        level = gbt2260.level_of(code)
        if level == "province":
            should.append({"prefix": {"region_code": code[:2]}})
        elif level == "city":
            should.append({"prefix": {"region_code": code[:4]}})
        else:
            should.append({"term": {"region_code": code}})
    return {"bool": {"should": should, "minimum_should_match": 1}}


def visibility_filter(visibility: Visibility) -> list[Query]:
    filters: list[Query] = [{"terms": {"state": list(visibility.states)}}]
    if not visibility.include_private:
        filters.append({"term": {"private": False}})
    if visibility.labels is not None:
        filters.append({"terms": {"labels": list(visibility.labels)}})
    return filters


# -- scoring ---------------------------------------------------------------------------------


def clause_query(clause: ScoreClause) -> Query:
    """BM25F over the clause's streams for single tokens, phrases field by field."""
    field_of = words_field if clause.stream == "words" else grams_field
    tokens = [term[0] for term in clause.terms if len(term) == 1 and not term[0].endswith("*")]
    parts: list[Query] = []
    if tokens:
        parts.append(
            {
                "combined_fields": {
                    "query": " ".join(tokens),
                    "fields": [f"{field_of(s)}^{_field_boost(s)}" for s in clause.streams],
                    "operator": "or",
                }
            }
        )
    for term in clause.terms:
        if len(term) > 1:
            parts.append(
                {
                    "dis_max": {
                        "queries": [
                            {
                                "match_phrase": {
                                    field_of(s): {
                                        "query": " ".join(term),
                                        # Elasticsearch sums the idf of each word of a
                                        # phrase; FTS5 takes one idf for the phrase.
                                        "boost": round(_phrase_boost(s) / len(term), 4),
                                    }
                                }
                            }
                            for s in clause.streams
                        ]
                    }
                }
            )
        elif term[0].endswith("*"):
            parts += [{"prefix": {field_of(s): term[0][:-1]}} for s in clause.streams]
    query = parts[0] if len(parts) == 1 else {"bool": {"should": parts}}
    return {"bool": {"must": [query], "boost": clause.weight}}


def _phrase_boost(stream: str) -> float:
    """What a column weight is worth for one occurrence in FTS5's bm25, where
    it scales the term frequency inside the saturation: (k1 + 1) w / (w + k1)."""
    weight = _field_boost(stream)
    return round((BM25_K1 + 1) * weight / (weight + BM25_K1), 4)


def _field_boost(stream: str) -> float:
    # combined_fields needs boosts >= 1; only the ratios matter.
    return STREAM_WEIGHTS[stream] / min(STREAM_WEIGHTS.values())


def scored_query(plan: SearchPlan) -> Query:
    """Score = (concepts + extras + base) x coordination x region boost, as in FTS5."""
    scoring = plan.scoring
    filters = [*visibility_filter(plan.visibility), compile_filter(plan.filter)]
    # A concept scores by its best form (as in FTS5): one query per form.
    concepts = [
        {
            "dis_max": {
                "queries": [clause_query(form) for form in concept.forms()],
                "tie_breaker": TIE_BREAKER,
            }
        }
        for concept in scoring.concepts
        if concept.clauses
    ]
    should = [*concepts, *(clause_query(c) for c in scoring.extras)]
    should.append({"constant_score": {"filter": {"match_all": {}}, "boost": BASE_SCORE}})
    query: Query = {"bool": {"filter": filters, "should": should}}
    coordinated = [
        query
        for query, concept in zip(concepts, (c for c in scoring.concepts if c.clauses), strict=True)
        if concept.coordinated
    ]
    if coordinated:
        total = len(coordinated) + 0.1
        functions: list[Query] = [
            {"filter": {"match_all": {}}, "weight": 0.1 / total},
            *({"filter": concept, "weight": 1 / total} for concept in coordinated),
        ]
        query = {
            "function_score": {
                "query": query,
                "functions": functions,
                "score_mode": "sum",
                "boost_mode": "multiply",
            }
        }
    if scoring.regions:
        boosts: list[Query] = [
            {"filter": {"match_all": {}}, "weight": 1.0},
            {"filter": region_query(scoring.regions), "weight": REGION_BOOST},
        ]
        if scoring.ancestors:
            boosts.append(
                {
                    "filter": {"terms": {"region_code": list(scoring.ancestors)}},
                    "weight": ANCESTOR_BOOST,
                }
            )
        query = {
            "function_score": {
                "query": query,
                "functions": boosts,
                "score_mode": "max",
                "boost_mode": "multiply",
            }
        }
    return query


def search_body(plan: SearchPlan) -> dict[str, Any]:
    uses_score = any(key.field == "score" for key in plan.sort)
    if uses_score:
        query = scored_query(plan)
    else:
        query = {
            "bool": {"filter": [*visibility_filter(plan.visibility), compile_filter(plan.filter)]}
        }
    body: dict[str, Any] = {
        "query": query,
        "from": plan.start,
        "size": plan.rows,
        "track_total_hits": True,
        "_source": ["package"],
        "sort": sort_clause(plan),
    }
    aggs = {
        field: {
            "terms": {
                "field": facet_field(field),
                "size": MAX_FACET_VALUES if plan.facet_limit < 0 else plan.facet_limit,
                "min_doc_count": max(plan.facet_mincount, 1),
                "order": [{"_count": "desc"}, {"_key": "asc"}],
            }
        }
        for field in plan.facet_fields
        if plan.facet_limit != 0
    }
    if aggs:
        body["aggs"] = aggs
    return body


def sort_clause(plan: SearchPlan) -> list[Any]:
    clauses: list[Any] = []
    for key in plan.sort:
        order = "desc" if key.descending else "asc"
        if key.field == "score":
            clauses.append({"_score": {"order": order}})
        else:
            # Missing values sort as the empty string does in SQLite.
            missing = "_last" if key.descending else "_first"
            clause: dict[str, Any] = {"order": order, "missing": missing}
            if key.field == "metadata_quality":
                clause["unmapped_type"] = "integer"  # an index made before the field
            clauses.append({SORT_FIELDS[key.field]: clause})
    clauses.append({"id": {"order": "asc"}})
    return clauses
