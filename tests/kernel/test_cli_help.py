"""Every ``delta`` command, present and future, explains itself: a help line per
command, help text on every option and argument, and a readable metavar (``PORT``,
``FILE``, ``rsa|ec-p256``) instead of ``<str>``, ``<bool>`` or ``{name}``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from delta.cli import command, main

# Upper-case words (PORT, USERNAME, DAYS), or the choices themselves (rsa|ec-p256);
# an optional argument may show as [SOURCE], the usual way to say it can be left out.
_WORDS = r"[A-Z][A-Z0-9_]*(?:[-.|][A-Z0-9_]+|\|-)*|[a-z0-9-]+(?:\|[a-z0-9-]+)+"
READABLE_METAVAR = re.compile(rf"(?:{_WORDS})|\[(?:{_WORDS})\]")
PLACEHOLDER = re.compile(r"<\w[\w ]*>|\{\w+\}")


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, node
    for name, sub in sorted(getattr(node, "commands", {}).items()):
        yield from walk(sub, (*path, name))


TREE = list(walk(command()))
COMMANDS = [path for path, node in TREE if path]


def parameters(node: Any) -> list[Any]:
    return list(node.get_params(node.context_class(node)))


def test_the_tree_is_all_there() -> None:
    """The walk below sees every product's commands (a lost mount would pass vacuously)."""
    names = {" ".join(path) for path in COMMANDS}
    assert {"serve", "demo serve", "token create", "application approve", "node serve",
            "federation registry show", "jwt verify", "audit verify"} <= names  # fmt: skip
    assert len(names) >= 35


def test_every_command_says_what_it_does() -> None:
    silent = [" ".join(path) for path, node in TREE if path and not (node.help or "").strip()]
    assert silent == []


def test_every_option_and_argument_has_help_and_a_readable_metavar() -> None:
    problems = []
    for path, node in TREE:
        for param in parameters(node):
            where = f"delta {' '.join(path)} {param.opts[0]}"
            if not (param.help or "").strip():
                problems.append(f"{where}: no help text")
            if getattr(param, "is_flag", False) or getattr(param, "count", False):
                continue
            if not READABLE_METAVAR.fullmatch(param.metavar or ""):
                problems.append(f"{where}: metavar {param.metavar!r} is not readable")
    assert problems == []


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda p: " ".join(p) or "delta")
def test_help_shows_no_type_placeholders(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert "Usage: delta" in shown
    assert PLACEHOLDER.findall(shown) == [], shown
