"""Hypothesis strategies shared by the property-based tests."""

from __future__ import annotations

from hypothesis import strategies as st

from search.fields import searchable_fields

# The pieces the CKAN/Solr query grammar is made of, so examples reach deep into the
# parser instead of failing on their first character; plus any text at all.
# fmt: off
QUERY_PIECES = [
    "(", ")", '"', "[", "]", "{", "}", ":", "*", "?", "\\", "^", "~", "+", "-", "!",
    "AND", "OR", "NOT", "&&", "||", "TO", "NOW", "NOW-1DAY", "/DAY", "2024-01-01",
    "2024-01-01T00:00:00Z", "*:*", "空气", "上海", "沪", "a", "310000", "交通",
    " ", "\u3000", "\t",
]
# fmt: on
FIELD_PREFIXES = [f"{name}:" for name in searchable_fields()] + ["x:", "_id:", "*:"]
QUERYISH = st.lists(
    st.one_of(st.sampled_from(QUERY_PIECES), st.sampled_from(FIELD_PREFIXES), st.text(max_size=3)),
    max_size=25,
).map("".join)
QUERIES = st.one_of(QUERYISH, st.text(max_size=60))
