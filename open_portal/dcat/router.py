"""DCAT-AP endpoints, at ckanext-dcat's URLs.

``/catalog.{ttl,rdf,xml,jsonld,n3}`` (paged, ``page``, ``modified_since``,
``cursor``), ``/dataset/{id or name}.{ttl,rdf,xml,jsonld,n3}``, the Table
Schema a distribution conforms to, and the concept schemes we publish
(``/vocab/theme``, ``/vocab/gbt2260``). Content negotiation on
``/dataset/{name}`` and ``/`` is :mod:`open_portal.dcat.negotiation`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from datasets import publication, repository
from delta.errors import NotFound
from open_portal.dcat import service
from open_portal.runtime import Portal
from standards import concept_schemes, licences, rdf_formats
from standards.rdf_formats import RdfFormat

router = APIRouter(tags=["DCAT-AP"])

# Public metadata: caches may keep it briefly; the catalogue changes as datasets do.
CACHE = {"Cache-Control": "public, max-age=60", "Vary": "Accept"}


def _format(extension: str) -> RdfFormat:
    found = rdf_formats.BY_EXTENSION.get(extension)
    if found is None:
        raise NotFound(f"No RDF serialisation called {extension!r}: use ttl, rdf, jsonld or n3")
    return found


def _rdf(body: bytes, rdf_format: RdfFormat) -> Response:
    media_type = f"{rdf_format.media_type}; charset=utf-8"
    return Response(body, media_type=media_type, headers=CACHE)


def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


async def catalog_response(
    portal: Portal, rdf_format: RdfFormat, query: service.CatalogQuery
) -> Response:
    def build() -> bytes:
        with portal.unit_of_work() as unit:
            return service.catalog_document(
                unit,
                rdf_format=rdf_format,
                query=query,
                per_page=portal.settings.dcat_datasets_per_page,
            )

    return _rdf(await run_in_threadpool(build), rdf_format)


async def dataset_response(portal: Portal, ref: str, rdf_format: RdfFormat) -> Response:
    def build() -> bytes:
        with portal.unit_of_work() as unit:
            return service.dataset_document(unit, ref=ref, rdf_format=rdf_format)

    return _rdf(await run_in_threadpool(build), rdf_format)


@router.get("/catalog.{extension}", summary="The DCAT-AP catalogue, one page")
async def catalog(
    extension: str,
    request: Request,
    page: str | None = None,
    modified_since: str | None = None,
    cursor: str | None = None,
) -> Response:
    rdf_format = _format(extension)
    query = service.CatalogQuery.parse(page=page, modified_since=modified_since, cursor=cursor)
    return await catalog_response(_portal(request), rdf_format, query)


@router.get("/dataset/{ref}.{extension}", summary="One dataset as DCAT-AP")
async def dataset(ref: str, extension: str, request: Request) -> Response:
    return await dataset_response(_portal(request), ref, _format(extension))


@router.get("/dataset/{ref}/schema.org.json", summary="One dataset as schema.org JSON-LD")
async def dataset_schemaorg(ref: str, request: Request) -> Response:
    portal = _portal(request)

    def build() -> dict[str, Any]:
        with portal.unit_of_work() as unit:
            return service.dataset_schemaorg(unit, ref=ref)

    body = await run_in_threadpool(build)
    return JSONResponse(body, media_type="application/ld+json", headers=CACHE)


@router.get(
    "/dataset/{package_id}/resource/{resource_id}/schema.json",
    summary="The Table Schema a distribution conforms to",
)
async def table_schema(package_id: str, resource_id: str, request: Request) -> Response:
    portal = _portal(request)

    def find() -> dict[str, Any]:
        with portal.unit_of_work() as unit:
            package = service.public_dataset(unit, package_id)
            resource = repository.find_resource(unit.session, resource_id)
            if resource is None or resource.package_id != package["id"]:
                raise NotFound("Resource not found")
            schema = publication.table_schema(unit.session, resource)
            if schema is None:
                raise NotFound("This resource has no Table Schema")
            return schema

    body = await run_in_threadpool(find)
    return JSONResponse(body, media_type="application/json", headers=CACHE)


@router.get("/vocab/{scheme}.{extension}", summary="A concept scheme we publish, as SKOS")
async def scheme(scheme: str, extension: str, request: Request) -> Response:
    rdf_format = _format(extension)
    site_url = _portal(request).settings.site_url
    body = service.scheme_document(site_url, scheme=scheme, rdf_format=rdf_format)
    return _rdf(body, rdf_format)


@router.get("/vocab/{scheme}", include_in_schema=False)
@router.get("/vocab/{scheme}/{concept}", include_in_schema=False)
async def concept(scheme: str, request: Request, concept: str | None = None) -> Response:
    """A concept's URI (or the scheme's) leads to the scheme's document: 303 See Other,
    in the RDF form the client asked for (Turtle by default)."""
    if scheme not in concept_schemes.SCHEMES:
        raise NotFound("No such concept scheme")
    rdf_format = rdf_formats.negotiate(request.headers.get("accept")) or rdf_formats.TURTLE
    site_url = _portal(request).settings.site_url.rstrip("/")
    target = f"{site_url}/vocab/{scheme}.{rdf_format.extension}"
    return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})


@router.get("/licence/{licence_id}", summary="A licence the catalogue names")
async def licence(licence_id: str) -> Response:
    found = licences.get(licence_id)
    if found is None:
        raise NotFound("No such licence")
    return JSONResponse(found.as_ckan_dict(), headers=CACHE)
