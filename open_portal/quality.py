"""``delta quality``: the organisations' on-time update rates, and checking links.

stdout carries results as JSON lines; progress goes to stderr.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

quality_app = typer.Typer(help="Metadata quality and timeliness.", no_args_is_help=True)


def _portal():  # type: ignore[no-untyped-def]
    from open_portal.cli import _portal as open_portal

    return open_portal()


@quality_app.command("report")
def report(
    org: Annotated[
        str | None, typer.Option("--org", help="Only this organisation", metavar="ORG")
    ] = None,
    window_days: Annotated[
        int, typer.Option("--window-days", help="Days looked back", metavar="DAYS", min=1)
    ] = 365,
) -> None:
    """Each organisation's on-time update rate (expected updates from the declared
    frequency vs actual), worst first, one JSON object per line."""
    from datasets import repository, timeliness
    from datasets.models import utcnow

    portal = _portal()
    try:
        with portal.sessions() as session:
            if org:
                found = repository.find_group(session, org, organization=True)
                if found is None:
                    typer.echo(f"error: no organisation {org!r}", err=True)
                    raise typer.Exit(code=1)
                rate = timeliness.organization_timeliness(
                    session, found.id, now=utcnow(), window_days=window_days
                )
                rows = [{"organization": found.name, "title": found.title, **rate}]
            else:
                rows = timeliness.report(session, now=utcnow(), window_days=window_days)
    finally:
        portal.close()
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False))


@quality_app.command("check-links")
def check_links() -> None:
    """Check every link resource's URL (HEAD, with a progress bar); prints the counts.
    Scores and the search index follow what changed."""
    from rich.progress import Progress

    from datasets import link_check
    from open_portal.cli import _stderr_console

    portal = _portal()
    try:
        with portal.sessions() as session:
            targets = link_check.link_targets(session)
        with Progress(console=_stderr_console(), transient=False) as bar:
            task = bar.add_task("checking links", total=len(targets))
            results = link_check.check(
                targets,
                timeout=portal.settings.quality_link_timeout_seconds,
                allow_private=portal.settings.quality_link_check_private,
                progress=lambda n: bar.update(task, completed=n),
            )
        with portal.unit_of_work() as unit:
            unit.changed_packages.update(link_check.store(unit.session, results))
    finally:
        portal.close()
    counts = {
        "checked": sum(r.ok is not None for r in results),
        "reachable": sum(r.ok is True for r in results),
        "unreachable": sum(r.ok is False for r in results),
        "skipped": sum(r.ok is None for r in results),
    }
    typer.echo(json.dumps(counts))
