"""JWT identity assertions for the cross-region windows (back channel).

The applicant stands at a window in region A; their home is region B.
1. On B's page (their phone, or the window's tablet) they log in and consent
   to release their data to region A's windows; B shows a one-time code.
2. The window workstation at A asks its own node for the applicant's
   identity with that code; node A sends B a signed request JWT
   (``identity-assertion-request+jwt``, issuer A, audience B).
3. B checks the request's signature against the registry, redeems the code
   (once, only for region A, within five minutes) and answers with an
   ``identity-assertion+jwt`` (issuer B, audience A, ``sub`` the pairwise
   identifier for A) lasting two minutes.
4. A verifies it exactly like a SAML assertion: the registry's key for B,
   audience, time, typ, first use of its ``jti``, and the level asked for.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from interregion.exchange import Accepted, ExchangeRefused, Incoming, MessageKind, Reply
from interregion.exchange.kinds import MAX_MESSAGE_CHARS
from interregion.identity import attributes
from interregion.identity import repository as accounts
from interregion.identity import service as identity
from interregion.identity.levels import Level, UnknownLevel, parse_level
from interregion.identity.models import Account
from interregion.identity.pairwise import pairwise_id
from interregion.window.models import WindowCode
from signing.jwt import IDENTITY_ASSERTION

if TYPE_CHECKING:
    from interregion.node import Node

IDENTITY_ASSERTION_REQUEST = "identity-assertion-request+jwt"
CODE_LIFETIME = timedelta(minutes=5)
REQUEST_LIFETIME = timedelta(minutes=1)
ASSERTION_LIFETIME = timedelta(minutes=2)
# Crockford-style alphabet: no I, L, O, U to misread; 12 characters = 60 bits.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
MAX_BACK_CHANNEL_CHARS = MAX_MESSAGE_CHARS

# The back channel is one kind of the nodes' signed exchange (interregion/exchange).
IDENTITY_ASSERTION_KIND = MessageKind(
    name="identity-assertion",
    request_typ=IDENTITY_ASSERTION_REQUEST,
    response_typ=IDENTITY_ASSERTION,
    endpoint="identity_assertion",
    requester_role="case-window",
    responder_role="identity-provider",
    request_lifetime=REQUEST_LIFETIME,
    response_lifetime=ASSERTION_LIFETIME,
    answered_event="window.assertion-issued",
    accepted_event="window.assertion-accepted",
    refused_event="window.assertion-refused",
)
AssertionRefused = ExchangeRefused  # the name this module used before the exchange existed


def normalise_code(code: str) -> str:
    """Upper case without separators; full-width forms (as IMEs type them) folded to ASCII."""
    return "".join(char for char in unicodedata.normalize("NFKC", code).upper() if char.isalnum())


def is_well_formed_code(normalised: str) -> bool:
    """Twelve characters of our alphabet. ``isalnum`` alone also admits every other script's
    letters and digits, which are no code of ours (and are not ASCII)."""
    return len(normalised) == CODE_CHARS and all(char in _CODE_ALPHABET for char in normalised)


def _code_hash(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("ascii")).hexdigest()


def issue_code(
    session: Session,
    *,
    node: Node,
    account: Account,
    audience_region: str,
    level: Level,
    authn_at: datetime,
    released: list[str],
    full_id_consented: bool,
    now: datetime,
) -> str:
    """A one-time code standing for this consent; shown once, stored only as a hash."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_CHARS))
    session.add(
        WindowCode(
            code_hash=_code_hash(raw),
            account_id=account.id,
            audience_region=audience_region,
            level=level.value,
            authn_at=authn_at,
            released=released,
            full_id_consented=full_id_consented,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


# --- home side --------------------------------------------------------------------------


def _answer(session: Session, *, node: Node, incoming: Incoming) -> Reply:
    peer, now = incoming.peer, incoming.now
    code = incoming.claims.get("code")
    normalised = normalise_code(code) if isinstance(code, str) else ""
    if not is_well_formed_code(normalised):
        raise ExchangeRefused("malformed", "the request carries no well-formed code", 400, peer)
    redeemed = session.execute(
        update(WindowCode)
        .where(
            WindowCode.code_hash == _code_hash(normalised),
            WindowCode.redeemed_at.is_(None),
            WindowCode.expires_at > now,
            WindowCode.audience_region == peer,
        )
        .values(redeemed_at=now)
        .returning(
            WindowCode.account_id, WindowCode.level, WindowCode.authn_at, WindowCode.released
        )
    ).first()
    if redeemed is None:
        raise ExchangeRefused(
            "code-not-valid",
            "the code is unknown, used, expired or meant for another region",
            403,
            peer,
        )
    account_id, level, authn_at, released = redeemed
    account = accounts.get(session, account_id)
    if account is None:
        raise ExchangeRefused("code-not-valid", "the account no longer exists", 403, peer)
    values = identity.attribute_values(account, home_region=node.region_code)
    claims = {
        "sub": pairwise_id(
            node.secrets.pairwise_key,
            account_id=account.id,
            relying_entity_id=incoming.requester.entity_id,
        ),
        "acr": parse_level(level).uri,
        "loa": level,
        "auth_time": int(authn_at.timestamp()),
        "home_region": node.region_code,
        "attributes": {key: values[key] for key in released if key in values},
    }
    from interregion.licences.window import consent_claims  # the window's licence checks

    claims.update(consent_claims(session, node=node, account=account, window_region=peer, now=now))
    return Reply(
        claims,
        detail={
            "released": sorted(claims["attributes"]),
            "licences": len(claims.get("licences", [])),
        },
    )


def answer_request(incoming: Incoming, session: Session, *, node: Node) -> Reply:
    """The exchange handler of the identity back channel (home side)."""
    return _answer(session, node=node, incoming=incoming)


# --- relying (window) side ----------------------------------------------------------------


@dataclass(frozen=True)
class WindowIdentity:
    home_region: str
    subject: str
    level: Level
    values: dict[str, str]
    assertion: str
    # The applicant's consent to check their licences, and which (see interregion.licences.window).
    licence_consent: str = ""
    licences: tuple[dict[str, str], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "home_region": self.home_region,
            "subject": self.subject,
            "level": self.level.value,
            "attributes": self.values,
            "assertion": self.assertion,
            "licence_consent": self.licence_consent,
            "licences": list(self.licences),
        }


def fetch_identity(
    *, node: Node, home_region: str, code: str, min_level: Level, now: datetime
) -> WindowIdentity:
    """Ask the applicant's home node for their identity over the exchange; verify the answer.

    Refusals raise :class:`ExchangeRefused`; those from the exchange are already audited
    (``audit_record`` set), a malformed code is refused before anything is sent.
    """
    normalised = normalise_code(code)
    if not is_well_formed_code(normalised):
        raise ExchangeRefused("malformed", "a code has twelve letters and digits", 422, home_region)
    found: list[WindowIdentity] = []

    def accept(claims: dict[str, Any]) -> Accepted:
        identity_ = _identity_from(claims, home_region=home_region, min_level=min_level)
        found.append(identity_)
        return Accepted(
            actor=f"{identity_.subject}@{home_region}",
            detail={"level": identity_.level.value, "attributes": sorted(identity_.values)},
        )

    exchanged = node.exchange.call(
        IDENTITY_ASSERTION_KIND,
        peer_region=home_region,
        claims={"code": normalised},
        accept=accept,
        now=now,
    )
    return replace(found[0], assertion=exchanged.response)


def _identity_from(claims: dict[str, Any], *, home_region: str, min_level: Level) -> WindowIdentity:
    subject, raw_values = claims.get("sub"), claims.get("attributes")
    if not isinstance(subject, str) or not subject or not isinstance(raw_values, dict):
        raise ExchangeRefused(
            "malformed", "the assertion lacks a subject or attributes", 403, home_region
        )
    if claims.get("home_region") != home_region:
        raise ExchangeRefused(
            "malformed", "the assertion is about another region", 403, home_region
        )
    try:
        level = parse_level(str(claims.get("acr", "")))
    except UnknownLevel:
        raise ExchangeRefused(
            "unknown-level", "unknown level of assurance", 403, home_region
        ) from None
    if not level.meets(min_level):
        raise ExchangeRefused(
            "level-too-low",
            f"the window needs {min_level.value}, got {level.value}",
            403,
            home_region,
        )
    values = {
        key: str(value)[:500]
        for key, value in raw_values.items()
        if key in attributes.BY_KEY and isinstance(value, str)
    }
    consent, licences = claims.get("licence_consent", ""), claims.get("licences", [])
    listed = tuple(
        {
            "identifier": str(item.get("identifier", ""))[:120],
            "name": str(item.get("name", ""))[:100],
        }
        for item in (licences if isinstance(licences, list) else [])[:32]
        if isinstance(item, dict)
    )
    return WindowIdentity(
        home_region, subject, level, values, "",
        consent if isinstance(consent, str) else "", listed,
    )  # fmt: skip
