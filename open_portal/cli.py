"""Portal commands: db, serve, user, token, demo, search.

stdout carries only each command's result, so scripts can use it; progress
and problems go to stderr, and failures exit non-zero.
"""

from __future__ import annotations

import json
import socket
import sys
from typing import Annotated

import typer

from delta import migrations
from delta.errors import DomainError, ValidationFailed
from delta.settings import load_settings

db_app = typer.Typer(help="The portal database.", no_args_is_help=True)
user_app = typer.Typer(help="Portal users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo catalog and servers.", no_args_is_help=True)
search_app = typer.Typer(help="The catalog search index.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _explain(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(
            f"{field}: {', '.join(map(str, msgs))}" for field, msgs in exc.errors.items()
        )
    return str(exc) or exc.__class__.__name__


def _portal():  # type: ignore[no-untyped-def]
    from open_portal.runtime import Portal

    settings = load_settings()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    return Portal.open(settings)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the portal database to the newest schema (idempotent)."""
    settings = load_settings()
    settings.ensure_home()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    typer.echo("ok")


@user_app.command("create")
def user_create(
    name: str,
    email: Annotated[str, typer.Option("--email")],
    password: Annotated[str, typer.Option("--password")],
    sysadmin: Annotated[bool, typer.Option("--sysadmin")] = False,
    fullname: Annotated[str, typer.Option("--fullname")] = "",
) -> None:
    """Create a user; prints the new user's id."""
    from open_portal.accounts import service as accounts

    portal = _portal()
    try:
        with portal.unit_of_work() as unit:
            user = accounts.create_user(
                unit.session, name=name, email=email, password=password,
                sysadmin=sysadmin, fullname=fullname,
            )  # fmt: skip
            user_id = user.id
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    typer.echo(user_id)


@token_app.command("create")
def token_create(
    username: str,
    name: Annotated[str, typer.Option("--name")],
    expires_days: Annotated[int | None, typer.Option("--expires-days", min=1)] = None,
) -> None:
    """Create an API token; prints the token (shown only this once)."""
    from open_portal.accounts import service as accounts

    portal = _portal()
    try:
        with portal.unit_of_work() as unit:
            user = accounts.find_user(unit.session, username)
            if user is None:
                raise _fail(f"no user named {username!r}")
            _, token = accounts.create_token(
                unit.session, user=user, name=name, expires_in=accounts.parse_expiry(expires_days)
            )
    except DomainError as exc:
        raise _fail(_explain(exc)) from None
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(username: str, name: Annotated[str | None, typer.Option("--name")] = None) -> None:
    """Revoke a user's tokens (all, or those with --name); prints how many."""
    from open_portal.accounts import service as accounts

    portal = _portal()
    with portal.unit_of_work() as unit:
        user = accounts.find_user(unit.session, username)
        if user is None:
            raise _fail(f"no user named {username!r}")
        count = accounts.revoke_tokens(unit.session, user=user, name=name)
    typer.echo(count)


@token_app.command("list")
def token_list(username: str) -> None:
    """List a user's tokens as JSON lines (never the tokens themselves)."""
    from sqlalchemy import select

    from open_portal.accounts import service as accounts
    from open_portal.accounts.models import ApiToken

    portal = _portal()
    with portal.unit_of_work() as unit:
        user = accounts.find_user(unit.session, username)
        if user is None:
            raise _fail(f"no user named {username!r}")
        rows = unit.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
        for row in rows:
            typer.echo(json.dumps(accounts.token_summary(row)))


@demo_app.command("load")
def demo_load(
    admin_password: Annotated[str | None, typer.Option("--admin-password")] = None,
) -> None:
    """Load the theme groups and the bundled sample catalog (idempotent); prints counts."""
    from open_portal import demo

    portal = _portal()
    try:
        password = demo.admin_password(portal.settings, admin_password)
        report = demo.load(portal, password=password, progress=_progress_line("loading"))
    except (ValueError, DomainError) as exc:
        raise _fail(_explain(exc) if isinstance(exc, DomainError) else str(exc)) from None
    finally:
        portal.close()
    typer.echo(json.dumps(report.as_dict()))


