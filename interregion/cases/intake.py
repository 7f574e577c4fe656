"""Intake at the accepting window (region A): a draft case, filled in step by step, then sent.

1. the clerk picks a matter from the deciding region's signed list (a draft opens);
2. the applicant's identity comes from their home region (window identity assertion);
3. licences that replace paper materials are verified with their issuing region;
4. the applicant signs the service consent (服务同意书), which this node signs too;
5. scanned materials are uploaded (checked, size-limited, SHA-256);
6. submit: the case, a query code and the outgoing message commit together
   (transactional outbox), and the receipt (收件告知单) is printed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from interregion.cases import numbers, outbox
from interregion.cases.models import (
    ACCEPTED,
    CORRECTION,
    DRAFT,
    SUBMITTED,
    Case,
    CaseEvent,
    CaseLicence,
    CaseMaterial,
)
from interregion.cases.store import MaterialStore
from interregion.cases.uploads import CheckedFile
from interregion.identity import attributes
from interregion.staff.models import StaffAccount
from interregion.window.service import WindowIdentity
from signing.jws import sign_jws
from signing.keys import Purpose
from standards.masking import mask_citizen_id, mask_phone
from standards.regions import name_of

if TYPE_CHECKING:
    from interregion.node import Node

CONSENT_TYP = "delta-service-consent+jws"
SUBMIT = "case.submitted"
SUPPLEMENT = "case.supplemented"
# What the deciding region receives about the applicant (the full ID only if released).
_APPLICANT_KEYS = (
    attributes.NAME.key,
    attributes.MASKED_ID.key,
    attributes.FULL_ID.key,
    attributes.DATE_OF_BIRTH.key,
    attributes.SUBJECT_KIND.key,
    attributes.USCC.key,
    attributes.COMPANY_NAME.key,
    attributes.ROLE.key,
)


@dataclass
class IntakeRefused(Exception):
    reason: str
    message: str
    status: int = 422

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


def open_draft(
    session: Session, *, node: Node, staff: StaffAccount, matter: dict[str, Any], now: datetime
) -> Case:
    region = str(matter.get("region", ""))
    if region == node.region_code:
        raise IntakeRefused(
            "same-region", "this window sends cases to other regions; decide this one locally"
        )
    department = matter.get("deciding_department") or {}
    case = Case(
        number=numbers.new_case_number(node.region_code, now),
        side="accepting",
        status=DRAFT,
        matter_code=str(matter["code"]),
        matter=matter,
        department=str(department.get("code", "")),
        accepting_region=node.region_code,
        accepting_window=staff.window,
        deciding_region=region,
        clerk=staff.username,
        time_limit_days=int(matter.get("time_limit_days", 0)),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    return case


def _draft(case: Case) -> None:
    if case.status != DRAFT:
        raise IntakeRefused("not-a-draft", "the case has been sent already", 409)


def attach_identity(
    session: Session, *, case: Case, identity: WindowIdentity, now: datetime
) -> None:
    _draft(case)
    holder = case.matter.get("holder", "either")
    kind = identity.values.get(attributes.SUBJECT_KIND.key, "resident")
    if holder == "company" and kind != "company":
        raise IntakeRefused(
            "holder-mismatch", "this matter is for companies: verify a company representative"
        )
    values = {k: identity.values[k] for k in _APPLICANT_KEYS if k in identity.values}
    case.applicant = {
        "home_region": identity.home_region,
        "level": identity.level.value,
        "subject": identity.subject,
        **values,
    }
    case.applicant_subject = identity.subject
    case.applicant_home = identity.home_region
    case.identity_evidence = identity.assertion
    case.licence_consent = (
        {"token": identity.licence_consent, "licences": list(identity.licences)}
        if identity.licence_consent
        else {}
    )
    case.updated_at = now


def record_licence(
    session: Session,
    *,
    case: Case,
    material: str,
    licence_type: str,
    identifier: str,
    issuer_region: str,
    status: str,
    fields: dict[str, Any],
    evidence: str,
    now: datetime,
) -> CaseLicence:
    _draft_or_correction(case)
    if material not in _material_codes(case):
        raise IntakeRefused("unknown-material", f"the matter has no material {material!r}")
    row = CaseLicence(
        case_number=case.number,
        material=material,
        licence_type=licence_type,
        identifier=identifier,
        issuer_region=issuer_region,
        status=status,
        fields=fields,
        evidence=evidence,
        verified_at=now,
    )
    session.add(row)
    case.updated_at = now
    return row


def consent_text(case: Case) -> str:
    """The service consent (服务同意书) the applicant reads and signs, in both languages."""
    applicant = case.applicant.get(attributes.NAME.key, "")
    matter = f"{case.matter.get('name', '')} / {case.matter.get('name_en', '')}"
    department = (case.matter.get("deciding_department") or {}).get("name", "")
    return (
        f"服务同意书\n本人{applicant}委托{name_of(case.accepting_region)}长三角“一网通办”专窗"
        f"代为收取“{matter}”的申请材料，并同意将本人的身份信息、所提交的材料及核验的电子证照"
        f"传送至{name_of(case.deciding_region)}{department}办理；办理结果将通过本窗口告知本人。\n"
        f"Service consent\nI, {applicant}, ask this window in {name_of(case.accepting_region)} to "
        f"take in my application for “{matter}” and agree that my identity data, my materials and "
        f"the licences verified for it are sent to {department} in "
        f"{name_of(case.deciding_region)}, which decides it; "
        f"I will be told the result through this window.\n"
        f"案件编号 / Case number: {case.number}"
    )


def sign_consent(
    session: Session, *, node: Node, case: Case, staff: StaffAccount, contact: str, now: datetime
) -> dict[str, Any]:
    """The applicant has signed; this node signs the record (what, who, for whom, when)."""
    _draft(case)
    if not case.applicant:
        raise IntakeRefused("no-identity", "verify the applicant's identity first")
    text = consent_text(case)
    record = {
        "case": case.number,
        "matter": case.matter_code,
        "applicant": case.applicant_subject,
        "applicant_home": case.applicant_home,
        "accepting_region": case.accepting_region,
        "deciding_region": case.deciding_region,
        "window": case.accepting_window,
        "clerk": staff.username,
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "agreed_at": int(now.timestamp()),
    }
    payload = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    token = sign_jws(
        payload, key=node.signing_key(Purpose.JWT), purpose=Purpose.JWT, typ=CONSENT_TYP, now=now
    )
    case.consent = {**record, "signed": token}
    case.contact = _clean_contact(contact)
    case.updated_at = now
    return case.consent


def _clean_contact(contact: str) -> str:
    digits = "".join(ch for ch in contact if ch.isascii() and ch.isdigit())
    return digits[:20]


def _material_codes(case: Case) -> set[str]:
    return {str(m.get("code")) for m in case.matter.get("materials", []) if isinstance(m, dict)}


def _draft_or_correction(case: Case) -> None:
    if case.status not in (DRAFT, CORRECTION):
        raise IntakeRefused(
            "not-editable", "materials can be added to drafts and in 补正 only", 409
        )


def add_material(
    session: Session,
    *,
    store: MaterialStore,
    case: Case,
    material: str,
    checked: CheckedFile,
    max_materials: int,
    now: datetime,
) -> CaseMaterial:
    _draft_or_correction(case)
    if material not in _material_codes(case):
        raise IntakeRefused("unknown-material", f"the matter has no material {material!r}")
    existing = session.scalars(select(CaseMaterial).where(CaseMaterial.case_number == case.number))
    rows = list(existing)
    if len(rows) >= max_materials:
        raise IntakeRefused("too-many-materials", f"at most {max_materials} files per case", 413)
    if any(row.sha256 == checked.sha256 for row in rows):
        raise IntakeRefused("duplicate-material", "this file is already part of the case", 409)
    store.put(checked.data, sha256=checked.sha256)
    row = CaseMaterial(
        case_number=case.number,
        material=material,
        sha256=checked.sha256,
        size=checked.size,
        media_type=checked.media_type,
        filename=checked.filename,
        round=int(case.correction.get("round", 0)) if case.status == CORRECTION else 0,
        added_at=now,
    )
    session.add(row)
    case.updated_at = now
    return row


def materials_of(session: Session, number: str) -> list[CaseMaterial]:
    return list(
        session.scalars(
            select(CaseMaterial).where(CaseMaterial.case_number == number).order_by(CaseMaterial.id)
        )
    )


def licences_of(session: Session, number: str) -> list[CaseLicence]:
    return list(
        session.scalars(
            select(CaseLicence).where(CaseLicence.case_number == number).order_by(CaseLicence.id)
        )
    )


def missing_materials(session: Session, case: Case) -> list[str]:
    """Required materials with neither a scan nor a valid licence."""
    have = {m.material for m in materials_of(session, case.number)}
    have |= {lic.material for lic in licences_of(session, case.number) if lic.status == "valid"}
    return [
        str(m["code"])
        for m in case.matter.get("materials", [])
        if isinstance(m, dict) and m.get("required", True) and m.get("code") not in have
    ]


def manifest_material(row: CaseMaterial) -> dict[str, Any]:
    return {
        "material": row.material,
        "sha256": row.sha256,
        "size": row.size,
        "media_type": row.media_type,
        "filename": row.filename,
        "round": row.round,
    }


def manifest_licence(row: CaseLicence) -> dict[str, Any]:
    return {
        "material": row.material,
        "licence_type": row.licence_type,
        "identifier": row.identifier,
        "issuer_region": row.issuer_region,
        "status": row.status,
        "fields": row.fields,
        "verified_at": int(row.verified_at.timestamp()),
        "evidence": row.evidence,
    }


def submit(session: Session, *, node: Node, case: Case, staff: StaffAccount, now: datetime) -> str:
    """Send the case: status, query code, timeline and outgoing message in one transaction.

    Returns the query code (shown once, on the receipt; only its HMAC is kept).
    """
    _draft(case)
    if not case.applicant:
        raise IntakeRefused("no-identity", "verify the applicant's identity first")
    if not case.consent:
        raise IntakeRefused("no-consent", "the applicant has not signed the service consent")
    missing = missing_materials(session, case)
    if missing:
        raise IntakeRefused(
            "materials-missing", f"required materials missing: {', '.join(missing)}"
        )
    materials = materials_of(session, case.number)
    code = numbers.new_query_code()
    case.query_code_hash = numbers.query_code_hash(node.secrets.cookie_key, case.number, code)
    case.status = SUBMITTED
    case.submitted_at = now
    case.updated_at = now
    manifest = {
        "matter": case.matter_code,
        "matter_list_version": case.matter.get("list_version"),
        "accepting_window": case.accepting_window,
        "clerk": staff.username,
        "applicant": case.applicant,
        "identity_evidence": case.identity_evidence,
        "consent": case.consent,
        "licences": [manifest_licence(row) for row in licences_of(session, case.number)],
        "materials": [manifest_material(row) for row in materials],
        "submitted_at": int(now.timestamp()),
    }
    outbox.enqueue(
        session,
        case=case,
        peer=case.deciding_region,
        kind=SUBMIT,
        body=manifest,
        materials=[row.sha256 for row in materials],
        now=now,
    )
    add_event(
        session,
        case=case,
        kind="submitted",
        actor=f"staff:{staff.username}",
        now=now,
        note="已收件，材料已发往审批地 / Received; sent to the deciding region",
        notify=True,
    )
    return code


def new_query_code(session: Session, *, node: Node, case: Case) -> str:
    """A reprinted receipt gets a new code; the old one stops working."""
    code = numbers.new_query_code()
    case.query_code_hash = numbers.query_code_hash(node.secrets.cookie_key, case.number, code)
    case.track_failures = 0
    case.track_locked_until = None
    return code


def supplement(
    session: Session, *, case: Case, staff: StaffAccount, note: str, now: datetime
) -> None:
    """补正 done at the window: the new materials go to the deciding region."""
    if case.status != CORRECTION or case.side != "accepting":
        raise IntakeRefused("not-in-correction", "the case is not waiting for materials", 409)
    round_number = int(case.correction.get("round", 1))
    added = [m for m in materials_of(session, case.number) if m.round == round_number]
    licences = [lic for lic in licences_of(session, case.number) if lic.verified_at >= _asked(case)]
    if not added and not licences:
        raise IntakeRefused("nothing-added", "upload the requested materials first")
    case.status = str(case.correction.get("from", SUBMITTED))
    if case.status not in (SUBMITTED, ACCEPTED):
        case.status = SUBMITTED
    case.updated_at = now
    outbox.enqueue(
        session,
        case=case,
        peer=case.deciding_region,
        kind=SUPPLEMENT,
        body={
            "round": round_number,
            "note": note[:1000],
            "materials": [manifest_material(row) for row in added],
            "licences": [manifest_licence(row) for row in licences],
        },
        materials=[row.sha256 for row in added],
        now=now,
    )
    add_event(
        session,
        case=case,
        kind="supplemented",
        actor=f"staff:{staff.username}",
        now=now,
        note=f"已补正 / Materials supplied: {note[:200]}",
        notify=True,
    )


def _asked(case: Case) -> datetime:
    at = case.correction.get("requested_at")
    return datetime.fromtimestamp(int(at), tz=UTC) if at else case.created_at


def add_event(
    session: Session,
    *,
    case: Case,
    kind: str,
    actor: str,
    now: datetime,
    note: str = "",
    seq: int = 0,
    notify: bool = False,
) -> CaseEvent:
    event = CaseEvent(
        case_number=case.number,
        at=now,
        kind=kind,
        status=case.status,
        actor=actor[:100],
        note=note[:1000],
        seq=seq,
        notify=notify and case.side == "accepting",
    )
    session.add(event)
    return event


def masked_applicant(case: Case) -> dict[str, str]:
    """For pages and notifications: never the full ID, the phone masked."""
    applicant = case.applicant
    shown = {
        "name": str(applicant.get(attributes.NAME.key, "")),
        "home_region": str(applicant.get("home_region", "")),
        "id_masked": str(
            applicant.get(attributes.MASKED_ID.key)
            or mask_citizen_id(str(applicant.get(attributes.FULL_ID.key, "")))
        ),
    }
    if case.contact:
        shown["contact"] = mask_phone(case.contact)
    return shown
