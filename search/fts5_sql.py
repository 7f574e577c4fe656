"""Compiling a ``SearchPlan`` to SQLite: WHERE clauses and FTS5 MATCH strings.

User text never reaches SQL or FTS5 syntax: values are bound parameters and
FTS5 expressions are assembled from analysed tokens, each one quoted as an
FTS5 string (tokens are CJK characters and ``[a-z0-9]`` anyway). The SQL
itself is built from fixed fragments only, hence the S608 exemptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from search.fields import STREAM_WEIGHTS, TEXT_STREAMS
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
    Scoring,
    SortKey,
    Visibility,
)
from standards import regions as gbt2260

COLUMNS = tuple(f"c_{stream}" for stream in TEXT_STREAMS)
DATE_COLUMNS = {"metadata_modified": "d.modified", "metadata_created": "d.created"}
SORT_COLUMNS = {
    "metadata_modified": "d.modified",
    "metadata_created": "d.created",
    "title_string": "d.title_sort",
    "name": "d.name",
    "score": "score",
    # Read from the stored dict: indexes built before the score existed need no migration.
    "metadata_quality": "json_extract(d.package, '$.metadata_quality.score')",
}
UNCOORDINATED = 10_000
# Every dataset gets this much score, so region boosts still order datasets
# that matched without text (a query naming only a place).
BASE_SCORE = 0.01


class SqlBuilder:
    """Collects named parameters, so fragments may be built in any order."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    # -- filters ------------------------------------------------------------------------------
    def where(self, node: Filter) -> str:  # noqa: PLR0911 - one return per node type
        if isinstance(node, FMatchAll):
            return "1"
        if isinstance(node, FMatchNone):
            return "0"
        if isinstance(node, FAnd):
            return "(" + " AND ".join(self.where(child) for child in node.children) + ")"
        if isinstance(node, FOr):
            return "(" + " OR ".join(self.where(child) for child in node.children) + ")"
        if isinstance(node, FNot):
            return f"(NOT {self.where(node.child)})"
        if isinstance(node, FKeyword):
            field = self.bind(node.field)
            marks = ", ".join(self.bind(value) for value in node.values)
            return (
                f"d.rowid IN (SELECT rowid FROM keywords WHERE field = {field} "  # noqa: S608 - fixed SQL fragments, values are bound
                f"AND norm IN ({marks}))"
            )
        if isinstance(node, FDateRange):
            return self._date_range(node)
        if isinstance(node, FRegion):
            return region_sql(self, node.codes)
        return self._text(node)

    def _date_range(self, node: FDateRange) -> str:
        column = DATE_COLUMNS[node.field]
        parts = [f"{column} != ''"]
        if node.lower is not None:
            parts.append(f"{column} {'>=' if node.include_lower else '>'} {self.bind(node.lower)}")
        if node.upper is not None:
            parts.append(f"{column} {'<=' if node.include_upper else '<'} {self.bind(node.upper)}")
        return "(" + " AND ".join(parts) + ")"

    def _text(self, node: FText) -> str:
        words = [alt.word for alt in node.alternatives if alt.word is not None]
        phrases = [alt.grams for alt in node.alternatives if alt.word is None and alt.grams]
        # Word forms are searched as words and, as a safety net for differing
        # segmentation, as gram phrases too.
        phrases += [alt.grams for alt in node.alternatives if alt.word is not None and alt.grams]
        parts = []
        if words:
            expression = column_filter(node.streams, " OR ".join(quote(w) for w in words))
            parts.append(
                f"d.rowid IN (SELECT rowid FROM words WHERE words MATCH {self.bind(expression)})"  # noqa: S608 - fixed SQL fragments, values are bound
            )
        gram_terms = [quote_phrase(p) for p in dict.fromkeys(phrases)]
        if node.prefix:
            gram_terms.append(quote(node.prefix) + "*")
        if gram_terms:
            expression = column_filter(node.streams, " OR ".join(gram_terms))
            parts.append(
                f"d.rowid IN (SELECT rowid FROM grams WHERE grams MATCH {self.bind(expression)})"  # noqa: S608 - fixed SQL fragments, values are bound
            )
        return "(" + " OR ".join(parts) + ")" if parts else "0"

    # -- visibility ---------------------------------------------------------------------------
    def visibility(self, visibility: Visibility, *, everything: bool = False) -> str:
        """``everything``: the filter matches every dataset, so the visibility index
        (state, private) is the best place to start. Otherwise "+" keeps the planner
        off it: it would walk every visible dataset instead of the filter's few."""
        states = ", ".join(self.bind(state) for state in visibility.states)
        parts = [f"{'' if everything else '+'}d.state IN ({states})"]
        if not visibility.include_private:
            parts.append("d.private = 0")
        if visibility.labels is not None:
            if not visibility.labels:
                return "0"
            marks = ", ".join(self.bind(label) for label in visibility.labels)
            parts.append(
                f"EXISTS (SELECT 1 FROM labels l WHERE l.rowid = d.rowid AND l.label IN ({marks}))"  # noqa: S608 - fixed SQL fragments, values are bound
            )
        return " AND ".join(parts)

    # -- scoring ------------------------------------------------------------------------------
    def score_subquery(self, scoring: Scoring) -> str | None:
        """rowid -> score before the region boost (see ``Scoring``)."""
        selects = []
        for index, concept in enumerate(scoring.concepts):
            # Concepts that do not count for coordination are numbered from 10_000.
            number = index if concept.coordinated else UNCOORDINATED + index
            selects += [self._clause_select(form, number) for form in concept.forms()]
        selects += [self._clause_select(clause, -1) for clause in scoring.extras]
        if not selects:
            return None
        concepts = scoring.coordinated
        # MATERIALIZED: flattened into the aggregates, bm25() would lose its context.
        clause_scores = " UNION ALL ".join(selects)
        per_concept = (
            f"WITH clause_scores AS MATERIALIZED ({clause_scores}) "  # noqa: S608 - bound values
            f"SELECT c.rowid, concept, MAX(s) + {TIE_BREAKER!r} * (SUM(s) - MAX(s)) AS s "
            "FROM clause_scores c GROUP BY c.rowid, concept"
        )
        coordination = (
            f"(COUNT(CASE WHEN concept BETWEEN 0 AND {UNCOORDINATED - 1} THEN 1 END) + 0.1) "
            f"/ {concepts + 0.1!r}"
            if concepts
            else "1.0"
        )
        return (
            f"SELECT rowid, (SUM(s) + {BASE_SCORE!r}) * {coordination} AS s "  # noqa: S608 - fixed SQL fragments, values are bound
            f"FROM ({per_concept}) GROUP BY rowid"
        )

    def _clause_select(self, clause: ScoreClause, concept: int) -> str:
        """Extras share concept number -1 but must add up, so each gets its own."""
        table = clause.stream
        weights = ", ".join(str(STREAM_WEIGHTS[stream]) for stream in TEXT_STREAMS)
        terms = " OR ".join(fts_term(term) for term in clause.terms)
        expression = column_filter(clause.streams, terms)
        tag = concept if concept >= 0 else f"-1 - {len(self.params)}"
        return (
            f"SELECT rowid, {tag} AS concept, {clause.weight!r} * -bm25({table}, {weights}) AS s "  # noqa: S608 - fixed SQL fragments, values are bound
            f"FROM {table} WHERE {table} MATCH {self.bind(expression)} "
            # bm25() only for the hits: a common word matches ten times more datasets
            # than the query finds. "+rowid" keeps the test out of FTS5's plan, which
            # would otherwise look up every hit one by one.
            "AND +rowid IN (SELECT rowid FROM temp.hits)"
        )

    def boost(self, scoring: Scoring) -> str:
        if not scoring.regions:
            return "1.0"
        inside = region_sql(self, scoring.regions)
        if scoring.ancestors:
            marks = ", ".join(self.bind(code) for code in scoring.ancestors)
            return (
                f"(CASE WHEN {inside} THEN {REGION_BOOST!r} "
                f"WHEN d.region_code IN ({marks}) THEN {ANCESTOR_BOOST!r} ELSE 1.0 END)"
            )
        return f"(CASE WHEN {inside} THEN {REGION_BOOST!r} ELSE 1.0 END)"


