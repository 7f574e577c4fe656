"""A refusal anywhere in an exchange: a reason code people and programs can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExchangeRefused(Exception):
    """``reason`` is a stable kebab-case code; ``message`` is for people (never a secret).

    ``peer`` is the other node's region code when known; ``audit_record`` is the
    number of our own audit record about the refusal, ``peer_audit_record`` the
    other side's (from its problem+json answer).
    """

    reason: str
    message: str
    status: int = 403
    peer: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    audit_record: int | None = None
    peer_audit_record: int | None = None

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"

    def problem_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"reason": self.reason}
        if self.audit_record is not None:
            fields["audit_record"] = self.audit_record
        if self.peer:
            fields["peer"] = self.peer
        if self.peer_audit_record is not None:
            fields["peer_audit_record"] = self.peer_audit_record
        return fields
