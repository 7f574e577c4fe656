"""The contract between the catalog and its search backends.

The catalog hands over CKAN package dicts (exactly what ``package_show``
returns) together with the permission labels that say who may see them; the
backend stores the dict and answers CKAN ``package_search`` queries with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

PackageDict = dict[str, Any]

# Who may see a dataset, as CKAN does it: "public" for everyone, "member-<org id>"
# for members of the owning organisation, "creator-<user id>" for its creator.
PUBLIC_LABEL = "public"


def member_label(org_id: str) -> str:
    return f"member-{org_id}"


def creator_label(user_id: str) -> str:
    return f"creator-{user_id}"


@dataclass(frozen=True)
class IndexDoc:
    package: PackageDict
    permission_labels: Sequence[str]


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    fq: Sequence[str] = ()
    facet_fields: Sequence[str] = ()
    facet_limit: int = 50
    facet_mincount: int = 1
    rows: int = 10
    start: int = 0
    sort: str | None = None  # None: "score desc, metadata_modified desc"
    # None means no permission filter (internal callers only); otherwise a dataset
    # is returned when one of its labels is in this list.
    permission_labels: Sequence[str] | None = (PUBLIC_LABEL,)
    include_private: bool = False
    include_drafts: bool = False
    include_deleted: bool = False


@dataclass
class SearchResult:
    count: int
    results: list[PackageDict]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Health:
    ok: bool
    backend: str
    documents: int | None = None
    detail: str = ""


# Called with the running total of documents processed so far.
ProgressCallback = Callable[[int], None]


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def index(self, doc: IndexDoc) -> None: ...

    def bulk_index(
        self, docs: Iterable[IndexDoc], *, progress: ProgressCallback | None = None
    ) -> int: ...

    def reindex(self, docs: Iterable[IndexDoc], *, progress: ProgressCallback | None = None) -> int:
        """Replace the whole index with ``docs``; searches keep answering from the
        old index until the new one is complete (Elasticsearch: alias switch)."""
        ...

    def delete(self, package_id: str) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def count(self) -> int: ...

    def clear(self) -> None: ...

    def health(self) -> Health: ...

    def close(self) -> None: ...
