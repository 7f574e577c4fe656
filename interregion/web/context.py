"""What every handler of a node needs, as one typed dependency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import RedirectResponse, Response

from interregion.node import Node
from interregion.saml.errors import SamlRefused
from interregion.web.cookies import CookieJar
from interregion.web.csrf import csrf_ok
from interregion.web.pages import Pages


@dataclass(frozen=True)
class NodeWeb:
    node: Node
    cookies: CookieJar
    pages: Pages

    def csrf_ok(self, request: Request, token: str) -> bool:
        return csrf_ok(request, self.cookies, token=token, own_url=self.node.member().base_url)

    def csrf_refusal(self, request: Request) -> Response:
        audit = self.node.audit.append(
            event="web.csrf", outcome="refused", reason="csrf", detail={"path": request.url.path}
        )
        return self.pages.refusal(
            request,
            reason="csrf",
            message="表单已过期或来源不明，请返回重试 / The form expired or came from elsewhere.",
            status=403,
            audit=audit,
        )

    def saml_refusal(
        self, request: Request, refusal: SamlRefused, *, event: str, now: datetime
    ) -> Response:
        """Every refused SAML message: an audit record, then a clear page naming it."""
        seq = self.node.audit.append(
            event=event,
            outcome="refused",
            reason=refusal.reason,
            peer=refusal.peer,
            detail={"message": refusal.message, **refusal.detail},
            now=now,
        )
        return self.pages.refusal(
            request, reason=refusal.reason, message=refusal.message, status=403, audit=seq
        )

    def autopost(
        self, request: Request, *, action: str, fields: dict[str, str], title: str
    ) -> Response:
        return self.pages.render(
            request, "autopost.html", {"action": action, "fields": fields, "title": title}
        )


def get_web(request: Request) -> NodeWeb:
    web: NodeWeb = request.app.state.web
    return web


WebDep = Annotated[NodeWeb, Depends(get_web)]


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})
