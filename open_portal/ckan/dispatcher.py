"""``/api/3/action/{name}`` and ``/api/action/{name}``: one route for every action."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from datasets.storage import Upload
from delta.errors import DomainError, ValidationFailed
from open_portal.accounts import service as accounts
from open_portal.accounts.tokens import from_header
from open_portal.ckan import envelope, registry
from open_portal.ckan.registry import ActionContext, ActionSpec
from open_portal.ckan.request_data import read_action_data
from open_portal.runtime import Portal

log = logging.getLogger(__name__)

router = APIRouter()


def help_url(portal: Portal, name: str) -> str:
    return f"{portal.settings.site_url.rstrip('/')}/api/3/action/help_show?name={name}"


@router.api_route("/api/3/action/{name}", methods=["GET", "POST"], include_in_schema=False)
@router.api_route("/api/action/{name}", methods=["GET", "POST"], include_in_schema=False)
async def action_endpoint(name: str, request: Request) -> Response:
    portal: Portal = request.app.state.portal
    spec = registry.get(name)
    if spec is None:
        return envelope.bad_request(
            help_url(portal, "help_show"), f"Action name not known: {name[:100]}"
        )
    url = help_url(portal, name)
    try:
        data, uploads = await read_action_data(
            request,
            side_effect_free=spec.side_effect_free,
            body_limit=portal.settings.max_json_body_bytes,
        )
    except DomainError as exc:
        return envelope.from_error(url, exc)
    data.pop("callback", None)
    token = from_header(request.headers.get("authorization")) or from_header(
        request.headers.get("x-ckan-api-key")
    )
    return await run_in_threadpool(
        _execute, portal=portal, spec=spec, data=data, uploads=uploads, token=token, url=url
    )


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
    except DomainError as exc:
        return envelope.from_error(url, exc)
    except IntegrityError:
        # Two requests raced for the same name or id; the loser changed nothing.
        conflict = ValidationFailed.on(
            "message", "Another change to the same object happened at the same time; retry"
        )
        return envelope.from_error(url, conflict)
    except Exception:
        log.exception("action %s failed", spec.name)
        return envelope.internal_error(url)
    return envelope.success(url, result)
