"""Property-based tests of the q/fq parser and the search planner: whatever the
text, the answer is a query or a SearchQueryError -- never another exception
(which the portal would answer with a 500).

Bounded for ``make test``: each property runs a fixed number of examples with
no deadline (timing on a shared 2-core machine is noise, not a failure).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.analysis import default_analyzer
from search.errors import SearchQueryError
from search.fields import FACET_FIELDS
from search.plan import plan_search
from search.protocol import SearchQuery
from search.query import parse, parse_filters
from tests.support.strategies import QUERIES

NOW = datetime(2025, 6, 15, tzinfo=UTC)
BOUNDED = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ANY_TEXT = QUERIES


def _refusal(call: Callable[[], object]) -> str | None:
    """None when ``call`` succeeds, the message when it raises SearchQueryError."""
    try:
        call()
    except SearchQueryError as exc:
        return str(exc)
    return None


@BOUNDED
@given(ANY_TEXT)
def test_q_parses_or_is_refused(text: str) -> None:
    assert _refusal(lambda: parse(text, now=NOW)) != ""  # refusals say why


@BOUNDED
@given(st.lists(ANY_TEXT, max_size=4))
def test_fq_parses_or_is_refused(filters: list[str]) -> None:
    assert _refusal(lambda: parse_filters(filters, now=NOW)) != ""


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    q=ANY_TEXT,
    fq=st.lists(ANY_TEXT, max_size=2),
    sort=st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["name asc", "score desc"])),
    facets=st.lists(st.one_of(st.sampled_from(FACET_FIELDS), st.text(max_size=5)), max_size=3),
    rows=st.integers(min_value=-5, max_value=2000),
    start=st.integers(min_value=-5, max_value=200_000),
)
def test_planning_any_request_plans_or_refuses(
    q: str, fq: list[str], sort: str | None, facets: list[str], rows: int, start: int
) -> None:
    query = SearchQuery(q=q, fq=fq, sort=sort, facet_fields=facets, rows=rows, start=start)
    assert _refusal(lambda: plan_search(query, default_analyzer(), now=NOW)) != ""
