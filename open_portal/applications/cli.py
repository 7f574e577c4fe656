"""``delta application ...``: the data-use application workflow for operators.

Every decision is made as a named reviewer (``--reviewer``), checked like the
API checks it (an admin or editor of the dataset's organisation, or a
sysadmin; never the applicant) and audited under that name. stdout carries
only the result: one JSON object, or JSON lines for ``list``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from datasets.policy import Principal
from delta import migrations
from delta.errors import DomainError, ValidationFailed
from delta.settings import load_settings

app = typer.Typer(help="Data-use applications for conditional datasets.", no_args_is_help=True)

Reviewer = Annotated[str, typer.Option("--reviewer", help="login name of the deciding user")]
Reason = Annotated[str | None, typer.Option("--reason")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _explain(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in exc.errors.items())
    return str(exc) or type(exc).__name__


def _run(work: Callable[[Any, Any], Any]) -> None:
    """Run ``work(unit, portal)`` in a unit of work and print its JSON result."""
    from open_portal.runtime import Portal

    settings = load_settings()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    portal = Portal.open(settings)
    try:
        with portal.unit_of_work() as unit:
            result = work(unit, portal)
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    finally:
        portal.close()
    if isinstance(result, list):
        for item in result:
            typer.echo(json.dumps(item, ensure_ascii=False))
    else:
        typer.echo(json.dumps(result, ensure_ascii=False))


def _reviewer(session: Any, name: str) -> Principal:
    from open_portal.accounts import service as accounts

    user = accounts.find_user(session, name)
    if user is None or user.state != "active":
        raise _fail(f"no active user named {name!r}")
    return accounts.principal_for(session, user)


@app.command("list")
def list_applications(
    state: Annotated[str | None, typer.Option("--state")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 1000,
) -> None:
    """List applications (all of them), newest first, as JSON lines."""
    from open_portal.applications import service

    def work(unit: Any, _: Any) -> list[dict[str, Any]]:
        operator = Principal(user_id="cli", name="cli", sysadmin=True)
        rows = service.listing(
            unit.session, actor=operator, package_ref=dataset, state=state, limit=limit
        )
        return [service.application_dict(unit.session, row) for row in rows]

    _run(work)


@app.command("show")
def show_application(application_id: str) -> None:
    """Show one application with its audit trail."""
    from open_portal.applications import service

    def work(unit: Any, _: Any) -> dict[str, Any]:
        operator = Principal(user_id="cli", name="cli", sysadmin=True)
        row = service.show(unit.session, actor=operator, application_id=application_id)
        return service.application_dict(unit.session, row, with_events=True)

    _run(work)


@app.command("approve")
def approve(
    application_id: str,
    reviewer: Reviewer,
    days: Annotated[int | None, typer.Option("--days", min=1)] = None,
    expires_at: Annotated[str | None, typer.Option("--expires-at")] = None,
    reason: Reason = None,
) -> None:
    """Approve a pending application; access lasts --days (default: the setting)."""
    _decide(application_id, reviewer, "approve", reason, days=days, expires_at=expires_at)


@app.command("reject")
def reject(
    application_id: str,
    reviewer: Reviewer,
    reason: Annotated[str, typer.Option("--reason")],
) -> None:
    """Reject a pending application, with a reason."""
    _decide(application_id, reviewer, "reject", reason)


@app.command("revoke")
def revoke(
    application_id: str,
    reviewer: Reviewer,
    reason: Annotated[str, typer.Option("--reason")],
) -> None:
    """Revoke an approved application's access, with a reason."""
    from open_portal.applications import service

    def work(unit: Any, _: Any) -> dict[str, Any]:
        actor = _reviewer(unit.session, reviewer)
        row = service.revoke(
            unit.session, actor=actor, application_id=application_id, reason=reason
        )
        return service.application_dict(unit.session, row, with_events=True)

    _run(work)


def _decide(
    application_id: str,
    reviewer: str,
    decision: str,
    reason: str | None,
    *,
    days: int | None = None,
    expires_at: str | None = None,
) -> None:
    from open_portal.applications import service

    def work(unit: Any, portal: Any) -> dict[str, Any]:
        actor = _reviewer(unit.session, reviewer)
        row = service.decide(
            unit.session,
            actor=actor,
            application_id=application_id,
            decision=decision,
            reason=reason,
            expires_at=service.parse_expiry(expires_at),
            grant_days=days,
            default_days=portal.settings.application_grant_days,
            max_days=portal.settings.application_max_grant_days,
        )
        return service.application_dict(unit.session, row, with_events=True)

    _run(work)
