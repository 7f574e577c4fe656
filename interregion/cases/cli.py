"""``delta matter list``, ``delta staff create|list|disable|token``, ``delta case outbox|export``,
``delta demo staff|cases``. JSON on stdout; problems on stderr with a non-zero exit code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from delta.settings import load_settings
from standards.regions import DELTA_PROVINCES

if TYPE_CHECKING:
    from interregion.node import Node

matter_app = typer.Typer(
    help="The signed matter catalogues (事项目录) of the regions.", no_args_is_help=True
)
staff_app = typer.Typer(
    help="Window and department staff accounts of a node.", no_args_is_help=True
)
case_app = typer.Typer(help="Cross-region window cases of a node.", no_args_is_help=True)

RegionOption = Annotated[
    str,
    typer.Option("--region", metavar="CODE", help="Region code: 310000, 320000, 330000 or 340000."),
]
UsernameOption = Annotated[
    str, typer.Option("--username", metavar="NAME", help="The staff account's username.")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _region(region: str) -> str:
    if region not in DELTA_PROVINCES:
        raise _fail(f"unknown region {region!r}; one of {', '.join(DELTA_PROVINCES)}")
    return region


def _print(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


@contextmanager
def _node(region: str) -> Iterator[Node]:
    from interregion.node import Node, NodeConfigurationError

    settings = load_settings()
    settings.ensure_home()
    try:
        node = Node.open(settings, _region(region), refresh=False)
    except NodeConfigurationError as error:
        raise _fail(str(error)) from None
    try:
        yield node
    finally:
        node.close()


# --- matters ------------------------------------------------------------------------------------


@matter_app.command("list")
def matter_list(region: RegionOption) -> None:
    """Print the region's matters as JSON: code, names, department, materials, time limit."""
    from interregion.cases.catalogue import matters_of

    _print([matter.as_json() for matter in matters_of(_region(region))])


# --- staff --------------------------------------------------------------------------------------


@staff_app.command("create")
def staff_create(  # noqa: PLR0917  (typer passes every option by position)
    region: RegionOption,
    username: UsernameOption,
    role: Annotated[
        str, typer.Option("--role", metavar="ROLE", help="clerk, reviewer or supervisor.")
    ],
    window: Annotated[
        str,
        typer.Option(
            "--window",
            metavar="UNIT",
            help="Window code (clerks, e.g. 310104-ZC01) or department code (reviewers, e.g. "
            "320000-GJJ); supervisors: any unit of the region.",
        ),
    ],
    display_name: Annotated[
        str, typer.Option("--name", metavar="TEXT", help="Name shown on pages.")
    ] = "",
    password: Annotated[
        str | None,
        typer.Option(
            "--password", metavar="TEXT", help="At least 12 characters; default: a random one."
        ),
    ] = None,
) -> None:
    """Create a staff account; prints it with its password and TOTP secret (shown once)."""
    from interregion.staff import service
    from interregion.staff.service import StaffError

    with _node(region) as node:
        try:
            with node.transaction() as session:
                created = service.create(
                    session,
                    region=region,
                    username=username,
                    role=role,
                    window=window,
                    display_name=display_name,
                    password=password,
                )
                body = created.as_json(region=region)
        except StaffError as error:
            raise _fail(str(error)) from None
        node.audit.append(
            event="staff.created",
            actor="cli",
            detail={"username": username, "role": role, "window": window},
        )
    _print(body)


@staff_app.command("list")
def staff_list(region: RegionOption) -> None:
    """Print the node's staff accounts as JSON (no secrets)."""
    from interregion.staff import service

    with _node(region) as node, node.transaction() as session:
        rows = [service.describe(a) for a in service.listing(session)]
    _print(rows)


@staff_app.command("disable")
def staff_disable(region: RegionOption, username: UsernameOption) -> None:
    """Disable an account: no more logins; its sessions and API tokens stop working."""
    from interregion.clock import utcnow
    from interregion.staff import service
    from interregion.staff.service import StaffError

    with _node(region) as node:
        try:
            with node.transaction() as session:
                account = service.disable(session, username=username, now=utcnow())
                body = service.describe(account)
        except StaffError as error:
            raise _fail(str(error)) from None
        node.audit.append(event="staff.disabled", actor="cli", detail={"username": username})
    _print(body)


