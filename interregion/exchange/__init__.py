"""The one signed-message protocol between nodes (X-Road style): every service speaks it.

A requester node sends ``POST {"request": <JWT>}`` to the responder's
endpoint (listed in the registry); the responder answers ``200
{"response": <JWT>}`` or a problem+json refusal with a ``reason``. Both JWTs
carry ``iss``/``aud``/``jti``/``iat``/``exp`` and a ``typ`` per message kind;
the response carries the SHA-256 of the exact request it answers. Keys come
from the federation registry only, every ``jti`` is accepted once (the node's
replay cache), bodies and the HTTP hop are bounded, and both sides write an
audit record for every message, accepted or refused.

Public API (kept stable; add, don't break):

* :class:`MessageKind` -- one kind of exchange (typ values, endpoint, roles, lifetimes);
* :class:`ExchangeRefused` -- a structured refusal with a reason code;
* :class:`Incoming`, :class:`Reply`, :class:`Exchanged`, :class:`Accepted`;
* :class:`Exchange` -- the node-bound requester (``call``) and responder (``answer``);
* :func:`exchange_route` -- a FastAPI route serving one kind; :func:`exchange_response` the
  same for a route written by hand (whose handler needs more than the request);
* ``Exchange.fetch`` -- a bounded GET of a peer's public document (status lists);
* :func:`request_sha256` and the pure :mod:`interregion.exchange.protocol` functions.
"""

from interregion.exchange.errors import ExchangeRefused
from interregion.exchange.kinds import MessageKind
from interregion.exchange.protocol import (
    Exchanged,
    Incoming,
    issue_request,
    issue_response,
    request_sha256,
    verify_request,
    verify_response,
)
from interregion.exchange.route import ExchangeBody, exchange_response, exchange_route
from interregion.exchange.service import Accepted, Exchange, Reply

__all__ = [
    "Accepted",
    "Exchange",
    "ExchangeBody",
    "ExchangeRefused",
    "Exchanged",
    "Incoming",
    "MessageKind",
    "Reply",
    "exchange_response",
    "exchange_route",
    "issue_request",
    "issue_response",
    "request_sha256",
    "verify_request",
    "verify_response",
]
