"""signing/jwt.py pinned down: every refusal of a claim set by type and exact message, each
time boundary on both sides, and what ``issue_jwt`` writes.

Written for the survivors of the full mutation run (scripts/mutation-run signing, no
sample). The key is valid only around T0 (March 2026), so code that read the wall clock
instead of the ``now`` it was given would fail here.
"""

from __future__ import annotations

import base64
import json
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signing.errors import (
    ConfigurationError,
    InvalidClaim,
    IssuedInFuture,
    LifetimeTooLong,
    MalformedToken,
    MissingClaim,
    ReplayedToken,
    SigningError,
    TokenExpired,
    TokenNotYetValid,
    UnknownKeyId,
    WrongAudience,
    WrongIssuer,
)
from signing.jws import parse_compact, sign_jws
from signing.jwt import (
    DEFAULT_LEEWAY,
    MAX_LIFETIME,
    REQUIRED_CLAIMS,
    _check_claims,
    _numeric_date,
    decode_unverified,
    default_replay_cache,
    issue_jwt,
    verify_jwt,
)
from signing.keys import Purpose, SigningKey, Validity, generate_private_key, signing_key
from signing.replay import MemoryReplayCache, replay_key
from signing.truststore import TrustStore

A, B = "https://a.test", "https://b.test"
TYP = "test+jwt"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NOW = int(T0.timestamp())
LEEWAY = timedelta(seconds=30)
# Valid a day either side of T0 and never on the wall clock of a test run after 2 March 2026.
VALIDITY = Validity(T0 - timedelta(days=1), T0 + timedelta(days=1))


@pytest.fixture(scope="module")
def rsa_jwt_key() -> SigningKey:
    return signing_key(generate_private_key("rsa"), purposes={Purpose.JWT}, validity=VALIDITY)


@pytest.fixture(scope="module")
def ec_jwt_key() -> SigningKey:
    return signing_key(generate_private_key("ec-p256"), purposes={Purpose.JWT}, validity=VALIDITY)


def _claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": A, "aud": B, "jti": "j-1", "iat": NOW, "nbf": NOW, "exp": NOW + 300,
    }  # fmt: skip
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not ...}


def _check(claims: dict[str, Any], **options: Any) -> None:
    settings: dict[str, Any] = {
        "issuer": A, "audience": B, "now": T0, "leeway": LEEWAY, "max_lifetime": MAX_LIFETIME,
    }  # fmt: skip
    settings.update(options)
    _check_claims(claims, **settings)


def _refusal(claims: dict[str, Any], **options: Any) -> tuple[type[Exception], str]:
    with pytest.raises(SigningError) as refused:
        _check(claims, **options)
    return type(refused.value), str(refused.value)


def _payload(token: str) -> bytes:
    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# --- _check_claims ---------------------------------------------------------------------


def test_a_complete_claim_set_passes() -> None:
    _check(_claims())
    _check(_claims(aud=[A, B]))


@pytest.mark.parametrize("name", REQUIRED_CLAIMS)
def test_each_registered_claim_missing_or_null_is_named(name: str) -> None:
    assert _refusal(_claims(**{name: ...})) == (MissingClaim, f"claim {name!r} is required")
    assert _refusal(_claims(**{name: None})) == (MissingClaim, f"claim {name!r} is required")


def test_a_claim_that_is_falsy_but_present_is_not_missing() -> None:
    # Only absence (or null) is "missing"; an empty jti is refused for what it is.
    assert _refusal(_claims(jti="")) == (InvalidClaim, "jti must be a non-empty string")
    assert _refusal(_claims(iss="")) == (WrongIssuer, f"token is not from {A!r}")


def test_another_issuer_is_named() -> None:
    assert _refusal(_claims(iss=B)) == (WrongIssuer, f"token is not from {A!r}")


@pytest.mark.parametrize("aud", [{B: 1}, [B, 1], [B, None], 7, b"https://b.test", (B,)])
def test_an_audience_that_is_not_a_string_or_list_of_strings_is_refused(aud: Any) -> None:
    assert _refusal(_claims(aud=aud)) == (InvalidClaim, "aud must be a string or a list of strings")


def test_another_audience_is_named() -> None:
    assert _refusal(_claims(aud=A)) == (WrongAudience, f"token is not for {B!r}")
    assert _refusal(_claims(aud=[A, "https://c.test"])) == (
        WrongAudience,
        f"token is not for {B!r}",
    )
    # The string audience is one audience, not its characters.
    assert _refusal(_claims(aud="xy"), audience="x") == (WrongAudience, "token is not for 'x'")
    assert _refusal(_claims(aud=B + "/x")) == (WrongAudience, f"token is not for {B!r}")


