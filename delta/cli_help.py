"""Help that reads like a manual page: ``NAME`` and ``[NAME]`` in usage lines, each
option's metavar (``--port PORT``), and no type placeholders (``<str>``, ``<bool>``,
``{name}``) that typer prints by default.

Commands declare a ``help`` and (for anything that takes a value) a ``metavar`` on
every parameter; tests/kernel/test_cli_help.py walks the whole ``delta`` tree and
holds every command, present and future, to it. This module only changes how
typer's parameters are shown, never how they parse.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption


class ReadableArgument(TyperArgument):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # the name column shows the metavar already

    def _usage_display_name(self) -> str:
        name = self.metavar or (self.name or "").upper()
        if self.nargs != 1:
            name += "..."
        return name if self.required else f"[{name}]"


class ReadableOption(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        if self.is_flag or self.count:
            return None  # a switch takes no value
        return super().display_type_rich(ctx)  # the metavar, once the option declares one


def make_readable(command: Any) -> None:
    """Show every parameter of ``command`` and its subcommands readably (in place)."""
    context = command.context_class(command)
    for param in command.get_params(context):  # includes the --help option
        if isinstance(param, TyperArgument):
            param.__class__ = ReadableArgument
        elif isinstance(param, TyperOption):
            param.__class__ = ReadableOption
    for sub in getattr(command, "commands", {}).values():
        make_readable(sub)
