"""Kinds of exchange: each has its own request and response ``typ`` (RFC 8725 §3.11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

MAX_MESSAGE_CHARS = 64 * 1024


@dataclass(frozen=True)
class MessageKind:
    """One service spoken over the exchange.

    ``endpoint`` names the responder's URL in the registry's ``endpoints``;
    ``requester_role``/``responder_role`` are roles the registry must list for
    each side. Audit events default to ``<name>.answered|accepted|refused``.
    """

    name: str
    request_typ: str
    response_typ: str
    endpoint: str
    requester_role: str
    responder_role: str
    request_lifetime: timedelta = timedelta(seconds=60)
    response_lifetime: timedelta = timedelta(seconds=120)
    max_request_chars: int = MAX_MESSAGE_CHARS
    max_response_chars: int = MAX_MESSAGE_CHARS
    answered_event: str = ""
    accepted_event: str = ""
    refused_event: str = ""

    def event(self, what: str) -> str:
        custom = {
            "answered": self.answered_event,
            "accepted": self.accepted_event,
            "refused": self.refused_event,
        }[what]
        return custom or f"{self.name}.{what}"
