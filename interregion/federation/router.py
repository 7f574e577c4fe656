"""Public, unauthenticated documents: SAML metadata, the registry copy, JWKS.

Health and readiness (``/healthz``, ``/readyz``) come from the kernel (delta/health.py).
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from fastapi import APIRouter
from starlette.responses import JSONResponse, Response

from delta.http import problem
from interregion.clock import utcnow
from interregion.saml.metadata import build_metadata
from interregion.web.context import WebDep
from signing.errors import SigningError
from signing.truststore import jwks_document
from standards.regions import get

router = APIRouter()
METADATA_TYPE = "application/samlmetadata+xml"
METADATA_REFRESH = timedelta(hours=1)

_metadata_lock = threading.Lock()
_metadata_cache: dict[tuple[str, int, str], tuple[datetime, bytes]] = {}


def _metadata(web: WebDep) -> bytes:
    """Signing RSA-3072 per request is wasteful: one signed copy per hour and registry serial."""
    node, now = web.node, utcnow()
    registry = node.federation()
    key = node.signing_key()
    cache_key = (node.region_code, registry.serial, key.kid)
    with _metadata_lock:
        cached = _metadata_cache.get(cache_key)
        if cached is not None and now - cached[0] < METADATA_REFRESH:
            return cached[1]
    region = get(node.region_code)
    document = build_metadata(
        node.member(), name_en=region.name_en if region else node.region_code, key=key, now=now
    )
    with _metadata_lock:
        _metadata_cache.clear()
        _metadata_cache[cache_key] = (now, document)
    return document


@router.get("/saml/metadata")
def metadata(web: WebDep) -> Response:
    try:
        document = _metadata(web)
    except SigningError as error:
        return problem(503, "Service Unavailable", f"metadata unavailable: {error.reason}")
    return Response(document, media_type=METADATA_TYPE, headers={"Cache-Control": "max-age=3600"})


@router.get("/federation/registry")
def registry_copy(web: WebDep) -> Response:
    """The last registry this node verified (compact JWS), so peers and tools can fetch it."""
    path = web.node.folder / "registry.jws"
    if not path.exists():
        return problem(503, "Service Unavailable", "no verified federation registry yet")
    return Response(path.read_text("ascii").strip(), media_type="application/jose")


@router.get("/federation/jwks")
def jwks(web: WebDep) -> Response:
    member = web.node.member()
    keys = [key.trusted(issuer=member.entity_id) for key in member.keys]
    return JSONResponse(jwks_document(keys), media_type="application/jwk-set+json")
