"""Pages act as the browser's user through the CKAN action registry itself.

A page asks for ``package_search`` exactly as an API client does -- the same
function, parameters and access checks -- so the two always agree, and no
page decides access or runs a query of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from datasets.policy import Principal
from datasets.storage import Upload
from delta.errors import NotAuthorized, NotFound, ValidationFailed
from open_portal.accounts import browser
from open_portal.accounts import service as accounts
from open_portal.accounts.models import User
from open_portal.ckan import registry
from open_portal.ckan.registry import ActionContext
from open_portal.runtime import Portal
from open_portal.web.cookies import SESSION
from open_portal.web.render import Visit, visit_of


class PageError(Exception):
    """Ends a page with an error page (404, 403, 400)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Act:
    visit: Visit
    portal: Portal
    ctx: ActionContext
    user: User | None
    actor: Principal
    uploads: dict[str, Upload] = field(default_factory=dict)

    def call(self, name: str, data: dict[str, Any] | None = None) -> Any:
        spec = registry.get(name)
        if spec is None:  # a programming error, not input
            raise LookupError(name)
        return spec.fn(self.ctx, dict(data or {}))

    @property
    def session(self) -> Any:
        return self.ctx.session

    def render(self, template: str, context: dict[str, Any], *, status: int = 200) -> Response:
        return self.visit.render(template, context, user=self.user, status=status)


@contextmanager
def acting(request: Request, *, uploads: dict[str, Upload] | None = None) -> Iterator[Act]:
    """One unit of work as the browser's user; domain errors become error pages."""
    portal: Portal = request.app.state.portal
    visit = visit_of(request)
    token = visit.web.cookies.read(request, SESSION)
    try:
        with portal.unit_of_work() as unit:
            user = browser.user_for_session(unit.session, token)
            actor = accounts.principal_for(unit.session, user)
            ctx = ActionContext(
                unit=unit, actor=actor, user=user, portal=portal, uploads=uploads or {}
            )
            yield Act(visit=visit, portal=portal, ctx=ctx, user=user, actor=actor)
    except NotFound as exc:
        raise PageError(404, exc.message) from None
    except NotAuthorized as exc:
        raise PageError(403, exc.message) from None


def perform(
    request: Request,
    name: str,
    data: dict[str, Any],
    *,
    uploads: dict[str, Upload] | None = None,
) -> Any:
    """A write action in its own unit of work: on any error nothing is kept, and
    :class:`ValidationFailed` reaches the caller to show on the form."""
    try:
        with acting(request, uploads=uploads) as act:
            return act.call(name, data)
    except IntegrityError:
        raise ValidationFailed.on(
            "message", "Another change to the same object happened at the same time; retry"
        ) from None
