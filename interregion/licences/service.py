"""The licence library: issue, suspend, resume, revoke, re-issue, and read licences.

Every function takes the session of the caller's transaction; the caller
writes the audit record after the commit (:func:`interregion.licences.changes.apply`),
so the log never names a change that did not happen.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interregion.licences import status_lists
from interregion.licences.credentials import licence_claims, sign_credential
from interregion.licences.dates import local_today
from interregion.licences.models import Department, Licence
from signing.keys import Purpose
from standards.identifiers.citizen_id import InvalidCitizenId, parse_citizen_id
from standards.identifiers.uscc import InvalidUSCC, parse_uscc
from standards.licence_types import (
    LicenceType,
    face_data_errors,
    get_type,
    licence_identifier,
)
from standards.masking import mask_citizen_id

if TYPE_CHECKING:
    from interregion.node import Node

STATUS_ACTIONS = ("suspend", "resume", "revoke")
MAX_REASON_CHARS = 200
# Licence dates a person could hold; also keeps "valid_from + validity" inside the calendar.
MIN_YEAR, MAX_YEAR = 1900, 2200


@dataclass
class LicenceError(Exception):
    """Bad input or an impossible change: ``reason`` is the code, ``errors`` per field."""

    reason: str
    message: str
    status: int = 422
    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- departments ------------------------------------------------------------------------


def department(session: Session, uscc: str) -> Department:
    found = session.get(Department, uscc.strip().upper())
    if found is None:
        raise LicenceError("unknown-department", "no issuing department with this code", 404)
    return found


def department_by_token(session: Session, token: str) -> Department | None:
    if not token or len(token) > 200:
        return None
    return session.scalars(
        select(Department).where(Department.token_hash == token_hash(token))
    ).first()


def new_department_token(session: Session, uscc: str) -> str:
    """A fresh API token for a department (the previous one stops working)."""
    token = "dlic_" + secrets.token_urlsafe(32)
    department(session, uscc).token_hash = token_hash(token)
    return token


# --- issuing ----------------------------------------------------------------------------


def _holder(licence_type: LicenceType, code: str) -> tuple[str, str]:
    try:
        if licence_type.holder_kind == "person":
            return parse_citizen_id(code).value, "citizen-id"
        return parse_uscc(code), "uscc"
    except (InvalidCitizenId, InvalidUSCC) as error:
        raise LicenceError(
            "invalid-holder-code", str(error), errors={"holder_code": str(error)}
        ) from None


def _type(code: str) -> LicenceType:
    licence_type = get_type(code or "")
    if licence_type is None:
        raise LicenceError("unknown-type", "no licence type with this code", 422,
                           {"type": "unknown licence type"})  # fmt: skip
    return licence_type


def issue(
    session: Session,
    *,
    node: Node,
    department_uscc: str,
    type_code: str,
    holder_name: str,
    holder_code: str,
    face_data: dict[str, Any],
    now: datetime,
    valid_from: date | None = None,
    valid_until: date | None = None,
    number: str | None = None,
    serial: str | None = None,
    version: int = 1,
    replaces: str | None = None,
) -> Licence:
    licence_type = _type(type_code)
    issuer = department(session, department_uscc)
    if licence_type.code not in issuer.types:
        raise LicenceError(
            "type-not-issued-here", f"{issuer.name} does not issue {licence_type.name}", 403
        )
    code, kind = _holder(licence_type, holder_code)
    name = (holder_name or "").strip()
    if not name or len(name) > 200:
        raise LicenceError(
            "invalid-input", "the holder's name is required", errors={"holder_name": "required"}
        )
    errors = face_data_errors(licence_type, face_data)
    if errors:
        raise LicenceError(
            "invalid-face-data", "the face data does not fit the type", errors=errors
        )
    for option, day in (("valid_from", valid_from), ("valid_until", valid_until)):
        if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
            raise LicenceError(
                "invalid-input",
                f"{option} is outside {MIN_YEAR}-{MAX_YEAR}",
                errors={option: "out of range"},
            )
    start = valid_from or local_today(now)
    until = valid_until if valid_until is not None else licence_type.default_valid_until(start)
    if until is not None and until < start:
        raise LicenceError(
            "invalid-input",
            "valid_until is before valid_from",
            errors={"valid_until": "before valid_from"},
        )
    serial = serial or secrets.token_hex(8).upper()
    identifier = licence_identifier(
        licence_type, issuer_uscc=issuer.uscc, serial=serial, version=version
    )
    licence_id = str(uuid.uuid4())
    licence = Licence(
        id=licence_id,
        identifier=identifier,
        serial=serial,
        version=version,
        type_code=licence_type.code,
        name=licence_type.name,
        number=(number or serial)[:64],
        holder_name=name,
        holder_code=code,
        holder_code_kind=kind,
        issuer_uscc=issuer.uscc,
        issuer_name=issuer.name,
        issue_date=local_today(now),
        valid_from=start,
        valid_until=until,
        face_data=dict(face_data),
        status="valid",
        revocation_index=status_lists.allocate(
            session, purpose="revocation", licence_id=licence_id, now=now
        ),
        suspension_index=status_lists.allocate(
            session, purpose="suspension", licence_id=licence_id, now=now
        ),
        replaces=replaces,
        created_at=now,
        updated_at=now,
    )
    licence.credential = sign_credential(
        licence_claims(licence, licence_type=licence_type, member=node.member()),
        key=node.signing_key(Purpose.JWT),
        now=now,
    )
    session.add(licence)
    session.flush()
    return licence


# --- lifecycle --------------------------------------------------------------------------


def find(session: Session, identifier: str) -> Licence:
    licence = session.scalars(
        select(Licence).where(Licence.identifier == (identifier or "").strip())
    ).first()
    if licence is None:
        raise LicenceError("licence-not-found", "no licence with this identifier", 404)
    return licence


def change_status(
    session: Session,
    *,
    identifier: str,
    action: str,
    reason: str,
    now: datetime,
    department_uscc: str | None = None,
) -> Licence:
    """suspend (valid → suspended), resume (suspended → valid), revoke (→ revoked, final)."""
    licence = find(session, identifier)
    if department_uscc is not None and licence.issuer_uscc != department_uscc:
        raise LicenceError("not-your-licence", "another department issued this licence", 403)
    current = licence.status
    allowed = {"suspend": {"valid"}, "resume": {"suspended"}, "revoke": {"valid", "suspended"}}
    if action not in allowed:
        raise LicenceError("invalid-input", f"the action is one of {', '.join(STATUS_ACTIONS)}")
    if current not in allowed[action]:
        raise LicenceError("status-conflict", f"cannot {action} a licence that is {current}", 409)
    licence.status = {"suspend": "suspended", "resume": "valid", "revoke": "revoked"}[action]
    licence.status_reason = (reason or "")[:MAX_REASON_CHARS]
    licence.updated_at = now
    status_lists.changed(session, "revocation", "suspension")
    return licence


def reissue(
    session: Session,
    *,
    node: Node,
    identifier: str,
    now: datetime,
    face_data: dict[str, Any] | None = None,
    valid_until: date | None = None,
    department_uscc: str | None = None,
) -> tuple[Licence, Licence]:
    """A new version (same serial, version + 1); the old version is revoked as superseded."""
    old = find(session, identifier)
    if department_uscc is not None and old.issuer_uscc != department_uscc:
        raise LicenceError("not-your-licence", "another department issued this licence", 403)
    if old.status == "revoked":
        raise LicenceError("status-conflict", "a revoked licence cannot be re-issued", 409)
    new = issue(
        session, node=node, department_uscc=old.issuer_uscc, type_code=old.type_code,
        holder_name=old.holder_name, holder_code=old.holder_code,
        face_data=face_data if face_data is not None else dict(old.face_data), now=now,
        valid_until=valid_until, number=old.number, serial=old.serial,
        version=old.version + 1, replaces=old.identifier,
    )  # fmt: skip
    old.status, old.status_reason, old.updated_at = (
        "revoked",
        f"superseded by {new.identifier}",
        now,
    )
    status_lists.changed(session, "revocation", "suspension")
    return old, new


# --- reading ----------------------------------------------------------------------------


def listing(
    session: Session,
    *,
    holder_code: str | None = None,
    type_code: str | None = None,
    department_uscc: str | None = None,
    limit: int = 200,
) -> list[Licence]:
    query = select(Licence).order_by(Licence.created_at, Licence.identifier)
    if holder_code:
        query = query.where(Licence.holder_code == holder_code.strip().upper())
    if type_code:
        query = query.where(Licence.type_code == type_code)
    if department_uscc:
        query = query.where(Licence.issuer_uscc == department_uscc)
    return list(session.scalars(query.limit(limit)))


def masked_holder_code(licence: Licence) -> str:
    if licence.holder_code_kind == "citizen-id":
        return mask_citizen_id(licence.holder_code)
    return licence.holder_code


def summary(licence: Licence, *, now: datetime) -> dict[str, Any]:
    """What lists show: no face data, the holder's code masked."""
    return {
        "identifier": licence.identifier,
        "type": licence.type_code,
        "name": licence.name,
        "version": licence.version,
        "holder_name": licence.holder_name,
        "holder_code_masked": masked_holder_code(licence),
        "holder_kind": "person" if licence.holder_code_kind == "citizen-id" else "company",
        "issuer": {"name": licence.issuer_name, "code": licence.issuer_uscc},
        "issue_date": licence.issue_date.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "status": licence.effective_status(local_today(now)),
    }


def detail(licence: Licence, *, now: datetime) -> dict[str, Any]:
    """Everything, for the issuing region's own departments and the holder."""
    return {
        **summary(licence, now=now),
        "number": licence.number,
        "holder_code": licence.holder_code,
        "holder_code_kind": licence.holder_code_kind,
        "face_data": dict(licence.face_data),
        "status_reason": licence.status_reason,
        "replaces": licence.replaces,
        "status_list_indexes": {
            "revocation": licence.revocation_index,
            "suspension": licence.suspension_index,
        },
        "credential": licence.credential,
    }


def field_values(licence: Licence) -> dict[str, Any]:
    """Every releasable field by its recognition-list name (metadata, then ``face.<key>``)."""
    values: dict[str, Any] = {
        "licence_name": licence.name,
        "licence_number": licence.number,
        "holder_name": licence.holder_name,
        "holder_code": licence.holder_code,
        "holder_code_masked": masked_holder_code(licence),
        "issuer_name": licence.issuer_name,
        "issuer_code": licence.issuer_uscc,
        "issue_date": licence.issue_date.isoformat(),
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
    }
    values.update({f"face.{key}": value for key, value in licence.face_data.items()})
    return values