def order_by(sort: Sequence[SortKey]) -> str:
    parts = [f"{SORT_COLUMNS[key.field]} {'DESC' if key.descending else 'ASC'}" for key in sort]
    parts.append("d.id ASC")  # deterministic paging
    return ", ".join(parts)


def region_sql(builder: SqlBuilder, codes: Sequence[str]) -> str:
    """region_code inside any of the codes (a province contains its cities, ...)."""
    parts = []
    for code in codes:
        level = gbt2260.level_of(code)
        if level == "province":
            parts.append(f"substr(d.region_code, 1, 2) = {builder.bind(code[:2])}")
        elif level == "city":
            parts.append(f"substr(d.region_code, 1, 4) = {builder.bind(code[:4])}")
        else:
            parts.append(f"d.region_code = {builder.bind(code)}")
    return "(" + " OR ".join(parts) + ")" if parts else "0"


def column_filter(streams: Sequence[str], expression: str) -> str:
    if tuple(streams) == TEXT_STREAMS:
        return f"({expression})"
    columns = " ".join(f"c_{stream}" for stream in streams)
    return f"{{{columns}}} : ({expression})"


def quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def quote_phrase(tokens: Sequence[str]) -> str:
    return quote(" ".join(tokens))


def fts_term(term: Sequence[str]) -> str:
    """One token, a prefix ("水*") or a phrase, as an FTS5 expression."""
    if len(term) == 1 and term[0].endswith("*"):
        return quote(term[0][:-1]) + "*"
    return quote_phrase(term)
