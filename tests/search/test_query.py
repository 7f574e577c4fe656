"""The CKAN / Solr q and fq parser: every syntax case, and refusal of bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from search.analysis import default_analyzer
from search.datemath import request_now
from search.errors import SearchQueryError
from search.limits import SearchLimits
from search.plan import FDateRange, plan_search
from search.protocol import SearchQuery
from search.query import And, MatchAll, Not, Or, Range, Term, is_free_text, parse, parse_filters

NOW = datetime(2025, 6, 15, 12, 30, 45, tzinfo=UTC)


def p(q: str):
    return parse(q, now=NOW)


def test_empty_and_match_all() -> None:
    assert p("") == MatchAll()
    assert p("   ") == MatchAll()
    assert parse(None) == MatchAll()
    assert p("*:*") == MatchAll()
    assert p("*") == MatchAll()


def test_bare_words_are_free_text() -> None:
    node = p("空气质量 上海")
    assert node == And(
        (Term("text", "空气质量", bare=True), Term("text", "上海", bare=True)), implicit=True
    )
    assert is_free_text(node)
    assert is_free_text(p("养老院"))
    assert is_free_text(p('"空气质量" 上海'))


def test_fielded_terms_and_phrases() -> None:
    assert p("title:空气") == Term("title", "空气")
    assert p('tags:"air quality"') == Term("tags", "air quality", phrase=True)
    assert p("name:foo-bar_1") == Term("name", "foo-bar_1")
    assert p("res_format:CSV") == Term("res_format", "CSV")
    assert not is_free_text(p("title:空气"))


def test_boolean_operators_and_precedence() -> None:
    a, b, c = (Term("text", x, bare=True) for x in "abc")
    assert p("a AND b") == And((a, b))
    assert p("a && b") == And((a, b))
    assert p("a OR b") == Or((a, b))
    assert p("a || b") == Or((a, b))
    assert p("a AND b OR c") == Or((And((a, b)), c))
    assert p("a OR b c") == Or((a, And((b, c), implicit=True)))
    assert p("NOT a") == Not(a)
    assert p("!a") == Not(a)
    assert p("a -b") == And((a, Not(b)))
    assert p("+a +b") == And((a, b))
    assert p("(a OR b) AND c") == And((Or((a, b)), c))
    assert not is_free_text(p("a AND b"))
    assert not is_free_text(p("+a b"))


def test_lowercase_operators_are_words() -> None:
    assert p("roads and bridges") == And(
        tuple(Term("text", w, bare=True) for w in ("roads", "and", "bridges")), implicit=True
    )


def test_field_groups() -> None:
    assert p("organization:(a OR b)") == Or((Term("organization", "a"), Term("organization", "b")))
    assert p("tags:(x y)") == And((Term("tags", "x"), Term("tags", "y")), implicit=True)


def test_negation_in_fq() -> None:
    assert parse_filters(["-private:true", "+state:active"]) == [
        Not(Term("private", "true")),
        Term("state", "active"),
    ]


def test_escapes() -> None:
    assert p(r"title:a\:b") == Term("title", "a:b")
    assert p(r'title:"say \"hi\""') == Term("title", 'say "hi"', phrase=True)
    assert p(r"title:\(x\)") == Term("title", "(x)")


def test_date_ranges_and_math() -> None:
    assert p("metadata_modified:[2024-01-01T00:00:00Z TO *]") == Range(
        "metadata_modified", "2024-01-01T00:00:00.000000Z", None
    )
    assert p("metadata_created:{* TO 2024-01-01}") == Range(
        "metadata_created", None, "2024-01-01T00:00:00.000000Z", False, False
    )
    assert p("metadata_modified:[NOW-1DAY TO NOW]") == Range(
        "metadata_modified", "2025-06-14T12:30:45.000000Z", "2025-06-15T12:30:45.000000Z"
    )
    assert p("metadata_modified:[NOW/DAY-7DAYS TO NOW/DAY+1DAY}") == Range(
        "metadata_modified",
        "2025-06-08T00:00:00.000000Z",
        "2025-06-16T00:00:00.000000Z",
        True,
        False,
    )
    assert p("metadata_modified:[NOW-1MONTH TO NOW-1YEAR]").lower == "2025-05-15T12:30:45.000000Z"
    assert p('metadata_modified:["2024-03-01T08:15:00.123456Z" TO NOW]').lower == (
        "2024-03-01T08:15:00.123456Z"
    )
    # A single date is the range [date TO date].
    assert p("metadata_created:2024-01-01T00:00:00Z") == Range(
        "metadata_created", "2024-01-01T00:00:00.000000Z", "2024-01-01T00:00:00.000000Z"
    )


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ('"abc', "unbalanced quotes"),
        ('title:"abc', "unbalanced quotes"),
        ("(a OR b", "unbalanced '('"),
        ("a OR b)", "unbalanced ')'"),
        ("((a)", "unbalanced '('"),
        ("()", "empty parentheses"),
        ("metadata_modified:[NOW TO *", "unbalanced range"),
        ("metadata_modified:[NOW *]", "[lower TO upper]"),
        ("metadata_modified:[NOW TO]", "[lower TO upper]"),
        ("a ]", "unbalanced ']'"),
        ("x:1", "unknown field 'x'"),
        ("_id:*", "unknown field '_id'"),
        ("foo.bar:1", "unknown field"),
        ("title:", "missing value"),
        ("title:)", "missing value"),
        ("AND a", "needs a term on both sides"),
        ("a AND", "expected a search term"),
        ("a OR", "expected a search term"),
        ("-", "must be followed by a term"),
        ("a \\", "escapes nothing"),
        ("title:abc*", "wildcard"),
        ("name:a?c", "wildcard"),
        ("title:abc~2", "fuzzy"),
        ('"a b"~3', "proximity"),
        ("title:abc^4", "boosts"),
        ("region_code:[310000 TO 320000]", "ranges are only supported"),
        ("metadata_modified:[yesterday TO NOW]", "Invalid date"),
        ("metadata_modified:[NOW-1FORTNIGHT TO NOW]", "Unknown date math unit"),
        ("metadata_modified:[NOW+99999YEARS TO *]", "out of range"),
        ("metadata_modified:[2024-13-45 TO *]", "Invalid date"),
        ("*:foo", "only *:*"),
    ],
)
def test_malformed_queries_raise_search_query_error(q: str, message: str) -> None:
    with pytest.raises(SearchQueryError, match=re.escape(message)):
        p(q)


@pytest.mark.parametrize(
    "q",
    [
        'title:"a" OR x:* NEAR(',  # FTS5 syntax
        "{title}: a",  # FTS5 column filter
        "{title body}: a",
        '{"query": {"match_all": {}}}',  # Elasticsearch DSL
        'title:\\"\\" OR _id:*',
        "_source:*",
        "title:a OR *:* OR _index:x",
        "a) OR (b",
    ],
)
def test_injection_attempts_are_refused(q: str) -> None:
    with pytest.raises(SearchQueryError):
        p(q)


def _leaves(node):
    if isinstance(node, And | Or):
        for child in node.children:
            yield from _leaves(child)
    elif isinstance(node, Not):
        yield from _leaves(node.child)
    else:
        yield node


@pytest.mark.parametrize(
    "q", ['"*"', "NEAR", "NEAR(a b, 2)", "AND-OR", "a\\*", "'; DROP TABLE docs; --", '"OR"']
)
def test_syntax_like_text_is_literal(q: str) -> None:
    """Backend syntax in free text is only text: the backends quote every token."""
    assert all(isinstance(leaf, Term) and leaf.field == "text" for leaf in _leaves(p(q)))


def test_limits() -> None:
    with pytest.raises(SearchQueryError, match="too long"):
        p("a" * 10_000)
    with pytest.raises(SearchQueryError, match="too long"):
        parse_filters(["tags:" + "x" * 5000])
    with pytest.raises(SearchQueryError, match="too many clauses"):
        p(" ".join(["a"] * 200))
    with pytest.raises(SearchQueryError, match="too deeply nested"):
        p("(" * 40 + "a" + ")" * 40)
    with pytest.raises(SearchQueryError, match="Too many filter queries"):
        parse_filters(["a"] * 100)
    small = SearchLimits(max_query_chars=10)
    with pytest.raises(SearchQueryError):
        parse("a" * 11, limits=small)


def test_non_string_input_is_refused() -> None:
    with pytest.raises(SearchQueryError):
        parse(["title:x"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "q", ["(", "a (", "(a", "((", "a OR (", "title:(", "-(", "!(", "NOT (", "( ", "(\u3000"]
)
def test_an_unclosed_parenthesis_is_a_query_error(q: str) -> None:
    """Finding 5: ``q=(``, ``q=a (`` and ``fq=(`` ended in an IndexError (a 500)."""
    with pytest.raises(SearchQueryError, match=r"'\('"):
        p(q)
    with pytest.raises(SearchQueryError):
        parse_filters([q], now=NOW)


def test_now_is_the_current_second_rounded_up() -> None:
    before = datetime.now(UTC)
    now = request_now()
    after = datetime.now(UTC)
    assert now.microsecond == 0 and now.tzinfo is not None
    assert before <= now and now - after < timedelta(seconds=1)


def test_q_and_every_fq_of_one_request_share_one_now() -> None:
    query = SearchQuery(
        q="metadata_modified:[* TO NOW]",
        fq=["metadata_created:[* TO NOW]", "metadata_modified:[NOW-1DAY TO *]"],
    )
    plan = plan_search(query, default_analyzer())
    bounds = {r.upper for r in _ranges(plan.filter) if r.upper} | {
        r.lower for r in _ranges(plan.filter) if r.lower
    }
    assert len(bounds) == 2  # NOW and NOW-1DAY, both of the same NOW
    uppers = {r.upper for r in _ranges(plan.filter) if r.upper}
    assert len(uppers) == 1 and next(iter(uppers)).endswith(".000000Z")


def _ranges(node):
    if isinstance(node, FDateRange):
        yield node
    for child in getattr(node, "children", ()):
        yield from _ranges(child)
    if hasattr(node, "child"):
        yield from _ranges(node.child)
