"""JWT issue/verify and the attacks on it, each with its own error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest

from signing.errors import (
    AlgorithmNotAllowed,
    ConfigurationError,
    ForbiddenHeader,
    InvalidClaim,
    IssuedInFuture,
    KeyExpired,
    LifetimeTooLong,
    MalformedToken,
    MissingClaim,
    MissingKeyId,
    ReplayedToken,
    SignatureInvalid,
    TokenExpired,
    TokenNotYetValid,
    UnknownKeyId,
    UnsignedToken,
    WrongAudience,
    WrongIssuer,
    WrongTokenType,
)
from signing.jwks import b64url_encode, public_jwk
from signing.jwt import (
    IDENTITY_ASSERTION,
    LICENCE_VERIFICATION_REQUEST,
    decode_unverified,
    issue_jwt,
    verify_jwt,
)
from signing.keys import Purpose, SigningKey, trusted_key, utcnow
from signing.replay import MemoryReplayCache
from signing.truststore import TrustStore

ISS = "https://310000.delta.test/saml/metadata"
AUD = "https://320000.delta.test/saml/metadata"
TYP = LICENCE_VERIFICATION_REQUEST


@pytest.fixture(params=["rsa", "ec", "ed"])
def key(
    request: pytest.FixtureRequest, rsa_key: SigningKey, ec_key: SigningKey, ed_key: SigningKey
) -> SigningKey:
    return {"rsa": rsa_key, "ec": ec_key, "ed": ed_key}[request.param]


@pytest.fixture(scope="module")
def store(rsa_key: SigningKey, ec_key: SigningKey, ed_key: SigningKey) -> TrustStore:
    return TrustStore(k.trusted(issuer=ISS) for k in (rsa_key, ec_key, ed_key))


def verify(token: str, store: TrustStore, **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "trust": store,
        "issuer": ISS,
        "audience": AUD,
        "typ": TYP,
        "replay_cache": MemoryReplayCache(),
        **overrides,
    }
    return verify_jwt(token, **options)


def issue(key: SigningKey, claims: dict[str, Any] | None = None, **overrides: Any) -> str:
    options: dict[str, Any] = {"key": key, "issuer": ISS, "audience": AUD, "typ": TYP, **overrides}
    return issue_jwt(claims or {"licence": "1.2.156.3005.2.x"}, **options)


def forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    def part(value: dict[str, Any]) -> str:
        return b64url_encode(json.dumps(value).encode())

    return f"{part(header)}.{part(claims)}.{b64url_encode(signature)}"


def claims_now(**overrides: Any) -> dict[str, Any]:
    now = int(utcnow().timestamp())
    return {
        "iss": ISS,
        "aud": AUD,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "j1",
        **overrides,
    }


# --- the happy path --------------------------------------------------------------------


def test_issued_token_verifies(key: SigningKey, store: TrustStore) -> None:
    claims = verify(issue(key), store)
    assert claims["licence"] == "1.2.156.3005.2.x"
    assert claims["iss"] == ISS
    assert claims["aud"] == AUD
    assert claims["exp"] - claims["iat"] == 300
    header = decode_unverified(issue(key)).header
    assert header == {"alg": key.jws_algorithms[0], "kid": key.kid, "typ": TYP}


def test_typ_compares_like_rfc7515(ec_key: SigningKey, store: TrustStore) -> None:
    token = issue(ec_key, typ="application/Licence-Verification-Request+JWT")
    assert verify(token, store)["iss"] == ISS


def test_audience_list_contains_us(ec_key: SigningKey, store: TrustStore) -> None:
    assert verify(issue(ec_key, audience=["other", AUD]), store)["aud"] == ["other", AUD]


def test_registered_claims_cannot_be_smuggled_in(ec_key: SigningKey) -> None:
    with pytest.raises(ConfigurationError):
        issue(ec_key, {"exp": 9999999999})


def test_signing_refuses_algorithms_off_the_keys_list(rsa_key: SigningKey) -> None:
    with pytest.raises(ConfigurationError):
        issue(rsa_key, algorithm="HS256")
    with pytest.raises(ConfigurationError):
        issue(rsa_key, algorithm="ES256")


# --- algorithm attacks -----------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(ec_key: SigningKey, store: TrustStore, alg: str) -> None:
    token = forge({"alg": alg, "typ": TYP, "kid": ec_key.kid}, claims_now())
    with pytest.raises(UnsignedToken):
        verify(token, store)


def test_hs256_signed_with_the_public_key_is_refused(
    rsa_key: SigningKey, store: TrustStore
) -> None:
    # Algorithm confusion (CVE-2022-29217 family): the "secret" is the public key PEM.
    header = {"alg": "HS256", "typ": TYP, "kid": rsa_key.kid}
    unsigned = forge(header, claims_now()).rsplit(".", 1)[0]
    secret = rsa_key.trusted(issuer=ISS).public_pem()
    mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    with pytest.raises(AlgorithmNotAllowed):
        verify(f"{unsigned}.{b64url_encode(mac)}", store)


def test_algorithm_must_be_on_the_keys_allow_list(rsa_key: SigningKey) -> None:
    ps256_only = TrustStore(
        [
            trusted_key(
                rsa_key.public_key,
                issuer=ISS,
                purposes={Purpose.JWT},
                validity=rsa_key.validity,
                jws_algorithms=["PS256"],
            )
        ]
    )
    with pytest.raises(AlgorithmNotAllowed):
        verify(issue(rsa_key, algorithm="RS256"), ps256_only)


def test_ec_key_cannot_be_used_with_an_rsa_algorithm(ec_key: SigningKey, store: TrustStore) -> None:
    header = {"alg": "RS256", "typ": TYP, "kid": ec_key.kid}
    with pytest.raises(AlgorithmNotAllowed):
        verify(forge(header, claims_now(), b"x" * 256), store)


# --- key resolution --------------------------------------------------------------------


def test_unknown_kid_is_refused(attacker_key: SigningKey, store: TrustStore) -> None:
    with pytest.raises(UnknownKeyId):
        verify(issue(attacker_key), store)


@pytest.mark.parametrize(
    "kid",
    [
        "../../../../../../dev/null",
        "/etc/passwd",
        "' OR '1'='1",
        "..\\..\\windows\\win.ini",
        "file:///etc/passwd",
        "key\x00.pem",
        "https://attacker.example/key.pem",
    ],
)
def test_kid_path_injection_is_just_an_unknown_kid(
    attacker_key: SigningKey, store: TrustStore, kid: str
) -> None:
    token = pyjwt.encode(
        claims_now(), attacker_key.private_key, algorithm="PS256", headers={"kid": kid, "typ": TYP}
    )
    with pytest.raises(UnknownKeyId):
        verify(token, store)


def test_missing_kid_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    token = pyjwt.encode(claims_now(), ec_key.private_key, algorithm="ES256", headers={"typ": TYP})
    with pytest.raises(MissingKeyId):
        verify(token, store)


def test_kid_of_another_issuer_is_unknown_here(ec_key: SigningKey) -> None:
    elsewhere = TrustStore([ec_key.trusted(issuer="https://other.test")])
    with pytest.raises(UnknownKeyId):
        verify(issue(ec_key), elsewhere)


@pytest.mark.parametrize("header", ["jku", "x5u"])
def test_jku_and_x5u_pointing_elsewhere_are_refused(
    attacker_key: SigningKey, ec_key: SigningKey, store: TrustStore, header: str
) -> None:
    for signer in (attacker_key, ec_key):
        token = pyjwt.encode(
            claims_now(),
            signer.private_key,
            algorithm=signer.jws_algorithms[0],
            headers={"kid": signer.kid, "typ": TYP, header: "https://attacker.example/jwks.json"},
        )
        with pytest.raises(ForbiddenHeader):
            verify(token, store)


def test_embedded_jwk_and_x5c_are_refused(attacker_key: SigningKey, store: TrustStore) -> None:
    for name, value in (("jwk", public_jwk(attacker_key.public_key)), ("x5c", ["MIIB"])):
        token = pyjwt.encode(
            claims_now(),
            attacker_key.private_key,
            algorithm="PS256",
            headers={"kid": attacker_key.kid, "typ": TYP, name: value},
        )
        with pytest.raises(ForbiddenHeader):
            verify(token, store)


def test_crit_extensions_are_refused(ec_key: SigningKey, store: TrustStore) -> None:
    token = pyjwt.encode(
        {**claims_now(), "x": 1},
        ec_key.private_key,
        algorithm="ES256",
        headers={"kid": ec_key.kid, "typ": TYP, "crit": ["exp"]},
    )
    with pytest.raises(ForbiddenHeader):
        verify(token, store)


def test_expired_key_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    later = ec_key.validity.not_after + timedelta(seconds=1)
    token = issue(ec_key, now=later - timedelta(days=1))
    with pytest.raises(KeyExpired):
        verify(token, store, now=later)


# --- claims ----------------------------------------------------------------------------


def test_expired_token_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    token = issue(ec_key, lifetime=timedelta(seconds=60), now=utcnow() - timedelta(minutes=5))
    with pytest.raises(TokenExpired):
        verify(token, store)


def test_expiry_allows_the_leeway(ec_key: SigningKey, store: TrustStore) -> None:
    token = issue(ec_key, lifetime=timedelta(seconds=60), now=utcnow() - timedelta(seconds=70))
    assert verify(token, store, leeway=timedelta(seconds=30))
    with pytest.raises(TokenExpired):
        verify(token, store, leeway=timedelta(seconds=0))


def test_token_not_yet_valid_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    claims = claims_now()
    claims["nbf"] = claims["iat"] + 120
    token = pyjwt.encode(
        claims, ec_key.private_key, algorithm="ES256", headers={"kid": ec_key.kid, "typ": TYP}
    )
    with pytest.raises(TokenNotYetValid):
        verify(token, store)


def test_token_issued_in_the_future_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    token = issue(ec_key, now=utcnow() + timedelta(minutes=10))
    with pytest.raises((TokenNotYetValid, IssuedInFuture)):
        verify(token, store)
    claims = claims_now()
    claims["iat"] += 600
    claims["exp"] += 600
    forged = pyjwt.encode(
        claims, ec_key.private_key, algorithm="ES256", headers={"kid": ec_key.kid, "typ": TYP}
    )
    with pytest.raises(IssuedInFuture):
        verify(forged, store)


def test_overlong_lifetime_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    with pytest.raises(LifetimeTooLong):
        verify(issue(ec_key, lifetime=timedelta(days=30)), store)


def test_wrong_audience_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    with pytest.raises(WrongAudience):
        verify(issue(ec_key, audience="https://330000.delta.test"), store)


def test_wrong_issuer_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    # Signed by a key trusted for ISS, but claiming to come from someone else.
    with pytest.raises(WrongIssuer):
        verify(issue(ec_key, issuer="https://340000.delta.test"), store)


def test_wrong_typ_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    with pytest.raises(WrongTokenType):
        verify(issue(ec_key, typ=IDENTITY_ASSERTION), store)
    token = pyjwt.encode(
        claims_now(), ec_key.private_key, algorithm="ES256", headers={"kid": ec_key.kid}
    )
    with pytest.raises(WrongTokenType):  # pyjwt's default "JWT" is not a message kind
        verify(token, store)


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "nbf", "iat", "jti"])
def test_every_registered_claim_is_required(
    ec_key: SigningKey, store: TrustStore, claim: str
) -> None:
    claims = claims_now()
    del claims[claim]
    token = pyjwt.encode(
        claims, ec_key.private_key, algorithm="ES256", headers={"kid": ec_key.kid, "typ": TYP}
    )
    with pytest.raises(MissingClaim):
        verify(token, store)


@pytest.mark.parametrize(
    ("claim", "value"), [("exp", "tomorrow"), ("nbf", True), ("jti", 7), ("aud", [1]), ("jti", "")]
)
def test_claims_of_the_wrong_type_are_refused(
    ec_key: SigningKey, store: TrustStore, claim: str, value: Any
) -> None:
    token = pyjwt.encode(
        claims_now(**{claim: value}),
        ec_key.private_key,
        algorithm="ES256",
        headers={"kid": ec_key.kid, "typ": TYP},
    )
    with pytest.raises((InvalidClaim, MissingClaim)):
        verify(token, store)


def test_replayed_jti_is_refused(ec_key: SigningKey, store: TrustStore) -> None:
    cache = MemoryReplayCache()
    token = issue(ec_key)
    verify(token, store, replay_cache=cache)
    with pytest.raises(ReplayedToken):
        verify(token, store, replay_cache=cache)


def test_default_replay_cache_is_process_wide(ec_key: SigningKey, store: TrustStore) -> None:
    token = issue(ec_key)
    verify_jwt(token, trust=store, issuer=ISS, audience=AUD, typ=TYP)
    with pytest.raises(ReplayedToken):
        verify_jwt(token, trust=store, issuer=ISS, audience=AUD, typ=TYP)


def test_forged_token_does_not_burn_the_real_jti(ec_key: SigningKey, store: TrustStore) -> None:
    cache = MemoryReplayCache()
    real = issue(ec_key, jti="shared-jti")
    header, payload, signature = real.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(SignatureInvalid):
        verify(tampered, store, replay_cache=cache)
    assert verify(real, store, replay_cache=cache)["jti"] == "shared-jti"


# --- malformed input -------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.e30.",
        "x" * 70_000,
        "e30.e30.e30",
        "eyJhbGciOiJFUzI1NiJ9==.e30.AA",
    ],
)
def test_malformed_tokens_are_refused(store: TrustStore, token: str) -> None:
    with pytest.raises(MalformedToken):
        verify(token, store)


def test_duplicate_json_members_are_refused(ec_key: SigningKey, store: TrustStore) -> None:
    header = (
        base64.urlsafe_b64encode(
            f'{{"alg":"ES256","typ":"{TYP}","kid":"{ec_key.kid}","kid":"x"}}'.encode()
        )
        .rstrip(b"=")
        .decode()
    )
    with pytest.raises(MalformedToken):
        verify(f"{header}.e30.AAAA", store)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(
    ec_key: SigningKey, store: TrustStore, constant: str
) -> None:
    # NaN compares false with everything: "exp": NaN would otherwise pass every time check.
    now = int(utcnow().timestamp())
    body = (
        f'{{"iss":"{ISS}","aud":"{AUD}","iat":{constant},"nbf":{constant},'
        f'"exp":{constant},"jti":"nan-{now}"}}'
    ).encode()
    from signing.jws import sign_jws

    token = sign_jws(body, key=ec_key, purpose=Purpose.JWT, typ=TYP)
    with pytest.raises(MalformedToken):
        verify(token, store)
