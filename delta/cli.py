"""The ``delta`` command line: one root that mounts each product's commands.

Every command prints only its result on stdout (so scripts can use it) and
reports problems on stderr with a non-zero exit code.
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from pydantic import ValidationError

app = typer.Typer(
    name="delta",
    help="Delta Open Data Portal & Interchange",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


_mounted: list[bool] = []


def _mount() -> None:
    if _mounted:
        return
    _mounted.append(True)
    from open_portal.cli import register as register_portal

    register_portal(app)
    from signing.cli import register as register_signing

    register_signing(app)
    from interregion.cli import register as register_interregion

    register_interregion(app)


def command() -> Any:
    """The whole ``delta`` command tree as click runs it, with readable help."""
    from delta.cli_help import make_readable

    _mount()
    root = typer.main.get_command(app)
    make_readable(root)
    return root


def main(argv: list[str] | None = None) -> None:
    """The ``delta`` entry point (``argv``: the arguments, default ``sys.argv[1:]``)."""
    root = command()
    try:
        root.main(args=argv, prog_name="delta")
    except ValidationError as exc:
        # Settings come from the environment; say which one is wrong, without a traceback.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        typer.echo(f"error: invalid DELTA_* settings: {problems}", err=True)
        sys.exit(2)
    except Exception as exc:
        # State or services that are not there: one line with the fix, not a traceback.
        problem = _missing_state(exc)
        if problem is None:
            raise
        typer.echo(f"error: {problem}", err=True)
        sys.exit(1)


def _missing_state(exc: Exception) -> str | None:
    import os

    from delta.db import connection_failure, shown_url
    from delta.errors import MissingState
    from search.errors import SearchBackendError

    if isinstance(exc, MissingState):
        return str(exc)
    if isinstance(exc, SearchBackendError):
        return f"search service: {exc} (is it running, and is DELTA_SEARCH_URL right?)"
    reason = connection_failure(exc)
    if reason is None:
        return None
    url = os.environ.get("DELTA_DATABASE_URL")
    if url:
        return (
            f"cannot connect to the database {shown_url(url)}: {reason} "
            "(is it running, and is DELTA_DATABASE_URL right?)"
        )
    return f"cannot open the SQLite database under DELTA_HOME: {reason}"


if __name__ == "__main__":
    main()
