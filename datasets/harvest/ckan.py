"""Gathering from a CKAN site through its Action API, with ckanapi's RemoteCKAN.

Pages of ``package_search`` sorted by modification time, oldest first; after
a complete first run only what changed since the newest time seen then (the
source's own clock, so clock skew cannot lose a change). Each page continues
from the last time seen rather than from an offset into a list that shifts
while we page; duplicates are dropped. ``package_list`` tells what the source
still has, so datasets it removed (or made private) are withdrawn here.
"""

from __future__ import annotations

from typing import Any

import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import CKANAPIError, ServerIncompatibleError

from datasets import fields
from datasets.harvest.records import (
    NAME_MAX,
    Gathered,
    Problem,
    Progress,
    Record,
    SourceError,
    check_guid,
    clean_tags,
)
from delta import __version__
from standards.open_classes import OpenClass

SORT = "metadata_modified asc, name asc"
LIST_PAGE = 1000
COPIED = (
    "license_id", "version", "url", "author", "author_email", "maintainer", "maintainer_email",
)  # fmt: skip
# Keys other harvesters leave in extras that would only confuse ours.
FOREIGN_EXTRAS = frozenset(
    {"harvest_object_id", "harvest_source_id", "harvest_source_title", "guid", "uri"}
)
RESOURCE_KEYS = ("url", "name", "description", "format", "mimetype", "size", "hash", "schema")


class CkanSource:
    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        since: str | None = None,
        rows: int = 100,
        max_pages: int = 10_000,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.since = since
        self.rows = rows
        self.max_pages = max_pages

    def gather(self, progress: Progress) -> Gathered:
        gathered = Gathered()
        ckan = RemoteCKAN(self.url, user_agent=f"delta-harvest/{__version__}", get_only=True)
        try:
            self._search(ckan, gathered, progress)
            gathered.present_names = self._names(ckan, progress)
        except (requests.RequestException, CKANAPIError, ServerIncompatibleError) as exc:
            raise SourceError(f"{self.url}: {type(exc).__name__}: {str(exc)[:300]}") from None
        except ValueError as exc:  # a body that is not the JSON CKAN answers
            raise SourceError(f"{self.url}: not a CKAN Action API answer ({exc})") from None
        finally:
            ckan.close()
        return gathered

    def _call(self, ckan: RemoteCKAN, action: str, **data: Any) -> Any:
        return ckan.call_action(action, data, requests_kwargs={"timeout": self.timeout})

    def _search(self, ckan: RemoteCKAN, gathered: Gathered, progress: Progress) -> None:
        since, skip, seen = self.since, 0, set[str]()
        total: int | None = None
        while gathered.pages < self.max_pages:
            query: dict[str, Any] = {"q": "*:*", "rows": self.rows, "start": skip, "sort": SORT}
            if since:
                query["fq"] = f"metadata_modified:[{_solr_time(since)} TO *]"
            answer = self._call(ckan, "package_search", **query)
            gathered.pages += 1
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list):
                raise SourceError(f"{self.url}: package_search answered without results")
            if total is None:
                total = int(answer.get("count") or 0)
            for remote in results:
                if isinstance(remote, dict) and remote.get("id") not in seen:
                    seen.add(str(remote.get("id")))
                    _add(gathered, remote, self.url)
            progress("gather", len(seen), total)
            if len(results) < self.rows:
                return
            # Continue from the newest time of this page; what was already seen there is
            # skipped by count (the page is sorted), duplicates by id.
            last = str(results[-1].get("metadata_modified") or "")
            at_last = sum(1 for r in results if str(r.get("metadata_modified") or "") == last)
            skip = skip + at_last if last == since else at_last
            since = last
        raise SourceError(f"{self.url}: more than {self.max_pages} pages")

    def _names(self, ckan: RemoteCKAN, progress: Progress) -> set[str]:
        names: set[str] = set()
        offset = 0
        while True:
            page = self._call(ckan, "package_list", limit=LIST_PAGE, offset=offset)
            if not isinstance(page, list):
                raise SourceError(f"{self.url}: package_list did not answer a list")
            names.update(str(name) for name in page)
            progress("list", len(names), None)
            if len(page) < LIST_PAGE:
                return names
            offset += len(page)


def _solr_time(value: str) -> str:
    """CKAN prints naive UTC times; Solr ranges want the Z."""
    text = value.strip()
    return text if text.endswith("Z") else text + "Z"


def _add(gathered: Gathered, remote: dict[str, Any], base_url: str) -> None:
    modified = remote.get("metadata_modified")
    if isinstance(modified, str) and (gathered.watermark or "") < modified:
        gathered.watermark = modified
    outcome = record_from_ckan(remote, base_url)
    if isinstance(outcome, Problem):
        gathered.problems.append(outcome)
        if outcome.guid:
            gathered.unreadable.add(outcome.guid)
    elif outcome is not None:
        gathered.records.append(outcome)


def record_from_ckan(remote: dict[str, Any], base_url: str) -> Record | Problem | None:
    """A CKAN package dict as our package data; None for what is not to be harvested
    (not public there), a Problem for what cannot be."""
    guid = check_guid(remote.get("id"))
    name = remote.get("name")
    if guid is None or not isinstance(name, str) or not name:
        return Problem(guid, "a dataset without a usable id and name")
    lifted = fields.lift_first_class(remote)
    if remote.get("private") or remote.get("state", "active") != "active":
        return None
    if lifted.get("open_class") == OpenClass.CLOSED:
        return None
    data: dict[str, Any] = {
        "title": lifted.get("title") or name,
        "notes": lifted.get("notes") or "",
        **{key: lifted.get(key) for key in fields.FIRST_CLASS},
        **{key: lifted.get(key) for key in COPIED},
        "tags": clean_tags(remote.get("tags")),
        "extras": [
            {"key": e["key"], "value": e.get("value")}
            for e in lifted.get("extras") or ()
            if isinstance(e, dict)
            and isinstance(e.get("key"), str)
            and e["key"] not in fields.CORE_KEYS
            and e["key"] not in FOREIGN_EXTRAS
        ],
        "resources": [
            {key: r.get(key) for key in RESOURCE_KEYS if r.get(key) not in (None, "")}
            for r in remote.get("resources") or ()
            if isinstance(r, dict)
        ],
    }
    found = remote.get("organization")
    org: dict[str, Any] = found if isinstance(found, dict) else {}
    return Record(
        guid=guid,
        name=name[:NAME_MAX],
        data=data,
        publisher={k: org.get(k) for k in ("name", "title", "title_en", "uscc") if org.get(k)},
        original_id=guid,
        # The URI ckanext-dcat gives it there (its own ``uri`` when it has one).
        original_uri=(
            remote["uri"] if isinstance(remote.get("uri"), str) else f"{base_url}/dataset/{guid}"
        ),
        source_modified=remote.get("metadata_modified"),
    )
