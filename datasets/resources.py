"""Resource services: links and uploaded files belonging to a dataset."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

import datasets.datastore.tables as datastore_tables
from datasets import changes, links, policy, repository
from datasets.dictization import RESOURCE_CORE_KEYS, is_access_url, resource_dict
from datasets.models import DownloadCount, IngestJob, Package, Resource, new_id, utcnow
from datasets.policy import Action, Principal
from datasets.schemas import ResourceIn, parse_model
from datasets.storage import Upload, safe_filename
from datasets.unit import CatalogUnit
from datasets.validation.formats import canonical, is_tabular
from datasets.validation.sniff import sniff
from delta.errors import ErrorDict, NotFound, ValidationFailed

MAX_EXTRAS_BYTES = 64 * 1024
# Where a session finds its process's download counter (datasets/download_counter.py).
COUNTER_KEY = "download_counter"

# What people type, and what the catalogue shows.
KNOWN_FORMATS = {
    "csv": "CSV", "json": "JSON", "xlsx": "XLSX", "xls": "XLS", "xml": "XML", "pdf": "PDF",
    "geojson": "GeoJSON", "shp": "SHP", "zip": "ZIP", "api": "API", "txt": "TXT",
    "tsv": "TSV", "parquet": "Parquet", "html": "HTML", "docx": "DOCX", "kml": "KML",
    "wms": "WMS", "rdf": "RDF", "ttl": "TTL", "jsonld": "JSON-LD",
}  # fmt: skip


def show_resource(unit: CatalogUnit, *, actor: Principal, ref: str) -> dict[str, Any]:
    resource = _find(unit, ref)
    policy.require(
        actor,
        Action.READ,
        policy.Dataset.of(resource.package),
        message=f"User {actor.name or 'anonymous'} not authorized to read this dataset",
    )
    return resource_dict(resource, site_url=unit.site_url)


def get_data_resource(
    unit: CatalogUnit, *, actor: Principal, resource_id: str, package_ref: str | None = None
) -> tuple[Package, Resource]:
    """A resource and its dataset, when the caller may have the data."""
    resource = _find(unit, resource_id)
    if package_ref is not None and package_ref not in (resource.package_id, resource.package.name):
        raise NotFound("Resource was not found.")
    # The resource's own dataset, not whatever a lookup of its id by id-or-name finds.
    package = resource.package
    policy.require(
        actor,
        Action.READ,
        policy.Dataset.of(package),
        message=f"User {actor.name or 'anonymous'} not authorized to read this dataset",
    )
    policy.require(actor, Action.READ_DATA, policy.Dataset.of(package))
    return package, resource


def create_resource(
    unit: CatalogUnit, *, actor: Principal, data: dict[str, Any], upload: Upload | None
) -> dict[str, Any]:
    package_ref = data.get("package_id")
    if not isinstance(package_ref, str) or not package_ref:
        raise ValidationFailed.on("package_id", "Missing value")
    package = repository.find_package(unit.session, package_ref, for_update=True)
    if package is None:
        raise NotFound("Dataset not found")
    require_editor(actor, package)
    spec = parse_model(ResourceIn, data)
    errors: ErrorDict = {}
    if spec.id and repository.find_resource(unit.session, spec.id) is not None:
        errors["id"] = ["Resource id already exists"]
    resource = Resource(id=spec.id or new_id(), package_id=package.id)
    resource.position = len(package.resources)
    _apply(unit, resource, spec, upload=upload, errors=errors, existing=False)
    if errors:
        raise ValidationFailed(errors)
    package.resources.append(resource)
    changes.touch(unit, package, actor=actor)
    return resource_dict(resource, site_url=unit.site_url)


def update_resource(
    unit: CatalogUnit,
    *,
    actor: Principal,
    data: dict[str, Any],
    upload: Upload | None,
    patch: bool = False,
) -> dict[str, Any]:
    ref = data.get("id")
    if not isinstance(ref, str) or not ref:
        raise ValidationFailed.on("id", "Missing value")
    resource = _find(unit, ref, for_update=True)
    package = resource.package
    require_editor(actor, package)
    if patch:
        # As its editor sees it (see packages.update_package): nothing left out.
        data = {**resource_dict(resource, site_url=unit.site_url, reveal=True), **data}
    spec = parse_model(ResourceIn, data)
    errors: ErrorDict = {}
    _apply(unit, resource, spec, upload=upload, errors=errors, existing=True)
    if errors:
        raise ValidationFailed(errors)
    changes.touch(unit, package, actor=actor)
    return resource_dict(resource, site_url=unit.site_url)


def delete_resource(unit: CatalogUnit, *, actor: Principal, ref: str) -> None:
    resource = _find(unit, ref, for_update=True)
    package = resource.package
    require_editor(actor, package)
    _retire(unit, resource)
    package.resources.remove(resource)
    for position, remaining in enumerate(package.resources):
        remaining.position = position
    changes.touch(unit, package, actor=actor)


def replace_all(
    unit: CatalogUnit, package: Package, specs: list[ResourceIn], *, errors: ErrorDict
) -> None:
    """Make the dataset's resources exactly ``specs`` (CKAN's package_update semantics)."""
    current = {resource.id: resource for resource in package.resources}
    kept: list[Resource] = []
    problems: list[ErrorDict] = []
    for position, spec in enumerate(specs):
        issue: ErrorDict = {}
        resource = current.get(spec.id or "")
        if resource is None:
            if spec.id and repository.find_resource(unit.session, spec.id) is not None:
                issue["id"] = ["Resource id already exists"]
            resource = Resource(id=spec.id or new_id(), package_id=package.id)
        resource.position = position
        _apply(unit, resource, spec, upload=None, errors=issue, existing=resource.id in current)
        problems.append(issue)
        kept.append(resource)
    if any(problems):
        errors["resources"] = problems
        return
    for resource in current.values():
        if resource not in kept:
            _retire(unit, resource)
    package.resources = kept


def _find(unit: CatalogUnit, ref: str, *, for_update: bool = False) -> Resource:
    """``for_update``: lock its dataset first, as every writer of a dataset does (see
    repository.find_package), and read both fresh."""
    resource = repository.find_resource(unit.session, ref)
    if resource is not None and for_update:
        repository.lock_package(unit.session, resource.package_id)
        resource = repository.find_resource(unit.session, ref, fresh=True)
    if resource is None or resource.package.state == "deleted":
        raise NotFound("Resource was not found.")
    return resource


def require_editor(actor: Principal, package: Package) -> None:
    policy.require(
        actor,
        Action.UPDATE,
        policy.Dataset.of(package),
        message=f"User {actor.name} not authorized to edit package {package.id}",
    )


def _retire(unit: CatalogUnit, resource: Resource) -> None:
    resource.state = "deleted"
    resource.metadata_modified = utcnow()
    if resource.storage_key:
        unit.obsolete_files.append(resource.storage_key)
        resource.storage_key = None
    # As CKAN does: a deleted resource takes its DataStore table with it.
    datastore_tables.drop_for_resource(unit.session, resource.id)


def _apply(
    unit: CatalogUnit,
    resource: Resource,
    spec: ResourceIn,
    *,
    upload: Upload | None,
    errors: ErrorDict,
    existing: bool,
) -> None:
    resource.name = spec.name
    resource.description = spec.description or ""
    resource.mimetype = spec.mimetype
    resource.metadata_modified = utcnow()
    extras = _extras(spec, errors)
    if upload is not None:
        _store_upload(unit, resource, spec, upload, errors)
    elif existing and _unchanged_file_or_link(unit, resource, spec):
        pass
    else:
        # A link (or an upload record from another portal, which arrives as its URL).
        if not links.is_allowed(spec.url):
            errors["url"] = [links.MESSAGE]
        if resource.storage_key:
            unit.obsolete_files.append(resource.storage_key)
            resource.storage_key = None
        resource.url = spec.url or ""
        resource.url_type = None
        resource.size = spec.size
        resource.hash = spec.hash
        resource.validation_status = None
    resource.format = _format(spec.format, resource.url or "")
    if upload is None and spec.hash and resource.url_type != "upload":
        resource.hash = spec.hash
    resource.extras = {**extras, **_kept_internal(resource)}


def _unchanged_file_or_link(unit: CatalogUnit, resource: Resource, spec: ResourceIn) -> bool:
    """A client sent back a URL we printed for this resource: keep what it stands for.

    For uploads that is the download URL (or the file name); for links of conditional
    datasets it is the access-controlled URL printed in place of the real link.
    """
    if resource.url_type == "upload" and (not spec.url or spec.url == resource.url):
        return True
    return bool(spec.url) and is_access_url(unit.site_url, resource, spec.url or "")


def _store_upload(
    unit: CatalogUnit, resource: Resource, spec: ResourceIn, upload: Upload, errors: ErrorDict
) -> None:
    if unit.storage is None:
        errors["upload"] = ["File uploads are not enabled on this portal"]
        return
    filename = safe_filename(upload.filename)
    staged = upload.staged
    if staged is None:
        if upload.stream is None:
            errors["upload"] = ["The upload has no content"]
            return
        try:
            staged = unit.storage.stage(upload.stream, max_bytes=unit.max_upload_bytes)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            return
    # From here the unit owns the file: published on commit, removed on rollback.
    unit.staged_files.append(staged)
    resource_format = canonical(_format(spec.format, filename))
    sniffed = sniff(staged, resource_format=resource_format, xlsx=unit.xlsx_limits)
    if sniffed.problems:
        errors["upload"] = sniffed.problems
        return
    if resource.storage_key:
        unit.obsolete_files.append(resource.storage_key)
    resource.storage_key = staged.key
    resource.url = filename
    resource.url_type = "upload"
    resource.size = staged.size
    resource.hash = staged.sha256
    resource.mimetype = (
        resource.mimetype or mimetypes.guess_type(filename)[0] or _plain(upload.content_type)
    )
    resource.last_modified = utcnow()
    resource.validation_status = None
    if is_tabular(resource_format):
        resource.validation_status = "pending"
        unit.session.add(IngestJob(resource_id=resource.id, storage_key=staged.key))
        unit.ingest_queued = True


def _plain(content_type: str | None) -> str | None:
    """A part's declared type, unless it is the meaningless catch-all."""
    if not content_type or content_type.startswith("application/octet-stream"):
        return None
    return content_type.split(";")[0].strip()[:200]


