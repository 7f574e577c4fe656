"""``delta harvest``: sources, running them (with a progress bar) and their jobs.

stdout carries results as JSON (one object per line); progress and errors go
to stderr; a failed job exits non-zero.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from delta.errors import DomainError

harvest_app = typer.Typer(
    help="Harvest other catalogues (CKAN sites and DCAT sources).", no_args_is_help=True
)
source_app = typer.Typer(help="Harvest sources.", no_args_is_help=True)
harvest_app.add_typer(source_app, name="source")


def _portal():  # type: ignore[no-untyped-def]
    from open_portal.cli import _portal as open_portal

    return open_portal()


def _sysadmin():  # type: ignore[no-untyped-def]
    """The command line runs with the server's own rights."""
    from datasets.policy import Principal

    return Principal(user_id=None, name="cli", sysadmin=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _explain(exc: DomainError) -> str:
    from open_portal.cli import _explain as explain

    return explain(exc)


def _print(value: dict[str, Any]) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False))


@source_app.command("add")
def source_add(
    name: Annotated[str, typer.Argument(help="A short name for the source", metavar="NAME")],
    *,
    url: Annotated[
        str,
        typer.Option(
            "--url", help="The CKAN site, or the DCAT document's URL or file path", metavar="URL"
        ),
    ],
    source_type: Annotated[
        str, typer.Option("--type", help="ckan or dcat", metavar="TYPE")
    ] = "ckan",
    org: Annotated[
        str,
        typer.Option(
            "--org", help="Our organisation its datasets belong to unless mapped", metavar="ORG"
        ),
    ] = "",
    title: Annotated[str, typer.Option("--title", help="A title", metavar="TITLE")] = "",
    frequency: Annotated[
        str,
        typer.Option(
            "--frequency",
            help="MANUAL, ALWAYS, HOURLY, DAILY, WEEKLY, BIWEEKLY or MONTHLY",
            metavar="FREQUENCY",
        ),
    ] = "MANUAL",
    config: Annotated[
        str,
        typer.Option(
            "--config",
            help='JSON: {"organizations": {"remote": "ours"}, "rows": 100, "rdf_format": "turtle"}',
            metavar="JSON",
        ),
    ] = "",
) -> None:
    """Add a harvest source; prints it."""
    from datasets.harvest import sources

    portal = _portal()
    data = {
        "name": name,
        "url": url,
        "source_type": source_type,
        "owner_org": org,
        "title": title,
        "frequency": frequency,
        "config": config,
    }
    try:
        with portal.unit_of_work() as unit:
            created = sources.create_source(
                unit.session, actor=_sysadmin(), data=data, allow_files=True
            )
            result = sources.source_dict(unit.session, created)
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    finally:
        portal.close()
    _print(result)


@source_app.command("list")
def source_list() -> None:
    """List the active harvest sources, one JSON object per line."""
    from datasets.harvest import sources

    portal = _portal()
    try:
        with portal.unit_of_work() as unit:
            found = [
                sources.source_dict(unit.session, item)
                for item in sources.list_sources(unit.session)
            ]
    finally:
        portal.close()
    for item in found:
        _print(item)


@source_app.command("remove")
def source_remove(
    name: Annotated[str, typer.Argument(help="The source's name or id", metavar="SOURCE")],
) -> None:
    """Retire a harvest source (its datasets stay, with their provenance)."""
    from datasets.harvest import sources

    portal = _portal()
    try:
        with portal.unit_of_work() as unit:
            removed = sources.delete_source(unit.session, actor=_sysadmin(), ref=name)
            result = {"id": removed.id, "name": removed.name, "state": removed.state}
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    finally:
        portal.close()
    _print(result)


@harvest_app.command("run")
def run(
    source: Annotated[
        str | None,
        typer.Argument(help="The source to run (default: every active source)", metavar="[SOURCE]"),
    ] = None,
) -> None:
    """Harvest now, with a progress bar; prints each job's result."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from datasets.harvest import jobs, sources
    from open_portal.cli import _stderr_console
    from open_portal.harvest.runtime import harvest_env

    portal = _portal()
    failed = False
    try:
        env = harvest_env(portal)
        with portal.unit_of_work() as unit:
            chosen = (
                [sources.find_source(unit.session, source)]
                if source
                else sources.list_sources(unit.session)
            )
            opened = []
            for item in chosen:
                try:
                    job = jobs.open_job(unit.session, item, claim=True)
                    opened.append((item.name, job.id))
                except DomainError as exc:
                    raise _fail(f"{item.name}: {_explain(exc)}") from None
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=_stderr_console(), transient=False) as bar:
            for name, job_id in opened:
                task = bar.add_task(f"{name}: gather", total=None)

                def show(
                    stage: str, done: int, total: int | None, task: Any = task, name: str = name
                ) -> None:
                    bar.update(task, description=f"{name}: {stage}", completed=done, total=total)

                job = jobs.run_job(env, job_id, show, claimed=True)
                failed = failed or job.status != "Finished"
                _print({"source": name, **jobs.job_dict(job)})
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    finally:
        portal.close()
    if failed:
        raise typer.Exit(code=1)


@harvest_app.command("jobs")
def job_list(
    source: Annotated[
        str | None,
        typer.Argument(help="Only this source's jobs", metavar="[SOURCE]"),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="How many, newest first", metavar="N", min=1)
    ] = 20,
) -> None:
    """List harvest jobs, newest first, one JSON object per line."""
    from sqlalchemy import select

    from datasets.harvest import jobs, sources
    from datasets.harvest.models import HarvestJob

    portal = _portal()
    try:
        with portal.unit_of_work() as unit:
            stmt = select(HarvestJob).order_by(HarvestJob.created.desc()).limit(limit)
            if source:
                found = sources.find_source(unit.session, source, include_deleted=True)
                stmt = stmt.where(HarvestJob.source_id == found.id)
            rows = [jobs.job_dict(job) for job in unit.session.scalars(stmt)]
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    finally:
        portal.close()
    for row in rows:
        _print(row)
