"""``/api/3/action/{name}`` and ``/api/action/{name}``: one route for every action."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from datasets import policy, repository
from datasets.policy import Action
from datasets.storage import Upload
from delta import observability
from delta.db import is_contention
from delta.errors import DomainError, NotAuthorized, ValidationFailed
from open_portal.accounts import service as accounts
from open_portal.accounts.tokens import from_header
from open_portal.ckan import envelope, registry
from open_portal.ckan.registry import ActionContext, ActionSpec
from open_portal.ckan.request_data import Gate, UploadTarget, read_action_data
from open_portal.runtime import Portal
from search.errors import SearchQueryError

log = logging.getLogger(__name__)

router = APIRouter()

# Actions that store a file part (``upload``); others read file parts only as form data.
UPLOAD_ACTIONS = frozenset({"resource_create", "resource_update", "resource_patch"})


def help_url(portal: Portal, name: str) -> str:
    return f"{portal.settings.site_url.rstrip('/')}/api/3/action/help_show?name={name}"


async def action_endpoint(request: Request) -> Response:
    # A plain Starlette route: FastAPI's parameter solving cost a tenth of a cached read.
    # FastAPI's routes put themselves in the scope for the metrics' route label; this one
    # is named here (delta/observability.py): include_router re-creates a plain Route,
    # so a Route subclass naming itself would not survive into the app.
    request.scope.setdefault(
        "route",
        _ROUTES[
            "/api/3/action/{name}"
            if request.scope["path"].startswith("/api/3/")
            else "/api/action/{name}"
        ],
    )
    if request.method not in ("GET", "POST"):
        raise HTTPException(405, headers={"Allow": "GET, POST"})
    name: str = request.path_params["name"]
    portal: Portal = request.app.state.portal
    spec = registry.get(name)
    if spec is None:
        return envelope.bad_request(
            help_url(portal, "help_show"), f"Action name not known: {name[:100]}"
        )
    observability.label_action(request, spec.name)
    url = help_url(portal, name)
    token = from_header(request.headers.get("authorization")) or from_header(
        request.headers.get("x-ckan-api-key")
    )
    target = UploadTarget(
        storage=portal.storage,
        max_bytes=portal.settings.max_upload_bytes,
        gate=_upload_gate(portal, spec.name, token),
        accepts_files=spec.name in UPLOAD_ACTIONS,
    )
    try:
        data, uploads = await read_action_data(
            request,
            side_effect_free=spec.side_effect_free,
            body_limit=portal.settings.max_json_body_bytes,
            uploads=target,
        )
    except DomainError as exc:
        return envelope.from_error(url, exc)
    data.pop("callback", None)
    try:
        return await run_in_threadpool(
            _execute, portal=portal, spec=spec, data=data, uploads=uploads, token=token, url=url
        )
    finally:
        # Files the action's unit did not keep (it failed, or never used them) go now.
        for upload in uploads.values():
            if upload.staged is not None:
                await run_in_threadpool(upload.staged.discard)


# Starlette lets HEAD in with GET; the endpoint refuses it (a HEAD must not run an action).
_ROUTES = {
    path: Route(path, action_endpoint, methods=["GET", "POST"], include_in_schema=False)
    for path in ("/api/3/action/{name}", "/api/action/{name}")
}
router.routes.extend(_ROUTES.values())


def _upload_gate(portal: Portal, action_name: str, token: str | None) -> Gate:
    """Refuses a file part before any byte of it is stored, unless the caller may write it."""

    async def gate(fields: dict[str, Any]) -> None:
        await run_in_threadpool(_check_may_upload, portal, action_name, fields, token)

    return gate


def _check_may_upload(
    portal: Portal, action_name: str, fields: dict[str, Any], token: str | None
) -> None:
    with portal.sessions() as session:
        user = accounts.user_for_token(session, token) if token else None
        actor = accounts.principal_for(session, user)
        ref = fields.get("package_id" if action_name == "resource_create" else "id")
        package = None
        if isinstance(ref, str) and ref:
            if action_name == "resource_create":
                package = repository.find_package(session, ref)
            else:
                resource = repository.find_resource(session, ref)
                package = resource.package if resource is not None else None
        # Without the target yet (fields after the file), at least be an editor somewhere.
        allowed = (
            policy.can(actor, Action.UPDATE, policy.Dataset.of(package))
            if package is not None
            else policy.can(actor, Action.UPLOAD, policy.SITE)
        )
        if not allowed:
            if actor.is_anonymous:
                raise NotAuthorized("You must be logged in to upload files")
            raise NotAuthorized(f"User {actor.name} not authorized to upload files here")


def _execute(
    *,
    portal: Portal,
    spec: ActionSpec,
    data: dict[str, Any],
    uploads: dict[str, Upload],
    token: str | None,
    url: str,
) -> Response:
    try:
        with portal.unit_of_work() as unit:
            user = accounts.user_for_token(unit.session, token) if token else None
            ctx = ActionContext(
                unit=unit,
                actor=accounts.principal_for(unit.session, user),
                user=user,
                portal=portal,
                uploads=uploads,
            )
            result = spec.fn(ctx, data)
    except (DomainError, SearchQueryError) as exc:
        return envelope.from_error(url, exc)
    except (IntegrityError, StaleDataError, OperationalError) as exc:
        if isinstance(exc, OperationalError) and not is_contention(exc):
            log.exception("action %s failed", spec.name)
            return envelope.internal_error(url)
        # Two requests raced for the same object (a name, an id, a row); the one
        # refused changed nothing and may simply try again.
        conflict = ValidationFailed.on(
            "message", "Another change to the same object happened at the same time; retry"
        )
        return envelope.from_error(url, conflict)
    except Exception:
        log.exception("action %s failed", spec.name)
        return envelope.internal_error(url)
    return envelope.success(url, result)
