"""``delta licence types|issue|list|show|suspend|resume|revoke|reissue|token|verify-credential``
and ``delta demo licences``. JSON on stdout; problems on stderr with a non-zero exit code."""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from delta.settings import load_settings

licence_app = typer.Typer(help="The region nodes' e-licence libraries.", no_args_is_help=True)

Region = Annotated[
    str,
    typer.Option("--region", metavar="CODE", help="Region code: 310000, 320000, 330000 or 340000."),
]
Identifier = Annotated[
    str, typer.Argument(metavar="IDENTIFIER", help="The licence identifier (1.2.156.3005.2.…).")
]
Reason = Annotated[
    str,
    typer.Option(
        "--reason", metavar="TEXT", help="Why (kept with the licence and in the audit log)."
    ),
]


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=code)


def _node(region: str) -> Any:
    from interregion.cli import _check_region, _provision_for
    from interregion.node import Node, NodeConfigurationError

    _check_region(region)
    settings = load_settings()
    settings.ensure_home()
    _provision_for(settings, region, None)
    try:
        return Node.open(settings, region, refresh=False)
    except NodeConfigurationError as error:
        raise _fail(str(error)) from None


def _run(region: str, action: Any) -> None:
    from interregion.licences.service import LicenceError

    node = _node(region)
    try:
        _echo(action(node))
    except LicenceError as error:
        problem = {
            "reason": error.reason,
            "message": error.message,
            **({"errors": error.errors} if error.errors else {}),
        }
        typer.echo(json.dumps(problem, ensure_ascii=False), err=True)
        raise _fail(f"{error.reason}: {error.message}") from None
    finally:
        node.close()


@licence_app.command("types")
def types() -> None:
    """The licence types (code, holder kind, face-data fields, validity) and usage scenarios."""
    from standards.licence_types import LICENCE_TYPES, SCENARIOS

    _echo(
        {
            "types": [t.as_json() for t in LICENCE_TYPES],
            "scenarios": [
                {"code": s.code, "name": s.name, "name_en": s.name_en} for s in SCENARIOS
            ],
        }
    )


@licence_app.command("issue")
def issue(  # noqa: PLR0917  (typer passes options positionally)
    region: Region,
    type_code: Annotated[
        str,
        typer.Option(
            "--type", metavar="TYPE", help="Type code or slug (see `delta licence types`)."
        ),
    ],
    holder_name: Annotated[
        str, typer.Option("--holder-name", metavar="NAME", help="The holder's name.")
    ],
    holder_code: Annotated[
        str,
        typer.Option(
            "--holder-code", metavar="ID|USCC", help="Citizen ID (person) or USCC (company)."
        ),
    ],
    face: Annotated[
        str, typer.Option("--face", metavar="JSON", help="Face data as a JSON object.")
    ] = "{}",
    department: Annotated[
        str | None,
        typer.Option(
            "--department",
            metavar="USCC",
            help="Issuing department; default: the one issuing this type.",
        ),
    ] = None,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", metavar="YYYY-MM-DD", help="Default: today.")
    ] = None,
    valid_until: Annotated[
        str | None,
        typer.Option("--valid-until", metavar="YYYY-MM-DD", help="Default: the type's validity."),
    ] = None,
) -> None:
    """Issue a licence: signed as a VC-JWT by the node, audited. Prints the licence."""
    from interregion.licences import changes
    from interregion.licences.demo import issuer_for
    from standards.licence_types import get_type

    try:
        face_data = json.loads(face)
        start = date.fromisoformat(valid_from) if valid_from else None
        until = date.fromisoformat(valid_until) if valid_until else None
    except ValueError as error:
        raise _fail(f"bad option: {error}", 2) from None
    licence_type = get_type(type_code)
    if licence_type is None:
        raise _fail(f"unknown licence type {type_code!r}", 2)

    def action(node: Any) -> Any:
        uscc = department
        if uscc is None:
            with node.transaction() as session:
                uscc = issuer_for(session, licence_type).uscc
        return changes.issue(
            node, actor="cli", department_uscc=uscc, type_code=licence_type.code,
            holder_name=holder_name, holder_code=holder_code, face_data=face_data,
            valid_from=start, valid_until=until,
        )  # fmt: skip

    _run(region, action)


@licence_app.command("list")
def list_(
    region: Region,
    holder: Annotated[
        str | None, typer.Option("--holder", metavar="ID|USCC", help="Only this holder's licences.")
    ] = None,
    type_code: Annotated[
        str | None, typer.Option("--type", metavar="TYPE", help="Only this type (code).")
    ] = None,
) -> None:
    """The region's licences (summaries: holder codes masked, no face data)."""
    from interregion.clock import utcnow
    from interregion.licences import service

    def action(node: Any) -> Any:
        with node.transaction() as session:
            rows = service.listing(session, holder_code=holder, type_code=type_code, limit=10_000)
            return [service.summary(row, now=utcnow()) for row in rows]

    _run(region, action)


