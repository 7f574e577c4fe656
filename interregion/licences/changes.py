"""Every change to the library runs in one transaction and is then audited (never before)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from interregion.clock import utcnow
from interregion.licences import service
from interregion.licences.models import Licence

if TYPE_CHECKING:
    from interregion.node import Node

EVENTS = {"suspend": "licence.suspended", "resume": "licence.resumed", "revoke": "licence.revoked"}


def apply(
    node: Node,
    change: Callable[[Session, datetime], Licence | tuple[Licence, Licence]],
    *,
    event: str,
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Run ``change``; audit it with the licence's identifier; return the licence's detail."""
    moment = now or utcnow()
    with node.transaction() as session:
        result = change(session, moment)
        old, new = result if isinstance(result, tuple) else (None, result)
        shown = service.detail(new, now=moment)
        detail: dict[str, Any] = {
            "licence": new.identifier, "type": new.type_code, "status": new.status,
            "holder": service.masked_holder_code(new),
        }  # fmt: skip
        if old is not None:
            detail["replaces"] = old.identifier
        if new.status_reason:
            detail["reason"] = new.status_reason
    seq = node.audit.append(event=event, actor=actor, detail=detail, now=moment)
    return {**shown, "audit_record": seq}


def issue(node: Node, *, actor: str, **fields: Any) -> dict[str, Any]:
    return apply(
        node,
        lambda session, now: service.issue(session, node=node, now=now, **fields),
        event="licence.issued",
        actor=actor,
    )


def set_status(
    node: Node, *, identifier: str, action: str, reason: str, actor: str,
    department_uscc: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    if action not in EVENTS:
        raise service.LicenceError("invalid-input", "the action is suspend, resume or revoke")
    return apply(
        node,
        lambda session, now: service.change_status(
            session,
            identifier=identifier,
            action=action,
            reason=reason,
            now=now,
            department_uscc=department_uscc,
        ),
        event=EVENTS[action],
        actor=actor,
    )


def reissue(node: Node, *, identifier: str, actor: str, **fields: Any) -> dict[str, Any]:
    return apply(
        node,
        lambda session, now: service.reissue(
            session, node=node, identifier=identifier, now=now, **fields
        ),
        event="licence.reissued",
        actor=actor,
    )
