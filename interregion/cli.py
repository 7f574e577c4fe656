"""``delta node serve|provision``, ``delta audit verify``, ``delta demo accounts|totp``.

stdout carries only each command's result; problems go to stderr with a
non-zero exit code.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from delta.settings import Settings, load_settings
from standards.regions import DELTA_PROVINCES

node_app = typer.Typer(help="Region nodes of the interchange.", no_args_is_help=True)
audit_app = typer.Typer(help="Region nodes' audit logs.", no_args_is_help=True)

RegionOption = Annotated[
    str,
    typer.Option("--region", metavar="CODE", help="Region code: 310000, 320000, 330000 or 340000."),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _check_region(region: str) -> str:
    if region not in DELTA_PROVINCES:
        raise _fail(f"unknown region {region!r}; one of {', '.join(DELTA_PROVINCES)}")
    return region


def _provision_for(settings: Settings, region: str, port: int | None) -> int:
    """Outside production, do the demo authority's job; returns the port to listen on."""
    from interregion.clock import utcnow
    from interregion.federation.members import base_url, demo_base_urls
    from interregion.federation.provisioning import current_base_urls, provision

    urls = current_base_urls(settings.home_dir) or demo_base_urls(
        settings.node_host, settings.node_base_port
    )
    if port is not None:
        urls[region] = base_url(settings.node_host, port)
    if settings.env != "production":
        provision(settings.home_dir, base_urls=urls, now=utcnow())
    return port if port is not None else int(urls[region].rsplit(":", 1)[1])


@node_app.command("serve")
def node_serve(
    region: RegionOption,
    port: Annotated[
        int | None,
        typer.Option("--port", metavar="PORT", help="Port to listen on (default: the registry's)."),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", metavar="HOST", help="Address to listen on (default: DELTA_NODE_HOST)."
        ),
    ] = None,
) -> None:
    """Serve one region node (migrating its database and creating demo keys/data first)."""
    import uvicorn

    from interregion.app import create_node_app
    from interregion.node import NodeConfigurationError

    _check_region(region)
    settings = load_settings()
    settings.ensure_home()
    listen = _provision_for(settings, region, port)
    try:
        app = create_node_app(settings, region)
    except NodeConfigurationError as error:
        raise _fail(str(error)) from None
    uvicorn.run(
        app,
        host=host or settings.node_host,
        port=listen,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


@node_app.command("provision")
def node_provision(
    base_port: Annotated[
        int,
        typer.Option(
            "--base-port", metavar="PORT", help="The portal's port; nodes on PORT+1..PORT+4."
        ),
    ] = 8000,
) -> None:
    """Create keys, write members.json for nodes on base-port+1..+4, sign the registry."""
    from interregion.clock import utcnow
    from interregion.federation.members import demo_base_urls
    from interregion.federation.provisioning import provision

    settings = load_settings()
    if settings.env == "production":
        raise _fail("the demo authority does not run in production")
    done = provision(
        settings.ensure_home(),
        base_urls=demo_base_urls(settings.node_host, base_port),
        now=utcnow(),
    )
    typer.echo(
        json.dumps({"serial": done.serial, "signed": done.signed_now, "created": done.created})
    )


@audit_app.command("verify")
def audit_verify(region: RegionOption) -> None:
    """Check a node's audit chain; exit 1 naming the first bad record."""
    from sqlalchemy import select

    from delta.db import make_engine
    from interregion.audit.models import AuditRecord
    from interregion.audit.service import read_head, verify_chain
    from interregion.audit.trust import region_audit_trust
    from interregion.db import node_database_url
    from interregion.node import node_folder

    _check_region(region)
    settings = load_settings()
    folder = node_folder(settings, region)
    if not folder.exists():
        raise _fail(
            f"node {region} has never run under {settings.home_dir}: start it once with "
            f"`delta node serve --region {region}`, or set DELTA_HOME to where it runs"
        )
    try:
        head = read_head(folder / "audit.head")
    except (ValueError, KeyError, TypeError):
        raise _fail("the audit head file (audit.head) is unreadable: it was changed") from None
    url = node_database_url(shared_url=settings.database_url, node_dir=folder, region_code=region)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(AuditRecord.__table__).order_by(AuditRecord.seq))
            records = (AuditRecord(**row._mapping) for row in rows)
            report = verify_chain(
                records,
                trust=region_audit_trust(settings.home_dir, region),
                issuer=region,
                head=head,
            )
    finally:
        engine.dispose()
    typer.echo(json.dumps({"region": region, **report.as_dict()}, ensure_ascii=False))
    if not report.ok:
        raise _fail(f"audit record {report.first_bad}: {report.problem}")


def demo_accounts(region: RegionOption) -> None:
    """Print the region's demo accounts as JSON (username, password, name, kind, TOTP secret)."""
    from interregion.identity.demo_people import account_listing

    _check_region(region)
    typer.echo(json.dumps(account_listing(region), ensure_ascii=False, indent=2))


def demo_totp(
    username: Annotated[
        str, typer.Argument(metavar="USERNAME", help="A demo account, e.g. hu-resident.")
    ],
) -> None:
    """Print the current TOTP code of a demo account (development only)."""
    import pyotp

    from interregion.identity.demo_people import REGION_PREFIXES, demo_people

    if load_settings().env == "production":
        raise _fail("demo accounts do not exist in production")
    people = {p.username: p for code in REGION_PREFIXES for p in demo_people(code)}
    person = people.get(username)
    if person is None or not person.totp_secret:
        raise _fail(f"{username!r} is not a demo account with a TOTP secret")
    typer.echo(pyotp.TOTP(person.totp_secret).now())


def _group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """The root's existing group of that name (the portal owns ``demo``), or a new one."""
    for info in app.registered_groups:
        if info.name == name and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(group, name=name)
    return group


def register(app: typer.Typer) -> None:
    app.add_typer(node_app, name="node")
    app.add_typer(audit_app, name="audit")
    demo = _group(app, "demo", "The demo catalog and servers.")
    demo.command("accounts")(demo_accounts)
    demo.command("totp")(demo_totp)