def _format(value: str | None, url: str) -> str:
    if value:
        return KNOWN_FORMATS.get(value.strip().lower().lstrip("."), value.strip())
    tail = url.rsplit("/", 1)[-1]
    extension = tail.rsplit(".", 1)[-1].lower() if "." in tail else ""
    return KNOWN_FORMATS.get(extension, "")


def _extras(spec: ResourceIn, errors: ErrorDict) -> dict[str, Any]:
    extra = {
        key: value
        for key, value in (spec.model_extra or {}).items()
        if key not in RESOURCE_CORE_KEYS and key != "upload"
    }
    for key, value in extra.items():
        if links.is_url_key(key) and isinstance(value, str) and not links.is_allowed(value):
            errors[key] = [links.MESSAGE]
    try:
        encoded = json.dumps(extra, ensure_ascii=False)
    except (TypeError, ValueError):
        errors["__extras"] = ["Resource extras must be JSON values"]
        return {}
    if len(encoded.encode()) > MAX_EXTRAS_BYTES:
        errors["__extras"] = [f"Resource extras are larger than {MAX_EXTRAS_BYTES} bytes"]
        return {}
    return extra


def _kept_internal(resource: Resource) -> dict[str, Any]:
    """Keys the system itself maintains on a resource survive client updates."""
    current = resource.extras or {}
    return {key: current[key] for key in ("datastore_active",) if key in current}


