"""The ``delta`` command line: one root that mounts each product's commands.

Every command prints only its result on stdout (so scripts can use it) and
reports problems on stderr with a non-zero exit code.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

app = typer.Typer(
    name="delta",
    help="Delta Open Data Portal & Interchange",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _mount() -> None:
    from open_portal.cli import register as register_portal

    register_portal(app)
    from signing.cli import register as register_signing

    register_signing(app)
    from interregion.cli import register as register_interregion

    register_interregion(app)


def main() -> None:
    _mount()
    try:
        app()
    except ValidationError as exc:
        # Settings come from the environment; say which one is wrong, without a traceback.
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        typer.echo(f"error: invalid DELTA_* settings: {problems}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
