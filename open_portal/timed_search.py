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
    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend
        self.name = backend.name

    def _timed(self, operation: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return call()
        finally:
            metrics.observe_search(self.name, operation, time.perf_counter() - started)

    def search(self, query: SearchQuery) -> SearchResult:
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
