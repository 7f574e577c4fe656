"""Commands as README.md and docs/*.md show them, read from the Markdown itself so the
documents and the tests that run or check them cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# The address the documents use for the portal `make run` starts.
DOCUMENTED_PORTAL = "http://127.0.0.1:8000"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


@dataclass(frozen=True)
class Block:
    document: Path
    language: str
    text: str

    @property
    def where(self) -> str:
        return self.document.relative_to(ROOT).as_posix()

    @property
    def talks_to_the_portal(self) -> bool:
        """A shell block that calls the running portal: the README test runs these."""
        return self.language == "sh" and DOCUMENTED_PORTAL in self.text


def code_blocks(document: Path) -> list[Block]:
    text = document.read_text("utf-8")
    return [Block(document, m.group(1), m.group(2)) for m in _FENCE.finditer(text)]


def command_lines(text: str) -> list[str]:
    """A block's commands: continuation lines joined, comments and prompts removed."""
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = []
    for raw in joined.splitlines():
        line = re.sub(r"\s+#.*$", "", raw.removeprefix("$ ")).strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def inline_code(document: Path) -> list[str]:
    """Inline code spans outside fenced blocks (table cells unescape ``\\|``)."""
    text = _FENCE.sub("", document.read_text("utf-8"))
    return [span.replace("\\|", "|") for span in _INLINE.findall(text)]