@licence_app.command("show")
def show(region: Region, identifier: Identifier) -> None:
    """One licence in full, with the signed credential as "credential"."""
    from interregion.clock import utcnow
    from interregion.licences import service

    def action(node: Any) -> Any:
        with node.transaction() as session:
            return service.detail(service.find(session, identifier), now=utcnow())

    _run(region, action)


def _status_command(action_name: str) -> Any:
    def command(region: Region, identifier: Identifier, reason: Reason = "") -> None:
        from interregion.licences import changes

        _run(
            region,
            lambda node: changes.set_status(
                node, identifier=identifier, action=action_name, reason=reason, actor="cli"
            ),
        )

    command.__doc__ = {
        "suspend": "Suspend a valid licence (reversible; seen at once by live checks).",
        "resume": "Resume a suspended licence.",
        "revoke": "Revoke a licence (final).",
    }[action_name]
    return command


for _name in ("suspend", "resume", "revoke"):
    licence_app.command(_name)(_status_command(_name))


@licence_app.command("reissue")
def reissue(region: Region, identifier: Identifier) -> None:
    """Re-issue a licence as a new version; the old version is revoked as superseded."""
    from interregion.licences import changes

    _run(region, lambda node: changes.reissue(node, identifier=identifier, actor="cli"))


@licence_app.command("token")
def token(
    region: Region,
    departments: Annotated[
        list[str],
        typer.Option(
            "--department", metavar="USCC", help="An issuing department (repeat for several)."
        ),
    ],
) -> None:
    """New API tokens for departments of the region (shown once; old ones stop working)."""
    from interregion.licences import service

    def action(node: Any) -> Any:
        with node.transaction() as session:
            tokens = {uscc: service.new_department_token(session, uscc) for uscc in departments}
        for uscc in tokens:
            node.audit.append(
                event="licence.token-issued", actor="cli", detail={"department": uscc}
            )
        return [{"department": uscc, "token": value} for uscc, value in tokens.items()]

    _run(region, action)


@licence_app.command("verify-credential")
def verify_credential(
    region: Region,
    source: Annotated[
        str, typer.Argument(metavar="FILE|-", help="The credential (VC-JWT); '-' reads stdin.")
    ],
) -> None:
    """Node CODE's offline check: the registry's key for the issuer, then the status lists
    (cached per TTL under the node's folder). Exits 1 when not genuine or not checkable."""
    from interregion.cli import _check_region
    from interregion.clock import utcnow
    from interregion.exchange import ExchangeRefused
    from interregion.federation.client import open_registry_client
    from interregion.licences.verifier import StatusListCache, http_fetch
    from interregion.licences.verifier import verify_credential as check
    from interregion.node import node_folder

    _check_region(region)
    settings = load_settings()
    folder = node_folder(settings, region)
    text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8", errors="replace")
    client = open_registry_client(settings, cache_path=folder / "registry.jws")
    with contextlib.suppress(Exception):  # offline: the last good copy (if fresh) is enough
        client.refresh()
    cache = StatusListCache(
        http_fetch(),
        ttl=timedelta(seconds=settings.licence_status_ttl_seconds),
        grace=timedelta(seconds=settings.licence_status_grace_seconds),
        directory=folder / "status-lists",
    )
    try:
        checked = check(text.strip(), registry=client.registry(), trust=client,
                        status_lists=cache, now=utcnow())  # fmt: skip
    except ExchangeRefused as refusal:
        # Status-list problems come after the signature held: genuine, but not checkable now.
        genuine = refusal.reason.startswith("status-")
        _echo({"status": "unknown" if genuine else "not-genuine", "genuine": genuine,
               "reason": refusal.reason, "message": refusal.message})  # fmt: skip
        raise typer.Exit(code=1) from None
    except Exception as error:  # registry unusable, unreadable file
        raise _fail(f"cannot verify: {error}") from None
    _echo(checked.as_json())


def demo_licences(region: Region) -> None:
    """The demo people's licences as JSON (identifier, type, holder username, status)."""
    from interregion.clock import utcnow
    from interregion.licences.demo import demo_listing

    if load_settings().env == "production":
        raise _fail("demo licences do not exist in production")

    def action(node: Any) -> Any:
        with node.transaction() as session:
            return demo_listing(session, region_code=node.region_code, now=utcnow())

    _run(region, action)
