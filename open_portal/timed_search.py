"""The search backend with its calls timed (``delta_search_duration_seconds``).

``search/`` is a library that knows nothing of our metrics; the portal wraps
the backend it opens, so every caller (actions, pages, the indexer) is timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from delta import metrics
from search.protocol import (
    Health,
    IndexDoc,
    ProgressCallback,
    SearchBackend,
    SearchQuery,
    SearchResult,
)

T = TypeVar("T")


class TimedSearch:
    def __init__(self, backend: SearchBackend, write_mark: Callable[[], int] | None = None) -> None:
        self.backend = backend
        self.name = backend.name
        # Read-your-writes across processes (Elasticsearch): the count of index writes
        # made by every process, read before each search (docs/search.md).
        self.write_mark = write_mark if hasattr(backend, "catch_up") else None

    def _timed(self, operation: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return call()
        finally:
            metrics.observe_search(self.name, operation, time.perf_counter() - started)

    def search(self, query: SearchQuery) -> SearchResult:
        if self.write_mark is not None:
            self.backend.catch_up(self.write_mark())  # type: ignore[attr-defined]
        return self._timed("search", lambda: self.backend.search(query))

    def index(self, doc: IndexDoc) -> None:
        self._timed("index", lambda: self.backend.index(doc))

    def bulk_index(
        self, docs: Iterable[IndexDoc], *, progress: ProgressCallback | None = None
    ) -> int:
        return self._timed("bulk_index", lambda: self.backend.bulk_index(docs, progress=progress))

    def reindex(self, docs: Iterable[IndexDoc], *, progress: ProgressCallback | None = None) -> int:
        return self._timed("reindex", lambda: self.backend.reindex(docs, progress=progress))

    def delete(self, package_id: str) -> None:
        self._timed("delete", lambda: self.backend.delete(package_id))

    def count(self) -> int:
        return self._timed("count", self.backend.count)

    def clear(self) -> None:
        self._timed("clear", self.backend.clear)

    def health(self) -> Health:
        return self._timed("health", self.backend.health)

    def close(self) -> None:
        self.backend.close()

    def __getattr__(self, name: str) -> Any:
        # Backend-specific extras (e.g. Elasticsearch's drop) pass through untimed.
        return getattr(self.backend, name)
