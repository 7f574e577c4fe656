"""Content negotiation on ``/dataset/{name}`` and ``/``, as ckanext-dcat offers it.

A client whose ``Accept`` prefers Turtle, RDF/XML, JSON-LD or N3 gets the
dataset (or the catalogue's first page) in that form; every other request --
browsers, ``*/*``, no header -- goes on to whatever serves the page, untouched
but for ``Vary: Accept``. Being middleware, it needs nothing from the page's
router and the page needs nothing from it.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from delta.errors import DomainError
from delta.http import problem_from
from open_portal.dcat import router, service
from standards import rdf_formats

_DATASET_PAGE = re.compile(r"^/dataset/(?P<ref>[A-Za-z0-9_-]{1,100})/?$")


class RdfNegotiation:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        match = _DATASET_PAGE.match(path)
        if match is None and path != "/":
            await self.app(scope, receive, send)
            return
        rdf_format = rdf_formats.negotiate(Headers(scope=scope).get("accept"))
        if rdf_format is None:
            await self.app(scope, receive, _vary_accept(send))
            return
        portal = scope["app"].state.portal
        try:
            if match is not None:
                response = await router.dataset_response(portal, match["ref"], rdf_format)
            else:
                response = await router.catalog_response(portal, rdf_format, service.CatalogQuery())
        except DomainError as exc:
            response = problem_from(exc)
            response.headers["Vary"] = "Accept"
        await response(scope, receive, send)


def _vary_accept(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            vary = headers.get("vary")
            if not vary:
                headers["Vary"] = "Accept"
            elif "accept" not in vary.lower():
                headers["Vary"] = f"{vary}, Accept"
        await send(message)

    return wrapped
