"""Conditional data in the browser: apply, follow the application, review it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from datasets import policy
from datasets.policy import Action
from delta.errors import ValidationFailed
from open_portal.web.actions import Act, PageError, acting, perform
from open_portal.web.forms import checked
from open_portal.web.render import visit_of

router = APIRouter(include_in_schema=False)

APPLICATION_FIELDS = ("purpose", "applicant_organization", "intended_use",
                      "period_start", "period_end")  # fmt: skip


def _login_first(request: Request) -> RedirectResponse:
    visit = visit_of(request)
    response = RedirectResponse(visit.url("/user/login", next=request.url.path), status_code=303)
    visit.finish(response)
    return response


@router.get("/dataset/{name}/apply")
def apply_form(name: str, request: Request) -> Response:
    with acting(request) as act:
        if act.user is None:
            return _login_first(request)
        package = act.call("package_show", {"id": name})
        return act.render("apply.html", {"package": package, "form": {}, "errors": {}})


@router.post("/dataset/{name}/apply")
async def apply(name: str, request: Request) -> Response:
    fields = checked(request, await request.form())
    return await run_in_threadpool(_apply, request, name, fields)


def _apply(request: Request, name: str, fields: dict[str, Any]) -> Response:
    data = {key: fields.get(key, "") for key in APPLICATION_FIELDS}
    data |= {"package_id": name, "agreement_accepted": fields.get("agreement_accepted") == "on"}
    try:
        created = perform(request, "data_application_create", data)
    except ValidationFailed as exc:
        with acting(request) as act:
            package = act.call("package_show", {"id": name})
            return act.render(
                "apply.html", {"package": package, "form": fields, "errors": exc.errors},
                status=422,
            )  # fmt: skip
    response = RedirectResponse(
        visit_of(request).url(f"/application/{created['id']}"), status_code=303
    )
    visit_of(request).finish(response)
    return response


@router.get("/application/{application_id}")
def application_page(application_id: str, request: Request) -> Response:
    with acting(request) as act:
        if act.user is None:
            return _login_first(request)
        return _application_page(act, application_id, errors={})


def _application_page(
    act: Act, application_id: str, *, errors: dict[str, Any], status: int = 200
) -> Response:
    application = act.call("data_application_show", {"id": application_id})
    package = act.call("package_show", {"id": application["package_id"]})
    decides = policy.Application(application["applicant_id"], package.get("owner_org"))
    reviewer = policy.can(act.actor, Action.DECIDE, decides)
    return act.render(
        "application.html",
        {
            "application": application,
            "package": package,
            "reviewer": reviewer,
            "errors": errors,
            "default_days": act.portal.settings.application_grant_days,
            "max_days": act.portal.settings.application_max_grant_days,
        },
        status=status,
    )


@router.post("/application/{application_id}/decide")
async def decide(application_id: str, request: Request) -> Response:
    fields = checked(request, await request.form())
    return await run_in_threadpool(_decide, request, application_id, fields)


def _decide(request: Request, application_id: str, fields: dict[str, Any]) -> Response:
    data: dict[str, Any] = {
        "id": application_id,
        "decision": fields.get("decision", ""),
        "reason": fields.get("reason") or None,
    }
    if str(fields.get("grant_days", "")).strip():
        data["grant_days"] = fields["grant_days"]
    try:
        perform(request, "data_application_decide", data)
    except ValidationFailed as exc:
        with acting(request) as act:
            return _application_page(act, application_id, errors=exc.errors, status=422)
    response = RedirectResponse(visit_of(request).url("/review"), status_code=303)
    visit_of(request).finish(response)
    return response


@router.get("/review")
def review_queue(request: Request) -> Response:
    with acting(request) as act:
        if act.user is None:
            return _login_first(request)
        listed = act.call("data_application_list", {"state": "pending", "limit": 500})
        queue = [a for a in listed if a["applicant_id"] != act.user.id]
        if not queue and not _is_reviewer(act):
            raise PageError(403, act.visit.gettext("Only an organisation's editors review."))
        return act.render("review.html", {"queue": queue})


def _is_reviewer(act: Act) -> bool:
    return policy.can(act.actor, Action.REVIEW_APPLICATIONS, policy.SITE)
