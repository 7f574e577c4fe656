"""Builds the DCAT-AP documents the portal serves: catalogue pages, datasets, concept schemes.

The mapping itself is pure (standards.dcat_ap); this module picks what is
public, in pages, and hands it over. Only public datasets (active, not
private, not closed) are ever published, whoever asks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from datasets import packages as package_service
from datasets import policy, publication
from datasets.models import Package
from datasets.policy import ANONYMOUS
from datasets.unit import CatalogUnit
from delta.errors import BadRequest, NotAuthorized, NotFound
from standards import concept_schemes, dcat_ap, rdf_formats, schemaorg
from standards.rdf_formats import RdfFormat

MAX_PAGE = 1_000_000


@dataclass(frozen=True)
class CatalogQuery:
    page: int = 1
    modified_since: datetime | None = None
    cursor: publication.Cursor | None = None

    @classmethod
    def parse(
        cls, *, page: str | None, modified_since: str | None, cursor: str | None
    ) -> CatalogQuery:
        """The query string as ckanext-dcat takes it (plus our ``cursor``); bad values
        are a clear 400, as ckanext-dcat's own messages say."""
        number = 1
        if page not in (None, ""):
            if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
                raise BadRequest("Page param must be a positive integer starting in 1")
            number = int(page)
        since = None
        if modified_since not in (None, ""):
            since = parse_moment(modified_since)
        after = None
        if cursor not in (None, ""):
            try:
                after = publication.Cursor.decode(cursor)
            except publication.BadCursor as exc:
                raise BadRequest(str(exc)) from None
        return cls(number, since, after)


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date or date-time, as naive UTC (how the catalogue stores times)."""
    if len(text) > 40:
        raise BadRequest("Wrong modified date format. Use ISO-8601 format")
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest("Wrong modified date format. Use ISO-8601 format") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def catalog_document(
    unit: CatalogUnit, *, rdf_format: RdfFormat, query: CatalogQuery, per_page: int
) -> bytes:
    page = publication.public_page(
        unit.session,
        limit=per_page,
        offset=(query.page - 1) * per_page,
        after=query.cursor,
        modified_since=query.modified_since,
    )
    dicts = publication.publishable_dicts(unit.session, page.packages, site_url=unit.site_url)
    info = dcat_ap.CatalogInfo(site_url=unit.site_url, modified=_last_change(unit))
    paging = _paging(unit.site_url, rdf_format, query, page, per_page) if page.total else None
    graph = dcat_ap.catalog_graph(dicts, info=info, paging=paging)
    return rdf_formats.serialize(graph, rdf_format)


def _paging(
    site_url: str,
    rdf_format: RdfFormat,
    query: CatalogQuery,
    page: publication.Page,
    per_page: int,
) -> dcat_ap.Paging:
    base = f"{site_url.rstrip('/')}/catalog.{rdf_format.extension}"

    def url(number: int, cursor: publication.Cursor | None = None) -> str:
        params: dict[str, str] = {}
        if query.modified_since is not None:
            params["modified_since"] = query.modified_since.isoformat()
        params["page"] = str(number)
        if cursor is not None:
            params["cursor"] = cursor.encode()
        return f"{base}?{urlencode(params)}"

    last = max(1, math.ceil(page.total / per_page))
    return dcat_ap.Paging(
        current=url(query.page, query.cursor),
        first=url(1),
        last=url(last),
        next=url(query.page + 1, page.next_cursor) if page.next_cursor else None,
        previous=url(query.page - 1) if query.page > 1 else None,
        total=page.total,
        per_page=per_page,
    )


def _last_change(unit: CatalogUnit) -> datetime | None:
    stmt = select(func.max(Package.metadata_modified)).where(policy.public_datasets())
    return unit.session.scalar(stmt)


def public_dataset(unit: CatalogUnit, ref: str) -> dict[str, Any]:
    """The public dict of a dataset as the catalogue publishes it; NotFound otherwise
    (closed, private, draft and deleted datasets do not exist for the catalogue)."""
    try:
        shown = package_service.show_package(unit, actor=ANONYMOUS, ref=ref)
    except NotAuthorized:
        raise NotFound("Dataset not found") from None
    if not dcat_ap.is_publishable(shown):
        raise NotFound("Dataset not found")
    return publication.with_table_schemas(unit.session, [shown])[0]


def dataset_document(unit: CatalogUnit, *, ref: str, rdf_format: RdfFormat) -> bytes:
    graph = dcat_ap.dataset_graph(public_dataset(unit, ref), site_url=unit.site_url)
    return rdf_formats.serialize(graph, rdf_format)


def dataset_schemaorg(unit: CatalogUnit, *, ref: str) -> dict[str, Any]:
    return schemaorg.dataset_jsonld(public_dataset(unit, ref), site_url=unit.site_url)


def scheme_document(site_url: str, *, scheme: str, rdf_format: RdfFormat) -> bytes:
    if scheme not in concept_schemes.SCHEMES:
        raise NotFound("No such concept scheme")
    return rdf_formats.serialize(concept_schemes.scheme_graph(site_url, scheme), rdf_format)
