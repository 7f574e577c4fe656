"""Portal commands: db, serve, user, token, demo, search.

stdout carries only each command's result, so scripts can use it; progress
and problems go to stderr, and failures exit non-zero.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Annotated, Any

import typer

from delta import migrations
from delta.errors import DomainError, ValidationFailed
from delta.settings import SITE_URL_VARIABLE, is_wildcard_host, load_settings, serve_site_url

db_app = typer.Typer(help="The portal database.", no_args_is_help=True)
user_app = typer.Typer(help="Portal users.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo catalog and servers.", no_args_is_help=True)
search_app = typer.Typer(help="The catalog search index.", no_args_is_help=True)


Username = Annotated[str, typer.Argument(metavar="USERNAME", help="The user's login name.")]
# What makes a portal database where there is none (named in "no database" errors).
CREATE_WITH = "delta db upgrade"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _explain(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join(
            f"{field}: {', '.join(map(str, msgs))}" for field, msgs in exc.errors.items()
        )
    return str(exc) or exc.__class__.__name__


def _portal(*, create: bool = False, **open_options: Any):  # type: ignore[no-untyped-def]
    """The portal on its database; only commands that set up (``create``) make a new one."""
    from open_portal.runtime import Portal

    settings = load_settings()
    if create:
        settings.ensure_home()
        migrations.upgrade(settings.portal_database_url, package="open_portal")
    else:
        migrations.upgrade_existing(
            settings.portal_database_url, package="open_portal", create_with=CREATE_WITH
        )
    return Portal.open(settings, **open_options)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the portal database to the newest schema (idempotent)."""
    settings = load_settings()
    settings.ensure_home()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    typer.echo("ok")


@user_app.command("create")
def user_create(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Login name: 2-100 of a-z, 0-9, - and _.")
    ],
    email: Annotated[
        str, typer.Option("--email", metavar="ADDRESS", help="The user's e-mail address.")
    ],
    password: Annotated[
        str, typer.Option("--password", metavar="PASSWORD", help="The user's password.")
    ],
    sysadmin: Annotated[
        bool, typer.Option("--sysadmin", help="Make the user a sysadmin (may do everything).")
    ] = False,
    fullname: Annotated[
        str, typer.Option("--fullname", metavar="NAME", help="Display name, e.g. 张明.")
    ] = "",
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
    username: Username,
    name: Annotated[
        str,
        typer.Option(
            "--name", metavar="LABEL", help="A label that tells this token from the user's others."
        ),
    ],
    expires_days: Annotated[
        int | None,
        typer.Option(
            "--expires-days", min=1, metavar="DAYS", help="Expire after DAYS (default: never)."
        ),
    ] = None,
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
def token_revoke(
    username: Username,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="LABEL", help="Only the tokens with this label."),
    ] = None,
) -> None:
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
def token_list(username: Username) -> None:
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
    admin_password: Annotated[
        str | None,
        typer.Option(
            "--admin-password",
            metavar="PASSWORD",
            help="Password of the demo sysadmin `admin` (needed outside development).",
        ),
    ] = None,
) -> None:
    """Load the theme groups and the bundled sample catalog (idempotent); prints counts."""
    from open_portal import demo

    portal = _portal(create=True)
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
    host: Annotated[
        str, typer.Option("--host", metavar="HOST", help="Address the portal and nodes listen on.")
    ] = "127.0.0.1",
    base_port: Annotated[
        int,
        typer.Option(
            "--base-port", metavar="PORT", help="The portal on PORT, the nodes on PORT+1..PORT+4."
        ),
    ] = 8000,
) -> None:
    """Start the portal on the base port and the four region nodes on the next four ports."""
    from delta import metrics_dir

    # Before anything imports the metrics (the demo module does): files from the start.
    metrics_path = metrics_dir.prepare()
    try:
        _demo_serve(host, base_port)
    finally:
        metrics_dir.remove(metrics_path)


def _demo_serve(host: str, base_port: int) -> None:
    from interregion.launcher import RegionNodes
    from open_portal import demo

    busy = _busy_ports(host, range(base_port, base_port + 5))
    if busy:
        raise _fail(
            f"port {', '.join(map(str, busy))} on {host} is in use; the portal needs"
            f" {base_port} and the nodes {base_port + 1}..{base_port + 4}:"
            " stop what holds it or choose another --base-port"
        )
    site_url = _site_url(host, base_port)
    portal = _portal(create=True)
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
        nodes.seed_demo_cases(settings)
        url = site_url.rstrip("/")
        typer.echo(f"Portal:          {url}/")
        typer.echo(f"CKAN Action API: {url}/api/3/action/package_search")
        typer.echo(f"Demo admin:      {demo.DEMO_ADMIN} (password {demo.DEMO_ADMIN_PASSWORD})")
        typer.echo(f"Admin API token: {token}")
        for code, node_url in nodes.urls.items():
            typer.echo(f"Node {code}:     {node_url}/  (service {node_url}/service)")
        typer.echo("Demo accounts:   delta demo accounts --region CODE")
        typer.echo("Demo staff:      delta demo staff --region CODE  (window cases: /cases)")
        sys.stdout.flush()
        _run_portal(host, base_port, grace_seconds=settings.shutdown_grace_seconds)
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
    host: Annotated[
        str,
        typer.Option(
            "--host", metavar="HOST", help="Address to listen on (0.0.0.0: every interface)."
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port", metavar="PORT", help="Port to listen on; links follow unless DELTA_SITE_URL."
        ),
    ] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            metavar="N",
            help="Worker processes to run; /metrics adds up the counts of all of them.",
        ),
    ] = 1,
) -> None:
    """Serve the portal (migrating the database first).

    On SIGTERM it stops accepting connections and lets the requests in flight
    finish (up to DELTA_SHUTDOWN_GRACE_SECONDS) before it exits.
    """
    from delta import metrics_dir

    _site_url(host, port)
    settings = load_settings()
    settings.ensure_home()
    migrations.upgrade(settings.portal_database_url, package="open_portal")
    metrics_path = metrics_dir.prepare()
    try:
        _run_portal(host, port, workers=workers, grace_seconds=settings.shutdown_grace_seconds)
    finally:
        metrics_dir.remove(metrics_path)


def _site_url(host: str, port: int) -> str:
    """Where links point: DELTA_SITE_URL, or else the address we listen on."""
    derived = not os.environ.get(SITE_URL_VARIABLE, "").strip()
    url = serve_site_url(host, port)
    if derived and is_wildcard_host(host):
        typer.echo(
            f"note: DELTA_SITE_URL is not set, so links point at {url}; set it to the"
            " address users reach this server on",
            err=True,
        )
    return url


def _run_portal(host: str, port: int, *, workers: int = 1, grace_seconds: float) -> None:
    from delta import serving

    serving.run(
        "open_portal.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        grace_seconds=grace_seconds,
    )


@search_app.command("reindex")
def search_reindex() -> None:
    """Rebuild the search index from the database, with a progress bar; prints the count."""
    from rich.progress import Progress
    from sqlalchemy import func, select

    from datasets.models import Package

    # An index of another catalogue is what this command replaces: open it, fill it below.
    portal = _portal(search_foreign="rebuild", rebuild_search=False)
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
