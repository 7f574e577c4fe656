"""The data-use application workflow: submit, decide, revoke -- every step audited.

An applicant (any logged-in user) applies for a conditional dataset with a
purpose, their organisation, the intended use and acceptance of the data-use
agreement. An admin or editor of the owning organisation (or a sysadmin)
approves -- with an expiry -- or rejects with a reason; never their own
application. An approved grant can be revoked with a reason. Each step adds
an event to ``data_application_event``, which the database keeps append-only.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from datasets import policy, repository
from datasets.dictization import iso
from datasets.models import DataApplication, DataApplicationEvent, Package, utcnow
from datasets.policy import Action, Principal
from delta.errors import ErrorDict, NotFound, ValidationFailed
from open_portal.accounts.models import User
from standards.open_classes import OpenClass

MAX_TEXT = 4000
MIN_PURPOSE = 10
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
STATES = ("pending", "approved", "rejected", "revoked")


def _text(data: dict[str, Any], key: str, errors: ErrorDict, *, limit: int, least: int = 1) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        errors[key] = ["Missing value"]
        return ""
    value = value.strip()
    if _CONTROL.search(value):
        errors[key] = ["Must not contain control characters"]
    elif len(value) > limit:
        errors[key] = [f"Must be at most {limit} characters long"]
    elif len(value) < least:
        errors[key] = [f"Must be at least {least} characters long"]
    return value


def _accepted(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on")


def _record(
    session: Session,
    application: DataApplication,
    *,
    actor: Principal,
    action: str,
    reason: str | None = None,
    **data: Any,
) -> None:
    session.add(
        DataApplicationEvent(
            application_id=application.id,
            package_id=application.package_id,
            actor_id=actor.user_id,
            action=action,
            reason=reason,
            data=data,
        )
    )
    session.flush()


def submit(session: Session, *, actor: Principal, data: dict[str, Any]) -> DataApplication:
    policy.require(
        actor, Action.APPLY, policy.SITE, message="You must be logged in to apply for data"
    )
    ref = data.get("package_id") or data.get("id")
    if not isinstance(ref, str) or not ref.strip():
        raise ValidationFailed.on("package_id", "Missing value")
    package = _readable_package(session, actor, ref.strip())
    errors: ErrorDict = {}
    if package.open_class == OpenClass.UNCONDITIONAL:
        errors["package_id"] = ["This dataset is open to everyone; no application is needed"]
    elif package.open_class != OpenClass.CONDITIONAL:
        errors["package_id"] = ["This dataset is not open; its data cannot be applied for"]
    elif policy.can(actor, Action.READ_DATA, policy.Dataset.of(package)):
        errors["package_id"] = ["You already have access to this dataset's data"]
    elif _open_application(session, actor.user_id or "", package.id) is not None:
        errors["package_id"] = ["You already have a pending or approved application for it"]
    purpose = _text(data, "purpose", errors, limit=MAX_TEXT, least=MIN_PURPOSE)
    organisation = _text(data, "applicant_organization", errors, limit=512)
    intended_use = _text(data, "intended_use", errors, limit=MAX_TEXT)
    if not _accepted(data.get("agreement_accepted")):
        errors["agreement_accepted"] = ["The data-use agreement must be accepted"]
    if errors:
        raise ValidationFailed(errors)
    application = DataApplication(
        package_id=package.id,
        applicant_id=actor.user_id or "",
        purpose=purpose,
        applicant_organization=organisation,
        intended_use=intended_use,
        agreement_accepted_at=utcnow(),
        state="pending",
    )
    session.add(application)
    session.flush()
    _record(session, application, actor=actor, action="submitted")
    return application


def decide(
    session: Session,
    *,
    actor: Principal,
    application_id: str,
    decision: str,
    reason: str | None,
    expires_at: datetime | None,
    grant_days: int | None,
    default_days: int,
    max_days: int,
) -> DataApplication:
    application = _reviewable(session, actor, application_id)
    if application.state != "pending":
        raise ValidationFailed.on(
            "id", f"Only pending applications can be decided (it is {application.state})"
        )
    if decision not in ("approve", "reject"):
        raise ValidationFailed.on("decision", "Must be approve or reject")
    if decision == "reject" and not (reason and reason.strip()):
        raise ValidationFailed.on("reason", "A rejection needs a reason")
    now = utcnow()
    application.decided_at = now
    application.decided_by = actor.user_id
    application.decision_reason = (reason or "").strip() or None
    if decision == "reject":
        application.state = "rejected"
    else:
        application.state = "approved"
        application.expires_at = _expiry(now, expires_at, grant_days, default_days, max_days)
    _record(
        session,
        application,
        actor=actor,
        action="approved" if decision == "approve" else "rejected",
        reason=application.decision_reason,
        expires_at=iso(application.expires_at),
    )
    return application


def revoke(
    session: Session, *, actor: Principal, application_id: str, reason: str | None
) -> DataApplication:
    application = _reviewable(session, actor, application_id)
    if application.state != "approved":
        raise ValidationFailed.on(
            "id", f"Only approved applications can be revoked (it is {application.state})"
        )
    if not (reason and reason.strip()):
        raise ValidationFailed.on("reason", "A revocation needs a reason")
    application.state = "revoked"
    application.revoked_at = utcnow()
    application.revoked_by = actor.user_id
    application.revoke_reason = reason.strip()
    _record(session, application, actor=actor, action="revoked", reason=application.revoke_reason)
    return application


def show(session: Session, *, actor: Principal, application_id: str) -> DataApplication:
    application = session.get(DataApplication, application_id)
    if application is None:
        raise NotFound("Data-use application not found")
    policy.require(actor, Action.READ, policy.Application.of(application))
    return application


def listing(
    session: Session,
    *,
    actor: Principal,
    package_ref: str | None = None,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[DataApplication]:
    """Applications the caller may see: their own, and those their organisations review."""
    policy.require(
        actor,
        Action.LIST_APPLICATIONS,
        policy.SITE,
        message="You must be logged in to list data-use applications",
    )
    stmt = (
        select(DataApplication)
        .join(Package, Package.id == DataApplication.package_id)
        .where(policy.readable_applications(actor))
    )
    if package_ref:
        stmt = stmt.where(or_(Package.id == package_ref, Package.name == package_ref))
    if state:
        if state not in (*STATES, "expired", "active"):
            allowed = ", ".join((*STATES, "expired", "active"))
            raise ValidationFailed.on("state", f"Must be one of: {allowed}")
        stmt = _state_filter(stmt, state)
    stmt = stmt.order_by(DataApplication.created.desc(), DataApplication.id)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def events(session: Session, application_id: str) -> list[DataApplicationEvent]:
    return list(
        session.scalars(
            select(DataApplicationEvent)
            .where(DataApplicationEvent.application_id == application_id)
            .order_by(DataApplicationEvent.at, DataApplicationEvent.id)
        )
    )


def status(application: DataApplication, now: datetime | None = None) -> str:
    """The state as a reader means it: an approval past its expiry is ``expired``."""
    now = now or utcnow()
    if application.state == "approved" and application.expires_at and application.expires_at <= now:
        return "expired"
    return application.state


def application_dict(
    session: Session, application: DataApplication, *, with_events: bool = False
) -> dict[str, Any]:
    names = _user_names(session, application)
    out: dict[str, Any] = {
        "id": application.id,
        "package_id": application.package_id,
        "package_name": application.package.name,
        "applicant_id": application.applicant_id,
        "applicant_name": names.get(application.applicant_id),
        "purpose": application.purpose,
        "applicant_organization": application.applicant_organization,
        "intended_use": application.intended_use,
        "agreement_accepted_at": iso(application.agreement_accepted_at),
        "state": application.state,
        "status": status(application),
        "active": status(application) == "approved",
        "created": iso(application.created),
        "decided_at": iso(application.decided_at),
        "decided_by": names.get(application.decided_by or ""),
        "decision_reason": application.decision_reason,
        "expires_at": iso(application.expires_at),
        "revoked_at": iso(application.revoked_at),
        "revoked_by": names.get(application.revoked_by or ""),
        "revoke_reason": application.revoke_reason,
    }
    if with_events:
        out["events"] = [
            {
                "at": iso(event.at),
                "action": event.action,
                "actor": _user_name(session, event.actor_id),
                "reason": event.reason,
                "data": event.data,
            }
            for event in events(session, application.id)
        ]
    return out


def parse_expiry(value: Any) -> datetime | None:
    """An ISO 8601 expiry as naive UTC (how timestamps are stored)."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):  # Overflow: past the year 9999 once in UTC
        raise ValidationFailed.on("expires_at", "Must be an ISO 8601 date and time") from None
    return moment


