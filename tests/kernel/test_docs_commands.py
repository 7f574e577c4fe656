"""Every command README.md and docs/*.md name exists as written: each ``delta``
command and option (in code blocks and in the text), each ``make`` target, each
``.venv/bin`` tool and ``loadtests`` module. The blocks that call the running
portal are run for real by tests/portal/test_new_user_path.py."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

from delta.cli import command
from tests.support.docs import DOCUMENTS, ROOT, code_blocks, command_lines, inline_code

ALL_DOCUMENTS = [*DOCUMENTS, ROOT / "docker" / "README.md"]
DELTA_USAGE = re.compile(r"(?:^|[\s/])delta\s+(.+)$")
CLI = command()


def documented_lines() -> list[tuple[str, str]]:
    """(document, line) for every command line of a code block and every inline span."""
    found = []
    for document in ALL_DOCUMENTS:
        where = document.relative_to(ROOT).as_posix()
        for block in code_blocks(document):
            found += [(where, line) for line in command_lines(block.text)]
        found += [(where, span) for span in inline_code(document)]
    return found


LINES = documented_lines()


def options_of(node: Any) -> set[str]:
    params = node.get_params(node.context_class(node))
    return {opt for p in params for opt in (*p.opts, *p.secondary_opts)}


def usage_problems(words: list[str], node: Any = CLI, path: tuple[str, ...] = ()) -> list[str]:
    for index, word in enumerate(words):
        commands = getattr(node, "commands", None)
        if commands is None:
            break
        choices = word.split("|")
        if all(choice in commands for choice in choices):
            if len(choices) > 1:  # `delta sig sign-xml|verify-xml`: each one
                rest = words[index + 1 :]
                return [p for c in choices for p in usage_problems([c, *rest], node, path)]
            node, path = commands[word], (*path, word)
            continue
        if re.fullmatch(r"[a-z][a-z-]*", word):
            return [f"no command `delta {' '.join((*path, word))}`"]
        break
    else:
        index = len(words)
    known = options_of(node)
    text = " ".join(words[index:])
    return [
        f"`delta {' '.join(path)}` has no option {option}"
        for option in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text)
        if option not in known
    ]


def test_the_documents_are_read() -> None:
    usages = [line for _, line in LINES if DELTA_USAGE.search(line)]
    assert len(usages) >= 40, usages
    assert any("ckanapi dump" in line for _, line in LINES)


def test_every_documented_delta_command_and_option_exists() -> None:
    problems = []
    for where, line in LINES:
        for match in DELTA_USAGE.finditer(line):
            words = match.group(1).replace("[", " ").replace("]", " ").split()
            problems += [f"{where}: {line!r}: {p}" for p in usage_problems(words)]
    assert problems == []


def test_every_make_target_exists() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    named = {
        m.group(1) for _, line in LINES for m in re.finditer(r"(?:^|\s)make ([a-z][\w-]*)", line)
    }
    assert named and named <= targets, named - targets


def test_every_venv_tool_and_benchmark_module_exists() -> None:
    bin_dir = Path(sys.executable).parent
    tools = {m.group(1) for _, line in LINES for m in re.finditer(r"\.venv/bin/([\w-]+)", line)}
    modules = {m.group(1) for _, line in LINES for m in re.finditer(r"-m (loadtests\.\w+)", line)}
    assert {"delta", "ckanapi", "pytest"} <= tools
    assert [t for t in sorted(tools) if not (bin_dir / t).exists()] == []
    assert modules
    missing = [m for m in sorted(modules) if not (ROOT / (m.replace(".", "/") + ".py")).exists()]
    assert missing == []


@pytest.mark.parametrize(
    ("usage", "problem"),
    [
        ("delta token create admin --name x", None),
        ("delta application list|show|approve", None),
        ("delta tokens list", "no command `delta tokens`"),
        ("delta token create admin --label x", "no option --label"),
        ("delta sig sign-xml|verify-xml --nope", "no option --nope"),
    ],
)
def test_the_checker_itself(usage: str, problem: str | None) -> None:
    found = usage_problems(usage.split()[1:])
    assert (found == []) if problem is None else any(problem in p for p in found), found


def test_every_documented_setting_exists() -> None:
    """`DELTA_X` in the documents is a field of Settings (or one of the few variables
    read elsewhere); a renamed or planned setting would otherwise be documented."""
    from delta.settings import Settings

    read_elsewhere = {
        "DELTA_ASSETS_DIR",
        "DELTA_TEST_ES_URL",
        "DELTA_SEARCH_CORPUS",
        "DELTA_STANDARDS_DIR",
        "DELTA_FUZZ_EXAMPLES",
        "DELTA_TEST_FEDERATION_TEMPLATE",
        "DELTA_TEST_SCREENSHOTS",
    }
    documented = set()
    for document in ALL_DOCUMENTS:
        documented |= set(re.findall(r"DELTA_([A-Z][A-Z0-9_]*[A-Z0-9])", document.read_text()))
    fields = {name.upper() for name in Settings.model_fields}
    unknown = {f"DELTA_{name}" for name in documented if name not in fields} - read_elsewhere
    assert len(documented) > 20 and unknown == set()


def test_every_documented_benchmark_option_exists() -> None:
    problems = []
    for where, line in LINES:
        for match in re.finditer(r"-m loadtests\.(\w+)((?:\s+[^`]*)?)", line):
            source = (ROOT / "loadtests" / f"{match.group(1)}.py").read_text("utf-8")
            for option in re.findall(r"--[a-z][a-z0-9-]*", match.group(2)):
                if f'"{option}"' not in source:
                    problems.append(f"{where}: loadtests.{match.group(1)} has no {option}")
    assert problems == []
