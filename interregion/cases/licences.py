"""Licences instead of paper: the window asks the issuing region and records the answer.

The applicant's identity answer from home carries their consent to check
their licences at this region's windows (``licence-consent+jwt``, see
:mod:`interregion.licences.window`); the clerk picks the licence that
replaces a material, and the licence work's cross-region verification
(:func:`interregion.licences.verification.verify_remote`) asks the issuer
under that consent. The answer -- status, the fields the scenario
releases, the issuer's signed response as evidence -- goes into the case
and travels to the deciding region with the manifest. Only a *valid*
licence of a type the matter lists replaces the paper.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from interregion.cases import access, intake
from interregion.cases.models import Case, CaseLicence
from interregion.cases.service import CaseDesk
from interregion.clock import utcnow
from interregion.exchange import ExchangeRefused
from interregion.licences import verification
from interregion.licences.window import WINDOW_SCENARIO
from interregion.staff.auth import Refused, actor, require_role
from interregion.staff.models import StaffAccount
from standards.licence_types import get_type


def _prepare(desk: CaseDesk, staff: StaffAccount, number: str, material: str) -> tuple[str, str]:
    """The consent token and the matter's name, if a licence may replace this material."""
    with desk.node.transaction() as session:
        case = access.case_for(session, staff, number)
        if case.status not in ("draft", "correction") or case.side != "accepting":
            raise Refused(
                "not-editable",
                "licences are checked during intake or 补正",
                409,
                actor=actor(staff),
                detail={"case": case.number},
            )
        listed = next(
            (m for m in case.matter.get("materials", []) if m.get("code") == material), None
        )
        if not listed or not listed.get("licence_types"):
            raise Refused(
                "no-licence-for-material",
                "no licence can replace this material",
                422,
                actor=actor(staff),
                detail={"case": case.number, "material": material},
            )
        token = str(case.licence_consent.get("token", ""))
        if not token:
            raise Refused(
                "no-licence-consent",
                "the applicant's home region gave no consent to check licences",
                422,
                actor=actor(staff),
                detail={"case": case.number},
            )
        return token, str(case.matter.get("name", ""))


def verify_for_case(
    desk: CaseDesk, staff: StaffAccount, number: str, *, material: str, identifier: str
) -> dict[str, Any]:
    require_role(staff, "clerk", action="check licences")
    token, matter_name = _prepare(desk, staff, number, material)
    try:
        result = verification.verify_remote(
            desk.node,
            scenario=WINDOW_SCENARIO,
            consent_token=token,
            identifier=identifier.strip(),
            service_name=f"跨省通办专窗 / cross-region window: {matter_name}",
        )
    except ExchangeRefused as refusal:
        raise Refused(
            refusal.reason,
            refusal.message,
            refusal.status,
            event="case.licence-refused",
            actor=actor(staff),
            peer=refusal.peer,
            detail={"case": number, "material": material},
        ) from None
    licence = result["licence"]
    licence_type = get_type(str(licence.get("type", "")))
    type_name = licence_type.name if licence_type else str(licence.get("type", ""))

    def record(session: Session, case: Case, now: datetime) -> CaseLicence:
        listed = next(m for m in case.matter["materials"] if m.get("code") == material)
        if type_name not in listed.get("licence_types", []):
            raise intake.IntakeRefused(
                "licence-type-mismatch",
                f"a {type_name} does not replace {listed.get('name', material)}",
            )
        return intake.record_licence(
            session,
            case=case,
            material=material,
            licence_type=type_name,
            identifier=str(licence.get("identifier", identifier)),
            issuer_region=verification.issuer_region_of(str(licence.get("identifier", identifier))),
            status=str(result["status"]),
            fields=dict(result.get("fields", {})),
            evidence=str(result.get("response", "")),
            now=now,
        )

    from interregion.cases.operations import change

    row = change(
        desk,
        staff,
        number,
        record,
        event="case.licence-verified",
        detail={"material": material, "type": type_name, "status": result["status"]},
    )
    return {
        "material": row.material,
        "licence_type": row.licence_type,
        "identifier": row.identifier,
        "issuer_region": row.issuer_region,
        "status": row.status,
        "fields": row.fields,
        "verified_at": utcnow().isoformat(),
    }
