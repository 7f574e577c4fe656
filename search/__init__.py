"""Catalog search: one backend protocol, an embedded SQLite FTS5 backend and an
Elasticsearch backend sharing one text analysis and one CKAN/Solr query parser.

Imports only ``standards``; it knows nothing of FastAPI or the portal database.

    backend = open_backend(settings.search_url, index_path=home / "search" / "catalog.db")
    backend.index(IndexDoc(package_dict, permission_labels))
    result = backend.search(SearchQuery(q="养老院 上海", facet_fields=["organization"]))
"""

from __future__ import annotations

from pathlib import Path

from search.errors import SearchBackendError, SearchQueryError
from search.protocol import (
    PUBLIC_LABEL,
    Health,
    IndexDoc,
    PackageDict,
    ProgressCallback,
    SearchBackend,
    SearchQuery,
    SearchResult,
    creator_label,
    member_label,
)
from search.result_cache import DEFAULT_MAX_BYTES


def open_backend(
    search_url: str | None,
    *,
    index_path: Path,
    catalogue: str | None = None,
    foreign: str = "refuse",
    result_cache_bytes: int = DEFAULT_MAX_BYTES,
) -> SearchBackend:
    """``None`` or "" → the embedded FTS5 index at ``index_path``;
    ``http(s)://host:9200[/alias]`` → Elasticsearch (``DELTA_SEARCH_URL``); the
    optional path names the index alias (default ``delta-catalog``).

    ``catalogue`` names the catalogue the index must belong to; an Elasticsearch
    index of another one is refused or replaced by an empty one (``foreign``:
    "refuse" or "rebuild"). The embedded index lives beside its portal's files.
    ``result_cache_bytes`` bounds the exact result cache (0: none)."""
    if not search_url:
        from search.fts5 import Fts5Backend

        return Fts5Backend(index_path, result_cache_bytes=result_cache_bytes)
    if search_url.startswith(("http://", "https://")):
        from search.elasticsearch import ElasticsearchBackend, split_search_url

        url, alias = split_search_url(search_url)
        return ElasticsearchBackend(
            url,
            index_prefix=alias,
            catalogue=catalogue,
            foreign=foreign,
            result_cache_bytes=result_cache_bytes,
        )
    raise SearchBackendError(
        f"Unsupported search URL {search_url!r}: leave it empty for the embedded index "
        "or give an http(s):// Elasticsearch URL"
    )


__all__ = [
    "PUBLIC_LABEL",
    "Health",
    "IndexDoc",
    "PackageDict",
    "ProgressCallback",
    "SearchBackend",
    "SearchBackendError",
    "SearchQuery",
    "SearchQueryError",
    "SearchResult",
    "creator_label",
    "member_label",
    "open_backend",
]
