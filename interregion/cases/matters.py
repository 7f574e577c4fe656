"""Signed matter lists: each region signs its own; every node reads and verifies everyone's.

A node signs its list as a compact JWS (``typ delta-matter-list+jws``) with
its registry key and serves it to everyone at ``/cases/matters`` and to
other nodes over the exchange (kind ``case-matters``). Other nodes fetch it,
verify it against the registry (issuer = that region's entity ID)
and keep the last good copy in ``case_matter_list``: a window can take a
case in for a region whose node is down, with that region's last list.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from interregion.cases.catalogue import matter_list_document
from interregion.cases.models import MatterListCopy
from interregion.exchange import ExchangeRefused
from signing.errors import SigningError
from signing.jws import parse_json_object, sign_jws, verify_jws
from signing.keys import Purpose
from standards.regions import DELTA_PROVINCES

if TYPE_CHECKING:
    from interregion.node import Node

log = logging.getLogger(__name__)
MATTER_LIST_TYP = "delta-matter-list+jws"


class MatterListUnavailable(Exception):
    """No verified list of that region is at hand (never fetched, or it failed to verify)."""


class UnknownRegion(ValueError):
    """Not a region of the federation: the caller's mistake (a 404), not an outage (a 503)."""


@dataclass(frozen=True)
class MatterList:
    region: str
    version: int
    matters: list[dict[str, Any]]
    token: str

    def find(self, code: str) -> dict[str, Any] | None:
        return next((m for m in self.matters if m.get("code") == code), None)


def sign_own_list(node: Node, *, now: datetime) -> str:
    body = {**matter_list_document(node.region_code), "issued_at": int(now.timestamp())}
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return sign_jws(
        payload,
        key=node.signing_key(Purpose.JWT),
        purpose=Purpose.JWT,
        typ=MATTER_LIST_TYP,
        now=now,
    )


def verify_list(node: Node, token: str, *, region: str, now: datetime) -> MatterList:
    """The list inside ``token`` if ``region``'s node signed it; else SigningError/ValueError."""
    member = node.federation().member(region)
    verified = verify_jws(
        token,
        trust=node.registry,
        issuer=member.entity_id,
        purpose=Purpose.JWT,
        typ=MATTER_LIST_TYP,
        now=now,
    )
    body = parse_json_object(verified.payload, "matter list")
    matters = body.get("matters")
    if body.get("region") != region or not isinstance(matters, list):
        raise ValueError("the list is not about that region")
    version = body.get("version")
    if not isinstance(version, int):
        raise ValueError("the list has no version")
    return MatterList(region, version, [m for m in matters if isinstance(m, dict)], token)


class MatterLists:
    """This node's view of every region's list (its own signed fresh, others cached)."""

    def __init__(self, node: Node, *, ttl: timedelta) -> None:
        self._node = node
        self._ttl = ttl
        self._own: tuple[datetime, str] | None = None

    def own_token(self, *, now: datetime) -> str:
        # Re-signed hourly (and after a key rotation the registry announces, at the next hour).
        if self._own is None or now - self._own[0] > timedelta(hours=1):
            self._own = (now, sign_own_list(self._node, now=now))
        return self._own[1]

    def get(self, region: str, *, now: datetime) -> MatterList:
        if region not in DELTA_PROVINCES:
            raise UnknownRegion(f"{region} is not a region of the federation")
        if region == self._node.region_code:
            return verify_list(self._node, self.own_token(now=now), region=region, now=now)
        with self._node.transaction() as session:
            copy = session.get(MatterListCopy, region)
            cached = (copy.token, copy.fetched_at) if copy else None
        if cached and now - cached[1] < self._ttl:
            try:
                return verify_list(self._node, cached[0], region=region, now=now)
            except (SigningError, ValueError):
                pass  # e.g. the key was retired since: fetch again
        try:
            return self._fetch(region, now=now)
        except (ExchangeRefused, SigningError, ValueError, KeyError) as error:
            log.warning("matter list of %s: %s", region, type(error).__name__)
            if cached:
                try:
                    return verify_list(self._node, cached[0], region=region, now=now)
                except (SigningError, ValueError):
                    pass
            raise MatterListUnavailable(f"no verified matter list of {region}") from None

    def _fetch(self, region: str, *, now: datetime) -> MatterList:
        from interregion.cases.protocol import MATTERS

        exchanged = self._node.exchange.call(MATTERS, peer_region=region, claims={}, now=now)
        token = exchanged.claims.get("signed_list")
        if not isinstance(token, str):
            raise ValueError("no signed_list")
        listed = verify_list(self._node, token, region=region, now=now)
        try:
            with self._node.transaction() as session:
                copy = session.get(MatterListCopy, region) or MatterListCopy(region=region)
                copy.token, copy.version, copy.fetched_at = token, listed.version, now
                session.add(copy)
        except IntegrityError:
            pass  # another request stored the same list a moment ago
        return listed
