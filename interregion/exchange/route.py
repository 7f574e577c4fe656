"""Serve one kind of exchange at its endpoint: ``POST {"request": JWT}``."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from delta.http import PROBLEM
from interregion.exchange.kinds import MAX_MESSAGE_CHARS, MessageKind
from interregion.exchange.service import Handler
from interregion.web.context import WebDep


class ExchangeBody(BaseModel):
    request: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


Route = Callable[[ExchangeBody, WebDep], Response]


def exchange_response(web: WebDep, kind: MessageKind, token: str, handler: Handler) -> Response:
    """Answer one request of ``kind`` as JSON (or problem+json) -- for routes written by hand."""
    status, payload = web.node.exchange.answer(kind, token, handler)
    return JSONResponse(
        payload,
        status_code=status,
        media_type="application/json" if status == 200 else PROBLEM,
        headers={"Cache-Control": "no-store"},
    )


def exchange_route(kind: MessageKind, handler: Handler) -> Route:
    def route(body: ExchangeBody, web: WebDep) -> Response:
        return exchange_response(web, kind, body.request, handler)

    route.__name__ = f"exchange_{kind.name.replace('-', '_')}"
    route.__doc__ = f"Exchange endpoint for {kind.name}: a signed request in, a signed answer out."
    return route
