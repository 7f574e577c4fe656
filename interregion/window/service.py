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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from delta import request_id
from interregion.identity import attributes
from interregion.identity import repository as accounts
from interregion.identity import service as identity
from interregion.identity.levels import Level, UnknownLevel, parse_level
from interregion.identity.models import Account
from interregion.identity.pairwise import pairwise_id
from interregion.window.models import WindowCode
from signing.errors import SigningError
from signing.jwt import IDENTITY_ASSERTION, decode_unverified, issue_jwt, verify_jwt

if TYPE_CHECKING:
    from interregion.node import Node

IDENTITY_ASSERTION_REQUEST = "identity-assertion-request+jwt"
CODE_LIFETIME = timedelta(minutes=5)
REQUEST_LIFETIME = timedelta(minutes=1)
ASSERTION_LIFETIME = timedelta(minutes=2)
# Crockford-style alphabet: no I, L, O, U to misread; 12 characters = 60 bits.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 12
BACK_CHANNEL_TIMEOUT_SECONDS = 10
MAX_BACK_CHANNEL_CHARS = 64 * 1024


@dataclass
class AssertionRefused(Exception):
    reason: str
    message: str
    status: int = 400
    peer: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


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


def answer_request(session: Session, *, node: Node, token: str, now: datetime) -> tuple[str, str]:
    """Verify a window's request JWT and redeem its code; returns (assertion JWT, peer region)."""
    try:
        claimed_issuer = str(decode_unverified(token).claims.get("iss", ""))
    except SigningError:
        raise AssertionRefused("malformed", "the request is not a JWT") from None
    try:
        requester = node.federation().member_by_entity_id(claimed_issuer)
    except KeyError:
        raise AssertionRefused(
            "unknown-issuer", "the requester is not a federation member", 403
        ) from None
    try:
        claims = verify_jwt(
            token,
            trust=node.registry,
            issuer=requester.entity_id,
            audience=node.entity_id,
            typ=IDENTITY_ASSERTION_REQUEST,
            replay_cache=node.replay_cache,
            max_lifetime=REQUEST_LIFETIME,
            now=now,
        )
    except SigningError as error:
        raise AssertionRefused(
            error.reason, "the request was refused", 403, requester.region_code
        ) from None
    code = claims.get("code")
    normalised = normalise_code(code) if isinstance(code, str) else ""
    if not is_well_formed_code(normalised):
        raise AssertionRefused(
            "malformed", "the request carries no well-formed code", 400, requester.region_code
        )
    redeemed = session.execute(
        update(WindowCode)
        .where(
            WindowCode.code_hash == _code_hash(normalised),
            WindowCode.redeemed_at.is_(None),
            WindowCode.expires_at > now,
            WindowCode.audience_region == requester.region_code,
        )
        .values(redeemed_at=now)
        .returning(
            WindowCode.account_id, WindowCode.level, WindowCode.authn_at, WindowCode.released
        )
    ).first()
    if redeemed is None:
        raise AssertionRefused(
            "code-not-valid",
            "the code is unknown, used, expired or meant for another region",
            403,
            requester.region_code,
        )
    account_id, level, authn_at, released = redeemed
    account = accounts.get(session, account_id)
    if account is None:
        raise AssertionRefused(
            "code-not-valid", "the account no longer exists", 403, requester.region_code
        )
    values = identity.attribute_values(account, home_region=node.region_code)
    assertion = issue_jwt(
        {
            "sub": pairwise_id(
                node.secrets.pairwise_key,
                account_id=account.id,
                relying_entity_id=requester.entity_id,
            ),
            "acr": parse_level(level).uri,
            "loa": level,
            "auth_time": int(authn_at.timestamp()),
            "home_region": node.region_code,
            "attributes": {key: values[key] for key in released if key in values},
        },
        key=node.signing_key("jwt"),
        issuer=node.entity_id,
        audience=requester.entity_id,
        typ=IDENTITY_ASSERTION,
        lifetime=ASSERTION_LIFETIME,
        now=now,
    )
    return assertion, requester.region_code


# --- relying (window) side ----------------------------------------------------------------


@dataclass(frozen=True)
class WindowIdentity:
    home_region: str
    subject: str
    level: Level
    values: dict[str, str]
    assertion: str

    def as_json(self) -> dict[str, Any]:
        return {
            "home_region": self.home_region,
            "subject": self.subject,
            "level": self.level.value,
            "attributes": self.values,
            "assertion": self.assertion,
        }


def fetch_identity(
    *, node: Node, home_region: str, code: str, min_level: Level, now: datetime
) -> WindowIdentity:
    """Ask the applicant's home node for their identity; verify what comes back."""
    home = next((m for m in node.federation().members if m.region_code == home_region), None)
    if home is None or "identity_assertion" not in home.endpoints:
        raise AssertionRefused("unknown-region", "there is no home node for this region", 404)
    normalised = normalise_code(code)
    if not is_well_formed_code(normalised):
        raise AssertionRefused(
            "malformed", "a code has twelve letters and digits", 422, home_region
        )
    request = issue_jwt(
        {"code": normalised},
        key=node.signing_key("jwt"),
        issuer=node.entity_id,
        audience=home.entity_id,
        typ=IDENTITY_ASSERTION_REQUEST,
        lifetime=REQUEST_LIFETIME,
        now=now,
    )
    try:
        response = httpx.post(
            home.endpoints["identity_assertion"],
            json={"request": request},
            headers=request_id.forward_headers(),  # one request ID in both nodes' logs
            timeout=BACK_CHANNEL_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except httpx.HTTPError:
        raise AssertionRefused(
            "home-unreachable", "the home node did not answer", 502, home_region
        ) from None
    body = _json_object(response)
    if response.status_code != 200:
        reason = str(body.get("reason", "refused-by-home"))[:64]
        raise AssertionRefused(reason, "the home node refused the request", 403, home_region)
    token = body.get("assertion")
    if not isinstance(token, str) or len(token) > MAX_BACK_CHANNEL_CHARS:
        raise AssertionRefused("malformed", "the home node sent no assertion", 502, home_region)
    try:
        claims = verify_jwt(
            token,
            trust=node.registry,
            issuer=home.entity_id,
            audience=node.entity_id,
            typ=IDENTITY_ASSERTION,
            replay_cache=node.replay_cache,
            max_lifetime=ASSERTION_LIFETIME,
            now=now,
        )
    except SigningError as error:
        raise AssertionRefused(
            error.reason, "the identity assertion was refused", 403, home_region
        ) from None
    return _identity_from(claims, token=token, home_region=home_region, min_level=min_level)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    if len(response.content) > MAX_BACK_CHANNEL_CHARS:
        raise AssertionRefused("malformed", "the home node's answer is too large", 502)
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _identity_from(
    claims: dict[str, Any], *, token: str, home_region: str, min_level: Level
) -> WindowIdentity:
    subject, raw_values = claims.get("sub"), claims.get("attributes")
    if not isinstance(subject, str) or not subject or not isinstance(raw_values, dict):
        raise AssertionRefused(
            "malformed", "the assertion lacks a subject or attributes", 403, home_region
        )
    if claims.get("home_region") != home_region:
        raise AssertionRefused(
            "malformed", "the assertion is about another region", 403, home_region
        )
    try:
        level = parse_level(str(claims.get("acr", "")))
    except UnknownLevel:
        raise AssertionRefused(
            "unknown-level", "unknown level of assurance", 403, home_region
        ) from None
    if not level.meets(min_level):
        raise AssertionRefused(
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
    return WindowIdentity(home_region, subject, level, values, token)
