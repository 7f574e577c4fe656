"""How cases look from outside: JSON for the API, values for the pages, the receipt and its QR."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import segno
from starlette.responses import Response

from interregion.cases.intake import manifest_licence, manifest_material, masked_applicant
from interregion.cases.models import Case, CaseEvent, CaseLicence, CaseMaterial

if TYPE_CHECKING:
    from interregion.cases.operations import CaseView

STATUS_TEXT = {
    "draft": ("草稿", "Draft"),
    "submitted": ("已收件，待受理", "Received, awaiting acceptance"),
    "accepted": ("已受理", "Accepted"),
    "correction": ("待补正", "More materials needed"),
    "approved": ("办结（准予）", "Decided: approved"),
    "refused": ("办结（不予许可）", "Decided: refused"),
    "not-accepted": ("不予受理", "Not accepted"),
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def status_text(status: str) -> str:
    zh, en = STATUS_TEXT.get(status, (status, status))
    return f"{zh} / {en}"


def summary_json(case: Case, *, now: datetime) -> dict[str, Any]:
    from interregion.cases.operations import is_overdue

    return {
        "number": case.number,
        "side": case.side,
        "status": case.status,
        "matter": {
            "code": case.matter_code,
            "name": case.matter.get("name"),
            "name_en": case.matter.get("name_en"),
        },
        "accepting_region": case.accepting_region,
        "accepting_window": case.accepting_window,
        "deciding_region": case.deciding_region,
        "department": case.department,
        "applicant": masked_applicant(case),
        "submitted_at": _iso(case.submitted_at),
        "delivered_at": _iso(case.delivered_at),
        "accepted_at": _iso(case.accepted_at),
        "due_at": _iso(case.due_at),
        "decided_at": _iso(case.decided_at),
        "overdue": is_overdue(case, now),
    }


def material_json(row: CaseMaterial) -> dict[str, Any]:
    return {**manifest_material(row), "added_at": row.added_at.isoformat()}


def licence_json(row: CaseLicence) -> dict[str, Any]:
    shown = {k: v for k, v in manifest_licence(row).items() if k != "evidence"}
    return {**shown, "verified_at": row.verified_at.isoformat()}


def event_json(row: CaseEvent) -> dict[str, Any]:
    return {
        "at": row.at.isoformat(),
        "kind": row.kind,
        "status": row.status,
        "actor": row.actor,
        "note": row.note,
        "seq": row.seq,
    }


def case_json(view: CaseView) -> dict[str, Any]:
    case = view.case
    return {
        **summary_json(case, now=datetime.now(tz=case.updated_at.tzinfo)),
        "overdue": view.overdue,
        "time_limit_days": case.time_limit_days,
        "materials_required": case.matter.get("materials", []),
        "materials_missing": view.missing,
        "materials": [material_json(m) for m in view.materials],
        "licences": [licence_json(lic) for lic in view.licences],
        "licences_offered": case.licence_consent.get("licences", []),
        "consent_signed": bool(case.consent),
        "correction": case.correction,
        "decision": case.decision,
        "events": [event_json(e) for e in view.events],
    }


def tracking_url(base_url: str, number: str, code: str = "") -> str:
    query = {"number": number, **({"code": code} if code else {})}
    return f"{base_url}/cases/track?{urlencode(query)}"


def qr_svg(text: str) -> str:
    """An inline SVG QR code (no script, no external file: fits the pages' CSP)."""
    return str(segno.make(text, error="m").svg_inline(scale=4, title="QR"))


def receipt_json(case: Case, code: str, *, base_url: str) -> dict[str, Any]:
    url = tracking_url(base_url, case.number, code)
    return {
        "number": case.number,
        "query_code": code,
        "tracking_url": url,
        "qr_svg": qr_svg(url),
        "matter": {"code": case.matter_code, "name": case.matter.get("name")},
        "deciding_region": case.deciding_region,
        "submitted_at": _iso(case.submitted_at),
        "time_limit_days": case.time_limit_days,
        "applicant": masked_applicant(case),
    }


def material_response(row: CaseMaterial, data: bytes) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(row.filename)}"
    return Response(
        data,
        media_type=row.media_type,
        headers={
            "Content-Disposition": disposition,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
