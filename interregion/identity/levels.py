"""Levels of assurance, as eIDAS names them: low < substantial < high.

A relying node asks for a minimum; the home node must meet or exceed it. The
level a login reaches is the lower of how well the person's identity was
proofed when the account was opened and how they authenticated now (a
password gives *substantial*, a password and a TOTP code give *high*), so an
account opened online with no identity check never exceeds *low*.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    LOW = "low"
    SUBSTANTIAL = "substantial"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def uri(self) -> str:
        """The SAML AuthnContextClassRef and the JWT ``acr`` of this level."""
        return f"{LEVEL_URI_PREFIX}{self.value}"

    def meets(self, required: Level) -> bool:
        return self.rank >= required.rank

    @property
    def label(self) -> str:
        return _LABELS[self]


LEVEL_URI_PREFIX = "urn:delta:loa:"
_ORDER = (Level.LOW, Level.SUBSTANTIAL, Level.HIGH)
_LABELS = {Level.LOW: "低 / low", Level.SUBSTANTIAL: "较高 / substantial", Level.HIGH: "高 / high"}


class UnknownLevel(ValueError):
    pass


def parse_level(value: str) -> Level:
    """A level from its name or its URI; anything else is refused."""
    name = value.removeprefix(LEVEL_URI_PREFIX) if value.startswith(LEVEL_URI_PREFIX) else value
    try:
        return Level(name)
    except ValueError:
        raise UnknownLevel(f"unknown level of assurance {value[:80]!r}") from None


def lower_of(first: Level, second: Level) -> Level:
    return first if first.rank <= second.rank else second


def authentication_level(*, with_totp: bool) -> Level:
    return Level.HIGH if with_totp else Level.SUBSTANTIAL