def _expiry(
    now: datetime,
    expires_at: datetime | None,
    grant_days: int | None,
    default_days: int,
    max_days: int,
) -> datetime:
    latest = now + timedelta(days=max_days)
    if expires_at is not None:
        if expires_at <= now:
            raise ValidationFailed.on("expires_at", "Must be in the future")
        if expires_at > latest:
            raise ValidationFailed.on("expires_at", f"Must be within {max_days} days")
        return expires_at
    days = grant_days if grant_days is not None else default_days
    if not 1 <= days <= max_days:
        raise ValidationFailed.on("grant_days", f"Must be between 1 and {max_days}")
    return now + timedelta(days=days)


def _readable_package(session: Session, actor: Principal, ref: str) -> Package:
    package = repository.find_package(session, ref)
    if package is None or not policy.can(actor, Action.APPLY, policy.Dataset.of(package)):
        raise NotFound("Dataset not found")
    return package


def _open_application(session: Session, user_id: str, package_id: str) -> DataApplication | None:
    return session.scalars(
        select(DataApplication).where(
            DataApplication.applicant_id == user_id,
            DataApplication.package_id == package_id,
            or_(
                DataApplication.state == "pending",
                (DataApplication.state == "approved") & (DataApplication.expires_at > utcnow()),
            ),
        )
    ).first()


def _reviewable(session: Session, actor: Principal, application_id: str) -> DataApplication:
    application = show(session, actor=actor, application_id=application_id)
    policy.require(actor, Action.DECIDE, policy.Application.of(application))
    return application


def _state_filter(stmt: Any, state: str) -> Any:
    now = utcnow()
    if state == "expired":
        return stmt.where(DataApplication.state == "approved", DataApplication.expires_at <= now)
    if state in ("active", "approved"):
        return stmt.where(DataApplication.state == "approved", DataApplication.expires_at > now)
    return stmt.where(DataApplication.state == state)


def _user_names(session: Session, application: DataApplication) -> dict[str, str]:
    ids = {application.applicant_id, application.decided_by, application.revoked_by} - {None}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
    return {user_id: name for user_id, name in rows}


def _user_name(session: Session, user_id: str | None) -> str | None:
    if not user_id:
        return None
    return session.scalar(select(User.name).where(User.id == user_id))
