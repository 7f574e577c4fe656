"""Harvest sources: create, show, list, update, remove (sysadmins only).

Input as ckanext-harvest's ``harvest_source_create`` takes it: ``name``,
``url``, ``source_type`` (``ckan`` or ``dcat``), ``title``, ``frequency``,
``owner_org`` and ``config`` (a JSON object or its text). Files as DCAT
sources are for the command line only (``allow_files``): over HTTP a source
must be a web address, so the API cannot be used to read the server's files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets import repository
from datasets.harvest import schedule
from datasets.harvest.dcat import is_web
from datasets.harvest.models import HarvestJob, HarvestObject, HarvestSource
from datasets.models import Group, utcnow
from datasets.policy import Principal
from datasets.schemas import Identifier, Name, ShortText, UrlText, parse_model
from delta.errors import NotAuthorized, NotFound, ValidationFailed

SOURCE_TYPES = ("ckan", "dcat")


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Remote organisation (name, title or publisher URI) -> our organisation's name.
    organizations: dict[Annotated[str, Field(max_length=2000)], Identifier] = {}
    rdf_format: Literal["turtle", "xml", "json-ld", "nt"] | None = None
    rows: Annotated[int, Field(ge=1, le=1000)] = 100


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Identifier | None = None
    name: Name | None = None
    title: ShortText | None = None
    url: UrlText | None = None
    source_type: Literal["ckan", "dcat"] | None = None
    frequency: Literal[schedule.FREQUENCIES] | None = None  # type: ignore[valid-type]
    owner_org: Identifier | None = None
    config: dict[str, Any] | None = None

    @field_validator("config", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("config must be a JSON object") from None
        return value

    @field_validator("frequency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


def _require_sysadmin(actor: Principal) -> None:
    if not actor.sysadmin:
        raise NotAuthorized("Only sysadmins may manage harvest sources")


def create_source(
    session: Session, *, actor: Principal, data: dict[str, Any], allow_files: bool = False
) -> HarvestSource:
    _require_sysadmin(actor)
    spec = parse_model(SourceIn, data)
    errors: dict[str, Any] = {}
    for key in ("name", "url", "source_type", "owner_org"):
        if not getattr(spec, key):
            errors[key] = ["Missing value"]
    if spec.name and _taken(session, spec.name):
        errors.setdefault("name", []).append("That name is already in use.")
    source = HarvestSource(name=spec.name or "", source_type=spec.source_type or "")
    _apply(session, source, spec, errors, allow_files=allow_files)
    if errors:
        raise ValidationFailed(errors)
    source.next_run_at = schedule.next_run(source.frequency, utcnow())
    session.add(source)
    session.flush()
    return source


def update_source(
    session: Session,
    *,
    actor: Principal,
    data: dict[str, Any],
    allow_files: bool = False,
    patch: bool = False,
) -> HarvestSource:
    _require_sysadmin(actor)
    source = find_source(session, str(data.get("id") or data.get("name") or ""))
    if patch:
        data = {**source_dict(session, source), **data}
    spec = parse_model(SourceIn, data)
    errors: dict[str, Any] = {}
    if spec.name and spec.name != source.name and _taken(session, spec.name):
        errors["name"] = ["That name is already in use."]
    if spec.name:
        source.name = spec.name
    _apply(session, source, spec, errors, allow_files=allow_files)
    if errors:
        raise ValidationFailed(errors)
    session.flush()
    return source


def delete_source(session: Session, *, actor: Principal, ref: str) -> HarvestSource:
    """Retire a source: it runs no more. Its datasets stay (with their provenance)."""
    _require_sysadmin(actor)
    source = find_source(session, ref)
    source.state = "deleted"
    source.next_run_at = None
    session.flush()
    return source


def find_source(session: Session, ref: str, *, include_deleted: bool = False) -> HarvestSource:
    where = [] if include_deleted else [HarvestSource.state == "active"]
    found = repository.find_by_ref(session, HarvestSource, ref, *where) if ref else None
    if found is None:
        raise NotFound(f"Harvest source {ref} does not exist"[:200])
    return found


def list_sources(session: Session) -> list[HarvestSource]:
    return list(
        session.scalars(
            select(HarvestSource)
            .where(HarvestSource.state == "active")
            .order_by(HarvestSource.name)
        )
    )


def _taken(session: Session, name: str) -> bool:
    return bool(
        session.scalar(
            select(func.count()).where((HarvestSource.name == name) | (HarvestSource.id == name))
        )
    )


def _apply(
    session: Session,
    source: HarvestSource,
    spec: SourceIn,
    errors: dict[str, Any],
    *,
    allow_files: bool,
) -> None:
    if spec.source_type:
        source.source_type = spec.source_type
    if spec.url:
        url = spec.url.strip()
        if is_web(url):
            source.url = url
        elif allow_files and source.source_type == "dcat" and Path(url).is_file():
            source.url = str(Path(url).resolve())
        elif allow_files and source.source_type == "dcat":
            errors["url"] = ["No such file"]
        else:
            errors["url"] = ["Must be an http:// or https:// URL"]
    if spec.owner_org:
        org = repository.find_group(session, spec.owner_org, organization=True)
        if org is None or org.state != "active":
            errors["owner_org"] = ["Organization does not exist"]
        else:
            source.owner_org = org.id
    source.title = spec.title or source.title or source.name
    if spec.frequency:
        source.frequency = spec.frequency
    elif not source.frequency:
        source.frequency = "MANUAL"
    if spec.config is not None:
        _config(session, source, spec.config, errors)


def _config(
    session: Session, source: HarvestSource, raw: dict[str, Any], errors: dict[str, Any]
) -> None:
    try:
        config = SourceConfig.model_validate(raw)
    except ValueError as exc:
        errors["config"] = [str(exc).splitlines()[0][:300] if str(exc) else "Invalid config"]
        return
    unknown = [
        name
        for name in set(config.organizations.values())
        if repository.find_group(session, name, organization=True) is None
    ]
    if unknown:
        errors["config"] = [f"No such organization: {', '.join(sorted(unknown))[:200]}"]
        return
    source.config = config.model_dump(exclude_defaults=True)


def source_dict(session: Session, source: HarvestSource) -> dict[str, Any]:
    """A source as ckanext-harvest's harvest_source_show prints it."""
    org: Group | None = source.organization
    last = session.scalars(
        select(HarvestJob)
        .where(HarvestJob.source_id == source.id)
        .order_by(HarvestJob.created.desc())
        .limit(1)
    ).first()
    count = session.scalar(
        select(func.count())
        .select_from(HarvestObject)
        .where(HarvestObject.source_id == source.id, HarvestObject.state == "active")
    )
    jobs = session.scalar(
        select(func.count()).select_from(HarvestJob).where(HarvestJob.source_id == source.id)
    )
    return {
        "id": source.id,
        "name": source.name,
        "title": source.title,
        "url": source.url,
        "type": "harvest",
        "source_type": source.source_type,
        "frequency": source.frequency,
        "config": json.dumps(source.config or {}, ensure_ascii=False),
        "owner_org": source.owner_org,
        "organization": {"id": org.id, "name": org.name, "title": org.title} if org else None,
        "state": source.state,
        "created": source.created.isoformat(),
        "next_run": source.next_run_at.isoformat() if source.next_run_at else None,
        "watermark": source.watermark,
        "status": {
            "job_count": int(jobs or 0),
            "total_datasets": int(count or 0),
            "last_job": _last_job(last),
        },
    }


def _last_job(job: HarvestJob | None) -> dict[str, Any] | None:
    if job is None:
        return None
    finished = job.finished.isoformat() if job.finished else None
    return {"id": job.id, "status": job.status, "finished": finished}
