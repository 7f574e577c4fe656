"""The search page's shareable URL <-> a ``package_search`` call.

``/dataset?q=空气&province=310000&theme=资源环境&sort=metadata_modified+desc&page=2``:
each filter is one ``fq_list`` entry, so the page asks exactly what an API
client asking the same question would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

FILTER_FIELDS = (
    "theme", "province", "city", "organization", "res_format",
    "open_class", "update_frequency", "tags",
)  # fmt: skip
ROWS = 20
MAX_PAGE = 500
MAX_VALUES = 10  # per filter
DEFAULT_SORT = "score desc, metadata_modified desc"
SORTS = ("score desc, metadata_modified desc", "metadata_modified desc",
         "metadata_created desc", "title_string asc")  # fmt: skip


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def from_query(cls, query: QueryParams, *, fixed: dict[str, str] | None = None) -> SearchParams:
        filters: dict[str, list[str]] = {}
        for name in FILTER_FIELDS:
            values = [v.strip() for v in query.getlist(name) if v.strip()][:MAX_VALUES]
            if values:
                filters[name] = list(dict.fromkeys(v[:200] for v in values))
        for name, value in (fixed or {}).items():
            filters[name] = [value]
        sort = query.get("sort", DEFAULT_SORT)
        try:
            page = int(query.get("page", "1"))
        except ValueError:
            page = 1
        return cls(
            q=query.get("q", "")[:500],
            filters=filters,
            sort=sort if sort in SORTS else DEFAULT_SORT,
            page=min(max(page, 1), MAX_PAGE),
        )

    def action_data(self, *, rows: int = ROWS) -> dict[str, Any]:
        """The ``package_search`` parameters of this page."""
        return {
            "q": self.q,
            "fq_list": [f"{name}:{quoted(v)}" for name, vs in self.filters.items() for v in vs],
            "facet.field": json.dumps(list(FILTER_FIELDS)),
            "facet.limit": 50,
            "rows": rows,
            "start": (self.page - 1) * rows,
            "sort": self.sort,
        }

    def query(self, **changes: Any) -> str:
        """This search's query string, with ``changes`` (None removes a key)."""
        state: dict[str, Any] = {"q": self.q, **self.filters, "sort": self.sort, "page": self.page}
        state.update(changes)
        if state.get("sort") == DEFAULT_SORT:
            state.pop("sort")
        if state.get("page") == 1:
            state.pop("page")
        pairs = []
        for key, value in state.items():
            if value in (None, "", []):
                continue
            for item in value if isinstance(value, list) else [value]:
                pairs.append((key, item))
        return urlencode(pairs)

    def adding(self, name: str, value: str) -> str:
        values = [*self.filters.get(name, []), value]
        return self.query(**{name: list(dict.fromkeys(values)), "page": 1})

    def removing(self, name: str, value: str) -> str:
        values = [v for v in self.filters.get(name, []) if v != value]
        return self.query(**{name: values or None, "page": 1})

    def is_active(self, name: str, value: str) -> bool:
        return value in self.filters.get(name, [])
