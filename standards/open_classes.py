"""Open classes of government data (开放类型)."""

from __future__ import annotations

from enum import StrEnum


class OpenClass(StrEnum):
    UNCONDITIONAL = "unconditional"  # 无条件开放: anyone downloads
    CONDITIONAL = "conditional"  # 有条件开放: metadata public, data after an approved application
    CLOSED = "closed"  # 非开放: never published


LABELS_ZH = {
    OpenClass.UNCONDITIONAL: "无条件开放",
    OpenClass.CONDITIONAL: "有条件开放",
    OpenClass.CLOSED: "非开放",
}

# Accept the Chinese labels on input too: publishers type what they know.
_ALIASES = {label: cls for cls, label in LABELS_ZH.items()}


def parse(value: str) -> OpenClass:
    value = value.strip()
    if value in _ALIASES:
        return _ALIASES[value]
    return OpenClass(value.lower())
