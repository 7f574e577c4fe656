"""ckanext-harvest's actions, for sysadmins: sources, jobs and their reports.

``harvest_job_create`` queues a job (``run`` defaults to true, as there); the
scheduler thread of a portal process runs queued jobs within its poll
interval. Over HTTP a source must be a web address (files: the command line).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from datasets.harvest import jobs, sources
from datasets.harvest.models import HarvestJob
from datasets.harvest.schedule import FREQUENCIES
from delta.errors import NotAuthorized, NotFound
from open_portal.ckan.params import as_bool, as_int, optional_str, required_str
from open_portal.ckan.registry import ActionContext, action


def _sysadmin(ctx: ActionContext) -> None:
    if not ctx.actor.sysadmin:
        raise NotAuthorized("Only sysadmins may use the harvesting actions")


def _job(ctx: ActionContext, data: dict[str, Any]) -> HarvestJob:
    _sysadmin(ctx)
    job = ctx.session.get(HarvestJob, required_str(data))
    if job is None:
        raise NotFound("Harvest job not found")
    return job


@action()
def harvest_source_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Create a harvest source.

    :param name: a short name; :param url: the source's web address
    :param source_type: ``ckan`` (its Action API) or ``dcat`` (an RDF document, paged)
    :param owner_org: our organisation its datasets belong to unless mapped
    :param title: (optional); :param frequency: MANUAL (default), ALWAYS, HOURLY, DAILY,
        WEEKLY, BIWEEKLY or MONTHLY
    :param config: (optional) JSON: ``{"organizations": {"remote name, title or
        publisher URI": "our organisation"}, "rows": 100, "rdf_format": "turtle"}``
    """
    source = sources.create_source(ctx.session, actor=ctx.actor, data=data)
    return sources.source_dict(ctx.session, source)


@action()
def harvest_source_update(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update a harvest source, replacing the fields given.

    :param id: the source's id or name
    """
    source = sources.update_source(ctx.session, actor=ctx.actor, data=data)
    return sources.source_dict(ctx.session, source)


@action()
def harvest_source_patch(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Update only the given fields of a harvest source.

    :param id: the source's id or name
    """
    source = sources.update_source(ctx.session, actor=ctx.actor, data=data, patch=True)
    return sources.source_dict(ctx.session, source)


@action()
def harvest_source_delete(ctx: ActionContext, data: dict[str, Any]) -> None:
    """Retire a harvest source (its datasets stay, with their provenance).

    :param id: the source's id or name
    """
    sources.delete_source(ctx.session, actor=ctx.actor, ref=required_str(data))


@action(side_effect_free=True)
def harvest_source_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a harvest source with its status.

    :param id: the source's id or name
    """
    _sysadmin(ctx)
    return sources.source_dict(ctx.session, sources.find_source(ctx.session, required_str(data)))


@action(side_effect_free=True)
def harvest_source_list(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the active harvest sources."""
    _sysadmin(ctx)
    return [sources.source_dict(ctx.session, s) for s in sources.list_sources(ctx.session)]


@action()
def harvest_job_create(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Queue a harvest job for a source; the scheduler runs it.

    :param source_id: the source's id or name
    :param run: (optional, default true) queue it to run
    """
    _sysadmin(ctx)
    source = sources.find_source(ctx.session, required_str(data, "source_id"))
    as_bool(data, "run", True)  # accepted as ckanext-harvest does; jobs always run
    job = jobs.open_job(ctx.session, source)
    return jobs.job_dict(job)


@action(side_effect_free=True)
def harvest_job_show(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a harvest job with its statistics and error summaries.

    :param id: the job's id
    """
    return jobs.job_dict(_job(ctx, data))


@action(side_effect_free=True)
def harvest_job_report(ctx: ActionContext, data: dict[str, Any]) -> dict[str, Any]:
    """Return a harvest job's full report: every gather and record error.

    :param id: the job's id
    """
    job = _job(ctx, data)
    return {"job": jobs.job_dict(job), **(job.report or {})}


@action(side_effect_free=True)
def harvest_job_list(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return harvest jobs, newest first.

    :param source_id: (optional) only this source's
    :param status: (optional) New, Running, Finished or Failed
    :param limit: (optional, default 100)
    """
    _sysadmin(ctx)
    stmt = select(HarvestJob).order_by(HarvestJob.created.desc())
    ref = optional_str(data, "source_id", max_len=200)
    if ref:
        source = sources.find_source(ctx.session, ref, include_deleted=True)
        stmt = stmt.where(HarvestJob.source_id == source.id)
    status = optional_str(data, "status", max_len=20)
    if status:
        stmt = stmt.where(HarvestJob.status == status)
    limit = as_int(data, "limit", 100, minimum=1, maximum=1000) or 100
    return [jobs.job_dict(job) for job in ctx.session.scalars(stmt.limit(limit))]


@action(side_effect_free=True)
def harvesters_info_show(ctx: ActionContext, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the kinds of source this portal harvests."""
    return [
        {"name": "ckan", "title": "CKAN", "description": "A CKAN site, through its Action API",
         "frequencies": list(FREQUENCIES)},
        {"name": "dcat", "title": "DCAT RDF", "description":
         "A DCAT(-AP) catalogue in Turtle, RDF/XML or JSON-LD, paged with Hydra",
         "frequencies": list(FREQUENCIES)},
    ]  # fmt: skip