@pytest.mark.parametrize("jti", [7, ["j"], "", "x" * 257])
def test_an_unusable_jti_is_refused(jti: Any) -> None:
    assert _refusal(_claims(jti=jti)) == (InvalidClaim, "jti must be a non-empty string")


def test_a_jti_of_one_and_of_256_characters_passes() -> None:
    _check(_claims(jti="j"))
    _check(_claims(jti="x" * 256))


@pytest.mark.parametrize("name", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", [True, False, "1", float("nan"), float("inf"), -float("inf")])
def test_a_time_claim_that_is_not_a_numeric_date_is_refused(name: str, value: Any) -> None:
    assert _refusal(_claims(**{name: value})) == (InvalidClaim, f"{name} must be a NumericDate")


def test_numeric_dates_may_be_integers_or_floats() -> None:
    assert _numeric_date({"exp": 5}, "exp") == 5.0
    assert _numeric_date({"exp": 5.5}, "exp") == 5.5
    assert isinstance(_numeric_date({"exp": 5}, "exp"), float)
    _check(_claims(iat=NOW + 0.5, nbf=NOW + 0.5, exp=NOW + 300.5))


def test_expiry_boundary_with_the_leeway() -> None:
    # Expired when exp <= now - leeway; one second later it is still good.
    _check(_claims(iat=NOW - 200, nbf=NOW - 200, exp=NOW - 29))
    assert _refusal(_claims(iat=NOW - 200, nbf=NOW - 200, exp=NOW - 30)) == (
        TokenExpired, "token has expired",
    )  # fmt: skip
    # Without leeway the boundary is the moment itself.
    _check(_claims(iat=NOW - 200, nbf=NOW - 200, exp=NOW + 1), leeway=timedelta(0))
    assert _refusal(_claims(iat=NOW - 200, nbf=NOW - 200, exp=NOW), leeway=timedelta(0)) == (
        TokenExpired, "token has expired",
    )  # fmt: skip


def test_not_before_boundary_with_the_leeway() -> None:
    _check(_claims(nbf=NOW + 30))
    assert _refusal(_claims(nbf=NOW + 31)) == (TokenNotYetValid, "token is not valid yet")
    _check(_claims(nbf=NOW), leeway=timedelta(0))
    assert _refusal(_claims(nbf=NOW + 1), leeway=timedelta(0)) == (
        TokenNotYetValid, "token is not valid yet",
    )  # fmt: skip


def test_issued_at_boundary_with_the_leeway() -> None:
    _check(_claims(iat=NOW + 30))
    assert _refusal(_claims(iat=NOW + 31)) == (
        IssuedInFuture, "token claims to be issued in the future",
    )  # fmt: skip
    _check(_claims(iat=NOW), leeway=timedelta(0))
    assert _refusal(_claims(iat=NOW + 1), leeway=timedelta(0))[0] is IssuedInFuture


def test_the_checks_run_in_order() -> None:
    # nbf in the future AND iat in the future: the nbf refusal comes first.
    assert _refusal(_claims(nbf=NOW + 100, iat=NOW + 100))[0] is TokenNotYetValid
    # Expired and too long: expiry first.
    assert _refusal(_claims(iat=NOW - 9000, exp=NOW - 100))[0] is TokenExpired


def test_lifetime_boundary() -> None:
    hour = int(MAX_LIFETIME.total_seconds())
    _check(_claims(iat=NOW, exp=NOW + hour))
    assert _refusal(_claims(iat=NOW, exp=NOW + hour + 1)) == (
        LifetimeTooLong, "token lives longer than 1:00:00",
    )  # fmt: skip
    # The lifetime is exp - iat, not exp - nbf.
    _check(_claims(iat=NOW, nbf=NOW - 10 * hour, exp=NOW + hour))
    hundred_before = _claims(iat=NOW - 100, nbf=NOW, exp=NOW + 60)
    assert _refusal(hundred_before, max_lifetime=timedelta(seconds=159)) == (
        LifetimeTooLong, "token lives longer than 0:02:39",
    )  # fmt: skip
    _check(_claims(iat=NOW - 100, nbf=NOW, exp=NOW + 60), max_lifetime=timedelta(seconds=160))


# --- issue_jwt -------------------------------------------------------------------------


def test_issue_jwt_writes_the_registered_claims(ec_jwt_key: SigningKey) -> None:
    token = issue_jwt(
        {"sub": "上海", "n": 1}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP,
        lifetime=timedelta(seconds=90), jti="the-jti", now=T0,
    )  # fmt: skip
    raw = _payload(token)
    # Compact JSON, non-ASCII as UTF-8 (not \u escapes), claims first then the registered ones.
    assert (
        raw
        == (
            '{"sub":"上海","n":1,"iss":"https://a.test","aud":"https://b.test",'
            f'"iat":{NOW},"nbf":{NOW},"exp":{NOW + 90},"jti":"the-jti"}}'
        ).encode()
    )
    header = parse_compact(token).header
    assert header == {"alg": "ES256", "kid": ec_jwt_key.kid, "typ": TYP}


def test_issue_jwt_keeps_an_audience_list_as_a_list(ec_jwt_key: SigningKey) -> None:
    token = issue_jwt({}, key=ec_jwt_key, issuer=A, audience=(B, A), typ=TYP, now=T0)
    claims = json.loads(_payload(token))
    assert claims["aud"] == [B, A]
    assert claims["exp"] - claims["iat"] == 300  # the default lifetime: five minutes
    assert len(claims["jti"]) == 24


def test_issue_jwt_truncates_a_fractional_moment(ec_jwt_key: SigningKey) -> None:
    token = issue_jwt(
        {}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP,
        lifetime=timedelta(seconds=1.9), now=T0 + timedelta(seconds=0.7),
    )  # fmt: skip
    claims = json.loads(_payload(token))
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (NOW, NOW, NOW + 1)


def test_issue_jwt_signs_with_the_algorithm_asked_for(rsa_jwt_key: SigningKey) -> None:
    default = issue_jwt({}, key=rsa_jwt_key, issuer=A, audience=B, typ=TYP, now=T0)
    assert parse_compact(default).header["alg"] == "PS256"
    chosen = issue_jwt(
        {}, key=rsa_jwt_key, issuer=A, audience=B, typ=TYP, algorithm="RS256", now=T0
    )
    assert parse_compact(chosen).header["alg"] == "RS256"


def test_issue_jwt_uses_the_moment_and_purpose_given(ec_jwt_key: SigningKey) -> None:
    # The key is not valid on the wall clock: issuing must use ``now``.
    late = T0 + timedelta(days=2)
    with pytest.raises(ConfigurationError) as refused:
        issue_jwt({}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, now=late)
    assert str(refused.value) == (
        f"key {ec_jwt_key.kid} expired at {VALIDITY.not_after.isoformat()}"
    )
    with pytest.raises(ConfigurationError) as wrong_purpose:
        issue_jwt({}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, purpose="saml", now=T0)
    assert str(wrong_purpose.value) == f"key {ec_jwt_key.kid} is not for 'saml'"


@pytest.mark.parametrize("seconds", [0, -1])
def test_a_lifetime_that_is_not_positive_is_refused(ec_jwt_key: SigningKey, seconds: int) -> None:
    with pytest.raises(ConfigurationError) as refused:
        issue_jwt(
            {}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP,
            lifetime=timedelta(seconds=seconds), now=T0,
        )  # fmt: skip
    assert str(refused.value) == "lifetime must be positive"


def test_a_lifetime_of_one_second_is_allowed(ec_jwt_key: SigningKey) -> None:
    token = issue_jwt(
        {}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, lifetime=timedelta(seconds=1), now=T0
    )
    assert json.loads(_payload(token))["exp"] == NOW + 1


def test_registered_claims_passed_in_are_named_sorted(ec_jwt_key: SigningKey) -> None:
    with pytest.raises(ConfigurationError) as refused:
        issue_jwt(
            {"jti": 1, "aud": 2, "x": 3}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, now=T0
        )
    assert str(refused.value) == "registered claims ['aud', 'jti'] are set by issue_jwt itself"


# --- verify_jwt ------------------------------------------------------------------------


def test_verify_jwt_round_trip_on_the_moment_given(ec_jwt_key: SigningKey) -> None:
    trust = TrustStore([ec_jwt_key.trusted(issuer=A)])
    cache = MemoryReplayCache()
    token = issue_jwt({"x": 1}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, jti="r1", now=T0)
    claims = verify_jwt(
        token, trust=trust, issuer=A, audience=B, typ=TYP, replay_cache=cache, now=T0
    )
    assert claims == {
        "x": 1, "iss": A, "aud": B, "iat": NOW, "nbf": NOW, "exp": NOW + 300, "jti": "r1",
    }  # fmt: skip
    assert len(cache) == 1
    # Recorded under the issuer's key, until exp + the default leeway.
    assert cache.first_use(
        replay_key(A, "r1"), expires_at=T0 + timedelta(seconds=400), now=T0 + timedelta(seconds=329)
    ) is False  # fmt: skip
    assert timedelta(seconds=30) == DEFAULT_LEEWAY
    assert cache.first_use(
        replay_key(A, "r1"), expires_at=T0 + timedelta(seconds=400), now=T0 + timedelta(seconds=330)
    ) is True  # fmt: skip
    with pytest.raises(ReplayedToken) as replayed:
        verify_jwt(token, trust=trust, issuer=A, audience=B, typ=TYP, replay_cache=cache, now=T0)
    assert str(replayed.value) == "this token (jti) has been used before"


def test_verify_jwt_without_a_cache_uses_the_process_wide_one(ec_jwt_key: SigningKey) -> None:
    trust = TrustStore([ec_jwt_key.trusted(issuer=A)])
    jti = f"process-wide-{id(trust)}"
    token = issue_jwt({}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, jti=jti, now=T0)
    before = len(default_replay_cache())
    verify_jwt(token, trust=trust, issuer=A, audience=B, typ=TYP, now=T0)
    assert len(default_replay_cache()) == before + 1
    with pytest.raises(ReplayedToken):
        verify_jwt(token, trust=trust, issuer=A, audience=B, typ=TYP, now=T0)


def test_verify_jwt_passes_its_leeway_and_lifetime_on(ec_jwt_key: SigningKey) -> None:
    trust = TrustStore([ec_jwt_key.trusted(issuer=A)])
    token = issue_jwt({}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, jti="l1", now=T0)
    later = T0 + timedelta(seconds=310)
    # Within the default leeway of 30 s after exp ...
    verify_jwt(token, trust=trust, issuer=A, audience=B, typ=TYP,
               replay_cache=MemoryReplayCache(), now=later)  # fmt: skip
    # ... but not with a leeway of 5 s.
    with pytest.raises(TokenExpired):
        verify_jwt(token, trust=trust, issuer=A, audience=B, typ=TYP,
                   replay_cache=MemoryReplayCache(), leeway=timedelta(seconds=5),
                   now=later)  # fmt: skip
    with pytest.raises(LifetimeTooLong) as too_long:
        verify_jwt(token, trust=trust, issuer=A, audience=B, typ=TYP,
                   replay_cache=MemoryReplayCache(), max_lifetime=timedelta(seconds=299),
                   now=T0)  # fmt: skip
    assert str(too_long.value) == "token lives longer than 0:04:59"


def test_verify_jwt_checks_the_audience_and_purpose(ec_jwt_key: SigningKey) -> None:
    trust = TrustStore([ec_jwt_key.trusted(issuer=A)])
    token = issue_jwt({}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, jti="p1", now=T0)
    with pytest.raises(WrongAudience):
        verify_jwt(token, trust=trust, issuer=A, audience=A, typ=TYP,
                   replay_cache=MemoryReplayCache(), now=T0)  # fmt: skip
    with pytest.raises(UnknownKeyId) as other_purpose:
        verify_jwt(token, trust=trust, issuer=A, audience=B, typ=TYP, purpose="saml",
                   replay_cache=MemoryReplayCache(), now=T0)  # fmt: skip
    assert str(other_purpose.value) == f"no key with this kid is trusted for issuer {A!r}"


def test_decode_unverified_reads_header_and_claims(ec_jwt_key: SigningKey) -> None:
    token = issue_jwt({"x": 1}, key=ec_jwt_key, issuer=A, audience=B, typ=TYP, jti="d1", now=T0)
    read = decode_unverified(token)
    assert read.header == {"alg": "ES256", "kid": ec_jwt_key.kid, "typ": TYP}
    assert read.claims["x"] == 1
    assert read.claims["jti"] == "d1"


def test_decode_unverified_names_unreadable_claims() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"ES256"}').rstrip(b"=").decode()
    with pytest.raises(MalformedToken) as refused:
        decode_unverified(f"{header}.{base64.urlsafe_b64encode(b'[1]').decode()}.")
    assert str(refused.value) == "claims is not a JSON object"
    with pytest.raises(MalformedToken) as broken:
        decode_unverified(f"{header}.bm90.")
    assert str(broken.value) == "claims is not JSON"


def test_issue_jwt_writes_any_sequence_of_audiences_as_a_list(ec_jwt_key: SigningKey) -> None:
    token = issue_jwt({}, key=ec_jwt_key, issuer=A, audience=deque([B, A]), typ=TYP, now=T0)
    assert json.loads(_payload(token))["aud"] == [B, A]


def test_verify_jwt_names_a_payload_that_is_not_a_claim_set(ec_jwt_key: SigningKey) -> None:
    trust = TrustStore([ec_jwt_key.trusted(issuer=A)])
    for payload, message in ((b"[1]", "claims is not a JSON object"), (b"{", "claims is not JSON")):
        token = sign_jws(payload, key=ec_jwt_key, purpose="jwt", typ=TYP, now=T0)
        with pytest.raises(MalformedToken) as refused:
            verify_jwt(token, trust=trust, issuer=A, audience=B, typ=TYP,
                       replay_cache=MemoryReplayCache(), now=T0)  # fmt: skip
        assert str(refused.value) == message
