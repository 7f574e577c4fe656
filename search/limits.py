"""Explicit bounds on what a search request may ask for.

Every limit is enforced before a backend sees the request, so a hostile or
careless query costs at most a bounded amount of work and always ends in a
``SearchQueryError`` (a CKAN "Search Query Error", HTTP 400), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SearchLimits:
    max_query_chars: int = 1000  # per q and per fq string; a 10 kB query is refused
    max_fq: int = 32  # fq + fq_list entries
    max_clauses: int = 64  # leaf clauses (terms, phrases, ranges) over q and all fq
    max_depth: int = 16  # parenthesis / negation nesting
    max_rows: int = 1000  # CKAN's default ckan.search.rows_max
    # Deep paging beyond this is refused rather than served slowly; 100k covers
    # a whole 100,000-dataset catalogue. Elasticsearch's max_result_window is
    # set to max_start + max_rows accordingly.
    max_start: int = 100_000
    max_query_tokens: int = 64  # analysed query words that take part in scoring


DEFAULT_LIMITS = SearchLimits()