# --- Download counts ------------------------------------------------------------------


def record_download(session: Session, resource: Resource) -> None:
    """Count one download of ``resource`` today (callers decide what counts; see models)."""
    add_downloads(session, {(resource.id, utcnow().date(), resource.package_id): 1})


def add_downloads(session: Session, counts: Mapping[tuple[str, date, str], int]) -> None:
    """Add ``counts`` -- (resource id, day, package id) -> downloads -- to the table."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    # Sorted: concurrent flushes of several processes lock rows in the same order.
    for (resource_id, day, package_id), n in sorted(counts.items()):
        statement = insert(DownloadCount).values(
            resource_id=resource_id, day=day, package_id=package_id, count=n
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["resource_id", "day"],
                set_={"count": DownloadCount.count + n},
            )
        )


def download_totals(
    session: Session, package_ids: Iterable[str]
) -> dict[str, tuple[int, dict[str, int]]]:
    """Per dataset: its download total and its files' totals (one query)."""
    ids = list(set(package_ids))
    found: dict[str, tuple[int, dict[str, int]]] = {}
    if not ids:
        return found
    rows = session.execute(
        select(DownloadCount.package_id, DownloadCount.resource_id, func.sum(DownloadCount.count))
        .where(DownloadCount.package_id.in_(ids))
        .group_by(DownloadCount.package_id, DownloadCount.resource_id)
    ).all()
    for package_id, resource_id, total in rows:
        before, files = found.get(package_id, (0, {}))
        files[resource_id] = int(total or 0)
        found[package_id] = (before + int(total or 0), files)
    return found


def download_counts(
    session: Session, package_ids: Iterable[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """Download totals of these datasets and of their files. Dataset totals include
    files it has since removed. A session made by a factory that carries a
    :class:`~datasets.download_counter.DownloadCounter` (``info["download_counter"]``)
    answers from it, with its bounded staleness, instead of the table."""
    counter = session.info.get(COUNTER_KEY)
    if counter is not None:
        counts: tuple[dict[str, int], dict[str, int]] = counter.counts(session, package_ids)
        return counts
    per_package: dict[str, int] = {}
    per_resource: dict[str, int] = {}
    for package_id, (total, files) in download_totals(session, package_ids).items():
        per_package[package_id] = total
        per_resource.update(files)
    return per_package, per_resource


def most_downloaded(session: Session, *, limit: int, days: int = 90) -> list[str]:
    """Ids of the datasets downloaded most in the last ``days`` days, most first
    (callers show only those the reader may see)."""
    since = utcnow().date() - timedelta(days=days)
    rows = session.execute(
        select(DownloadCount.package_id, func.sum(DownloadCount.count).label("n"))
        .where(DownloadCount.day >= since)
        .group_by(DownloadCount.package_id)
        .order_by(func.sum(DownloadCount.count).desc(), DownloadCount.package_id)
        .limit(limit)
    ).all()
    return [package_id for package_id, _ in rows]
