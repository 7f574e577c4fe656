"""Pages without a staff login: the applicant's tracking (case number + query code, or after
logging in at home through this node's cross-region login), and the statistics (page, JSON, the
monthly open-data export)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from starlette.responses import JSONResponse, Response

from delta.assets import vendor_url
from delta.http import problem
from interregion.cases import numbers, statistics, views
from interregion.cases.models import Case, CaseEvent
from interregion.cases.workdays import CHINA
from interregion.clock import utcnow
from interregion.sso import sessions
from interregion.web.context import WebDep, see_other
from standards.regions import name_of

router = APIRouter(tags=["window cases (public)"])
TRACK_ERROR = (
    "案件编号或查询码不正确，或查询已暂时锁定 / "
    "Wrong case number or query code, or locked for a while."
)


def _local(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""


def _public_view(case: Case, events: list[CaseEvent]) -> dict[str, Any]:
    """What the applicant sees: no staff names, no materials, the name masked."""
    name = str(case.applicant.get("name", ""))
    return {
        "number": case.number,
        "matter": f"{case.matter.get('name', '')} / {case.matter.get('name_en', '')}",
        "applicant": (name[:1] + "*" * (len(name) - 1)) if name else "",
        "status": case.status,
        "status_text": views.status_text(case.status),
        "deciding": name_of(case.deciding_region),
        "due": _local(case.due_at),
        "correction": case.correction if case.status == "correction" else {},
        "decision": case.decision,
        "events": [{"at": _local(e.at), "note": e.note} for e in events],
    }


def _track(web: WebDep, number: str, code: str) -> dict[str, Any] | None:
    """The case if the code fits; counts failures per case and locks after too many."""
    node, now = web.node, utcnow()
    settings = node.settings
    number = number.strip().upper()[:32]
    with node.transaction() as session:
        case = session.get(Case, number) if numbers.is_case_number(number) else None
        if case is None or case.side != "accepting" or not case.query_code_hash:
            result, reason = None, "unknown-case"
        elif case.track_locked_until and case.track_locked_until > now:
            result, reason = None, "locked"
        elif not numbers.query_code_matches(
            node.secrets.cookie_key, case.number, code, case.query_code_hash
        ):
            case.track_failures += 1
            if case.track_failures >= settings.case_track_max_failures:
                case.track_locked_until = now + timedelta(minutes=settings.case_track_lock_minutes)
                case.track_failures = 0
            result, reason = None, "wrong-code"
        else:
            case.track_failures = 0
            events = list(
                session.scalars(
                    select(CaseEvent).where(CaseEvent.case_number == number).order_by(CaseEvent.id)
                )
            )
            result, reason = _public_view(case, events), ""
    node.audit.append(
        event="case.tracked",
        outcome="refused" if reason else "ok",
        reason=reason,
        detail={"case": number},
    )
    return result


@router.get("/cases/track", include_in_schema=False)
def track_page(request: Request, web: WebDep, number: str = "", code: str = "") -> Response:
    found = _track(web, number, code) if number and code else None
    error = TRACK_ERROR if number and code and found is None else ""
    return web.pages.render(
        request,
        "case_track.html",
        {"number": number[:32], "found": found, "error": error},
        status=404 if error else 200,
    )


@router.post("/cases/track", include_in_schema=False)
def track_submit(
    request: Request,
    web: WebDep,
    number: Annotated[str, Form(max_length=40)] = "",
    code: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if not web.csrf_ok(request, csrf):
        return web.csrf_refusal(request)
    found = _track(web, number, code)
    return web.pages.render(
        request,
        "case_track.html",
        {"number": number[:32], "found": found, "error": "" if found else TRACK_ERROR},
        status=200 if found else 404,
    )


@router.post("/cases/track.json", summary="Track a case by number and query code (applicants)")
def track_json(
    web: WebDep,
    number: Annotated[str, Form(max_length=40)],
    code: Annotated[str, Form(max_length=20)],
) -> Response:
    found = _track(web, number, code)
    if found is None:
        return problem(404, "Not Found", "wrong case number or query code", reason="not-found")
    return JSONResponse(found, headers={"Cache-Control": "no-store"})


@router.get("/cases/mine", include_in_schema=False)
def my_cases(request: Request, web: WebDep) -> Response:
    """Logged in at home (SAML, through this node's chooser): the cases taken in for them here."""
    node, now = web.node, utcnow()
    with node.transaction() as session:
        row = sessions.load(
            session, web.cookies.read(request, sessions.SP), purpose=sessions.SP, now=now
        )
        identity = dict(row.identity) if row is not None else None
        if identity is None:
            return see_other(f"/sso/choose?{urlencode({'next': '/cases/mine'})}")
        cases = list(
            session.scalars(
                select(Case)
                .where(
                    Case.side == "accepting",
                    Case.applicant_subject == identity["name_id"],
                    Case.applicant_home == identity["home_region"],
                    Case.status != "draft",
                )
                .order_by(Case.created_at.desc())
            )
        )
        views_ = []
        for case in cases:
            events = list(
                session.scalars(
                    select(CaseEvent)
                    .where(CaseEvent.case_number == case.number)
                    .order_by(CaseEvent.id)
                )
            )
            views_.append(_public_view(case, events))
    node.audit.append(
        event="case.mine",
        actor=f"{identity['name_id']}@{identity['home_region']}",
        detail={"cases": len(views_)},
    )
    values = identity.get("values", {})
    return web.pages.render(
        request,
        "case_mine.html",
        {
            "cases": views_,
            "person": values.get("name", ""),
            "id_masked": str(values.get("citizen-id-masked", "")),
        },
    )


# --- statistics ---------------------------------------------------------------------------------


@router.get("/cases/statistics.json", summary="Case statistics of this node (JSON)")
def statistics_json(web: WebDep) -> Response:
    with web.node.transaction() as session:
        body = statistics.summary(session, now=utcnow(), region=web.node.region_code)
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/cases/statistics", include_in_schema=False)
def statistics_page(request: Request, web: WebDep) -> Response:
    with web.node.transaction() as session:
        body = statistics.summary(session, now=utcnow(), region=web.node.region_code)
    month = utcnow().astimezone(CHINA).strftime("%Y-%m")
    return web.pages.render(
        request,
        "case_statistics.html",
        {
            "stats": body,
            "echarts": vendor_url("echarts.min.js"),
            "month": month,
            "names": {code: name_of(code) for code in ("310000", "320000", "330000", "340000")},
        },
    )


def _month_or_problem(month: str) -> Response | None:
    if not statistics.is_month(month):
        return problem(422, "Invalid input", "the month is YYYY-MM", reason="bad-month")
    return None


@router.get("/cases/statistics/{month}.csv", summary="One month's cases decided here (CSV)")
def statistics_csv(web: WebDep, month: str) -> Response:
    if (bad := _month_or_problem(month)) is not None:
        return bad
    with web.node.transaction() as session:
        body = statistics.monthly_csv(session, month=month, now=utcnow())
    name = f"window-cases-{web.node.region_code}-{month}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/cases/statistics/{month}/datapackage.json",
    summary="The month's export as a Frictionless Data Package (for the portal)",
)
def statistics_package(web: WebDep, month: str) -> Response:
    if (bad := _month_or_problem(month)) is not None:
        return bad
    base = web.node.member().base_url
    return JSONResponse(
        statistics.datapackage(
            region=web.node.region_code, month=month, path=f"{base}/cases/statistics/{month}.csv"
        )
    )