@demo_app.command("serve")
def demo_serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    base_port: Annotated[int, typer.Option("--base-port")] = 8000,
) -> None:
    """Start the portal on the base port and the four region nodes on the next four ports."""
    from interregion.launcher import RegionNodes
    from open_portal import demo

    busy = _busy_ports(host, range(base_port, base_port + 5))
    if busy:
        raise _fail(
            f"port {', '.join(map(str, busy))} on {host} is in use; the portal needs"
            f" {base_port} and the nodes {base_port + 1}..{base_port + 4}:"
            " stop what holds it or choose another --base-port"
        )
    portal = _portal()
    try:
        _, first_start = demo.ensure_admin(
            portal, password=demo.admin_password(portal.settings, None)
        )
        if first_start or not demo.is_loaded(portal):
            report = demo.load(
                portal,
                password=demo.admin_password(portal.settings, None),
                progress=_progress_line("loading sample catalog"),
            )
            typer.echo(f"loaded {json.dumps(report.as_dict())}", err=True)
        token = demo.fresh_token(portal)
        settings = portal.settings
    finally:
        portal.close()
    nodes = RegionNodes(host=host, base_port=base_port)
    try:
        nodes.provision(settings)
        nodes.start()
        try:
            nodes.wait_until_up()
        except (RuntimeError, TimeoutError) as exc:
            raise _fail(f"region nodes: {exc}") from None
        nodes.keep_registry_fresh(settings)
        url = f"http://{host}:{base_port}"
        typer.echo(f"Portal:          {url}/")
        typer.echo(f"CKAN Action API: {url}/api/3/action/package_search")
        typer.echo(f"Demo admin:      {demo.DEMO_ADMIN} (password {demo.DEMO_ADMIN_PASSWORD})")
        typer.echo(f"Admin API token: {token}")
        for code, node_url in nodes.urls.items():
            typer.echo(f"Node {code}:     {node_url}/  (service {node_url}/service)")
        typer.echo("Demo accounts:   delta demo accounts --region CODE")
        sys.stdout.flush()
        _run_portal(host, base_port)
    finally:
        nodes.stop()


def _busy_ports(host: str, ports: range) -> list[int]:
    """The ports another process already listens on -- checked before anything starts,
    so a clash is one clear line instead of a node dying halfway through start-up."""
    busy = []
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                busy.append(port)
    return busy


def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1)] = 1,
) -> None:
    """Serve the portal (migrating the database first)."""
    settings = load_settings()
    settings.ensure_home()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    _run_portal(host, port, workers=workers)


def _run_portal(host: str, port: int, *, workers: int = 1) -> None:
    import uvicorn

    uvicorn.run(
        "open_portal.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database, with a progress bar; prints the count."""
    from rich.progress import Progress
    from sqlalchemy import func, select

    from datasets.models import Package

    portal = _portal()
    try:
        with portal.sessions() as session:
            total = session.scalar(select(func.count()).select_from(Package)) or 0
        with Progress(transient=False, console=_stderr_console()) as bar:
            task = bar.add_task("reindexing", total=total)
            count = portal.indexer.reindex(
                portal.sessions, progress=lambda n: bar.update(task, completed=n)
            )
    finally:
        portal.close()
    typer.echo(count)


def _stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)


def _progress_line(prefix: str):  # type: ignore[no-untyped-def]
    def report(item: str) -> None:
        typer.echo(f"{prefix}: {item}", err=True)

    return report


def register(app: typer.Typer) -> None:
    from open_portal.applications.cli import app as application_app
    from open_portal.harvest.cli import harvest_app
    from open_portal.quality import quality_app

    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(demo_app, name="demo")
    app.add_typer(search_app, name="search")
    app.add_typer(application_app, name="application")
    app.add_typer(harvest_app, name="harvest")
    app.add_typer(quality_app, name="quality")
    app.command("serve")(serve)