@staff_app.command("token")
def staff_token(
    region: RegionOption,
    username: UsernameOption,
    label: Annotated[
        str, typer.Option("--label", metavar="TEXT", help="What the token is for.")
    ] = "api",
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            metavar="N",
            min=1,
            max=3650,
            help="Lifetime (default DELTA_CASE_STAFF_TOKEN_DAYS).",
        ),
    ] = None,
) -> None:
    """Create an API token for the staff JSON API (Authorization: Bearer …); shown once."""
    from interregion.clock import utcnow
    from interregion.staff import service
    from interregion.staff.service import StaffError

    with _node(region) as node:
        lifetime = timedelta(days=days or node.settings.case_staff_token_days)
        try:
            with node.transaction() as session:
                account = service.find(session, username)
                if account is None:
                    raise StaffError(f"no staff account {username!r}")
                token, row = service.issue_token(
                    session, account=account, label=label, lifetime=lifetime, now=utcnow()
                )
                expires = row.expires_at.isoformat()
        except StaffError as error:
            raise _fail(str(error)) from None
        node.audit.append(
            event="staff.token-created", actor="cli", detail={"username": username, "label": label}
        )
    _print({"username": username, "token": token, "expires_at": expires})


# --- cases --------------------------------------------------------------------------------------


@case_app.command("outbox")
def case_outbox(
    region: RegionOption,
    stuck: Annotated[
        bool,
        typer.Option(
            "--stuck", metavar=" ", help="Only messages older than DELTA_CASE_STUCK_AFTER_SECONDS."
        ),
    ] = False,
) -> None:
    """Print the node's undelivered case messages as JSON (stuck ones flagged)."""
    from interregion.cases import outbox
    from interregion.clock import utcnow

    with _node(region) as node, node.transaction() as session:
        now = utcnow()
        after = timedelta(seconds=node.settings.case_stuck_after_seconds)
        rows = outbox.undelivered(session, now=now, stuck_after=after, only_stuck=stuck)
        totals = outbox.counts(session, now=now, stuck_after=after)
    _print({"region": region, **totals, "messages": [r.as_json() for r in rows]})


@case_app.command("export")
def case_export(
    region: RegionOption,
    month: Annotated[str, typer.Option("--month", metavar="YYYY-MM", help="The month to export.")],
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the CSV and datapackage.json.")
    ],
) -> None:
    """Write one month's statistics of cases decided here as an open-data package."""
    from interregion.cases import statistics
    from interregion.clock import utcnow

    if not statistics.is_month(month):
        raise _fail("the month is YYYY-MM")
    with _node(region) as node, node.transaction() as session:
        body = statistics.monthly_csv(session, month=month, now=utcnow())
    out.mkdir(parents=True, exist_ok=True)
    name = f"window-cases-{region}-{month}.csv"
    (out / name).write_text(body, encoding="utf-8")
    package = statistics.datapackage(region=region, month=month, path=name)
    (out / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    _print(
        {
            "csv": str(out / name),
            "datapackage": str(out / "datapackage.json"),
            "rows": body.count("\n") - 1,
        }
    )


# --- demo ---------------------------------------------------------------------------------------


def demo_staff(region: RegionOption) -> None:
    """Print the region's demo staff as JSON (username, password, role, window, TOTP secret)."""
    from interregion.staff.demo import demo_staff as listing

    if load_settings().env == "production":
        raise _fail("demo staff do not exist in production")
    _print([person.as_json() for person in listing(_region(region))])


def demo_cases(
    region: RegionOption,
    count: Annotated[
        int, typer.Option("--count", metavar="N", min=1, max=100_000, help="How many cases.")
    ] = 4,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="CODE", help="Deciding region (default: the next one)."),
    ] = None,
) -> None:
    """Take in demo cases at the region's first window (demo applicants, demo scans)."""
    from interregion.cases.demo import create_demo_cases

    if load_settings().env == "production":
        raise _fail("demo cases are never made in production")
    with _node(region) as node:
        numbers = create_demo_cases(node, count=count, deciding=to)
    _print({"region": region, "created": len(numbers), "cases": numbers[:20]})


def register(app: typer.Typer, demo: typer.Typer) -> None:
    app.add_typer(matter_app, name="matter")
    app.add_typer(staff_app, name="staff")
    app.add_typer(case_app, name="case")
    demo.command("staff")(demo_staff)
    demo.command("cases")(demo_cases)
