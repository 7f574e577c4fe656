"""signing/jws.py pinned down: the header policy refusal by refusal (type and exact message),
the size and shape limits of a compact JWS on both sides, the strict JSON reader, and the
refusals of ``sign_jws`` and ``verify_jws``.

Written for the survivors of the full mutation run (scripts/mutation-run signing).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jwt.algorithms import RSAPSSAlgorithm

from signing.errors import (
    AlgorithmNotAllowed,
    ConfigurationError,
    ForbiddenHeader,
    MalformedToken,
    MissingKeyId,
    SignatureInvalid,
    SigningError,
    UnsignedToken,
    WrongTokenType,
)
from signing.jws import (
    MAX_KID_CHARS,
    MAX_TOKEN_CHARS,
    check_header,
    normalise_typ,
    parse_compact,
    parse_json_object,
    register_jws_algorithm,
    sign_jws,
    verify_jws,
)
from signing.keys import Purpose, SigningKey, Validity, generate_private_key, signing_key
from signing.truststore import TrustStore

A = "https://a.test"
TYP = "test+jwt"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VALIDITY = Validity(T0 - timedelta(days=1), T0 + timedelta(days=1))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _header(**members: Any) -> dict[str, Any]:
    header: dict[str, Any] = {"alg": "ES256", "typ": TYP, "kid": "k1"}
    header.update(members)
    return {name: value for name, value in header.items() if value is not ...}


def _refusal(header: dict[str, Any], typ: str = TYP) -> tuple[type[Exception], str]:
    with pytest.raises(SigningError) as refused:
        check_header(header, typ=typ)
    return type(refused.value), str(refused.value)


@pytest.fixture(scope="module")
def ec_jws_key() -> SigningKey:
    return signing_key(generate_private_key("ec-p256"), purposes={Purpose.JWT}, validity=VALIDITY)


@pytest.fixture(scope="module")
def rsa_jws_key() -> SigningKey:
    return signing_key(generate_private_key("rsa"), purposes={Purpose.JWT}, validity=VALIDITY)


# --- check_header ----------------------------------------------------------------------


def test_a_good_header_gives_its_alg_and_kid() -> None:
    assert check_header(_header(), typ=TYP) == ("ES256", "k1")
    assert check_header(_header(alg="PS256", kid="x" * MAX_KID_CHARS), typ=TYP) == (
        "PS256", "x" * 256,
    )  # fmt: skip
    assert check_header(_header(kid="k"), typ=TYP) == ("ES256", "k")


@pytest.mark.parametrize("alg", [..., None, 256, "", ["ES256"]])
def test_a_header_without_a_usable_alg_is_malformed(alg: Any) -> None:
    assert _refusal(_header(alg=alg)) == (MalformedToken, "header without 'alg'")


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_in_any_case_is_an_unsigned_token(alg: str) -> None:
    assert _refusal(_header(alg=alg)) == (
        UnsignedToken, "unsigned tokens (alg=none) are never accepted",
    )  # fmt: skip


@pytest.mark.parametrize("alg", ["HS256", "es256", "XX", "ES256 "])
def test_an_algorithm_not_supported_is_named(alg: str) -> None:
    assert _refusal(_header(alg=alg)) == (AlgorithmNotAllowed, f"algorithm {alg!r} is not accepted")


def test_forbidden_headers_are_named_sorted() -> None:
    header = _header(x5c=["a"], jku="https://evil.test", crit=["b64"])
    assert _refusal(header) == (
        ForbiddenHeader, "header parameters ['crit', 'jku', 'x5c'] are not accepted",
    )  # fmt: skip
    for name in ("jku", "x5u", "jwk", "x5c", "crit"):
        assert _refusal(_header(**{name: None})) == (
            ForbiddenHeader, f"header parameters [{name!r}] are not accepted",
        )  # fmt: skip


@pytest.mark.parametrize("declared", [..., None, 1, "other+jwt", "test+jwt+x", ["test+jwt"]])
def test_a_header_of_another_type_is_refused(declared: Any) -> None:
    assert _refusal(_header(typ=declared)) == (WrongTokenType, f"expected typ {TYP!r}")


@pytest.mark.parametrize("declared", ["TEST+JWT", "application/test+jwt", " Application/Test+JWT "])
def test_typ_compares_case_insensitively_without_application(declared: str) -> None:
    assert check_header(_header(typ=declared), typ=TYP) == ("ES256", "k1")
    # Both sides are normalised.
    assert check_header(_header(typ=TYP), typ=declared) == ("ES256", "k1")
    assert _refusal(_header(typ="other+jwt"), typ=declared) == (
        WrongTokenType, f"expected typ {declared!r}",
    )  # fmt: skip


def test_normalise_typ() -> None:
    assert normalise_typ("  Application/JOSE  ") == "jose"
    assert normalise_typ("application/application/x") == "application/x"
    assert normalise_typ("JWT") == "jwt"
    assert normalise_typ("x-application/jwt") == "x-application/jwt"


@pytest.mark.parametrize("kid", [..., None, 7, "", "x" * (MAX_KID_CHARS + 1), ["k1"]])
def test_a_header_without_a_usable_kid_is_refused(kid: Any) -> None:
    assert _refusal(_header(kid=kid)) == (MissingKeyId, "header without a usable 'kid'")


def test_the_header_checks_run_in_order() -> None:
    # alg first, then forbidden members, then typ, then kid.
    everything_wrong = {"alg": "HS256", "jku": "x", "typ": "x", "kid": ""}
    assert _refusal(everything_wrong)[0] is AlgorithmNotAllowed
    assert _refusal({**everything_wrong, "alg": "ES256"})[0] is ForbiddenHeader
    assert _refusal({"alg": "ES256", "typ": "x", "kid": ""})[0] is WrongTokenType
    assert _refusal({"alg": "none", "jku": "x"})[0] is UnsignedToken


# --- parse_compact and parse_json_object ------------------------------------------------


def _token_of_length(length: int) -> str:
    header = _b64(b'{"alg":"ES256"}')
    # header "." payload "." signature; pick a payload length whose base64url is valid.
    for signature_chars in (0, 2, 3, 4):
        payload_chars = length - len(header) - 2 - signature_chars
        if payload_chars % 4 != 1:
            token = f"{header}.{'A' * payload_chars}.{'A' * signature_chars}"
            assert len(token) == length
            return token
    raise AssertionError("unreachable")


def test_a_token_of_exactly_the_size_limit_is_read_one_more_is_not() -> None:
    assert MAX_TOKEN_CHARS == 65536
    read = parse_compact(_token_of_length(MAX_TOKEN_CHARS))
    assert read.header == {"alg": "ES256"}
    with pytest.raises(MalformedToken) as refused:
        parse_compact(_token_of_length(MAX_TOKEN_CHARS + 1))
    assert str(refused.value) == "token is not a string of acceptable size"


@pytest.mark.parametrize("token", [b"a.b.c", None, 1])
def test_a_token_that_is_not_a_string_is_refused(token: Any) -> None:
    with pytest.raises(MalformedToken) as refused:
        parse_compact(token)
    assert str(refused.value) == "token is not a string of acceptable size"


@pytest.mark.parametrize("token", ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e"])
def test_a_token_without_three_parts_is_refused(token: str) -> None:
    with pytest.raises(MalformedToken) as refused:
        parse_compact(token)
    assert str(refused.value) == "a compact JWS has three parts"


@pytest.mark.parametrize("part", [0, 1, 2])
def test_a_part_that_is_not_base64url_is_refused(part: int) -> None:
    parts = [_b64(b'{"alg":"ES256"}'), _b64(b"{}"), _b64(b"sig")]
    parts[part] = parts[part] + "+"
    with pytest.raises(MalformedToken) as refused:
        parse_compact(".".join(parts))
    assert str(refused.value) == "invalid base64url"


def test_a_compact_jws_is_split_into_its_parts() -> None:
    header, payload = _b64(b'{"alg":"ES256","kid":"k"}'), _b64(b'{"x":1}')
    read = parse_compact(f"{header}.{payload}.{_b64(b'sig')}")
    assert read.header == {"alg": "ES256", "kid": "k"}
    assert read.payload == b'{"x":1}'
    assert read.signing_input == f"{header}.{payload}".encode()
    assert read.signature == b"sig"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[1]", "header is not a JSON object"),
        (b'"x"', "header is not a JSON object"),
        (b"not json", "header is not JSON"),
        (b"\xff{}", "header is not JSON"),
        (b'{"a":1,"a":2}', "duplicate member 'a'"),
        (b'{"exp":NaN}', "NaN is not JSON"),
        (b'{"exp":Infinity}', "Infinity is not JSON"),
        (b'{"exp":-Infinity}', "-Infinity is not JSON"),
    ],
)
def test_a_header_that_is_not_a_strict_json_object_is_refused(raw: bytes, message: str) -> None:
    token = f"{_b64(raw)}.{_b64(b'{}')}.{_b64(b'sig')}"
    with pytest.raises(MalformedToken) as refused:
        parse_compact(token)
    assert str(refused.value) == message


def test_parse_json_object_names_what_it_reads() -> None:
    assert parse_json_object(b'{"a":{"b":[1,2]}}', "claims") == {"a": {"b": [1, 2]}}
    with pytest.raises(MalformedToken) as refused:
        parse_json_object(b"[]", "claims")
    assert str(refused.value) == "claims is not a JSON object"
    with pytest.raises(MalformedToken) as broken:
        parse_json_object(b"{", "claims")
    assert str(broken.value) == "claims is not JSON"
    with pytest.raises(MalformedToken) as deep:
        parse_json_object(b"[" * 100_000 + b"]" * 100_000, "claims")
    assert str(deep.value) == "claims is not JSON"
    # Duplicates are refused at every depth.
    with pytest.raises(MalformedToken) as nested:
        parse_json_object(b'{"a":{"b":1,"b":1}}', "claims")
    assert str(nested.value) == "duplicate member 'b'"


# --- sign_jws and verify_jws -----------------------------------------------------------


def test_sign_jws_writes_kid_and_typ_and_signs_on_the_moment_given(
    rsa_jws_key: SigningKey,
) -> None:
    token = sign_jws(b"hello", key=rsa_jws_key, purpose="jwt", typ=TYP, now=T0)
    read = parse_compact(token)
    assert read.header == {"alg": "PS256", "kid": rsa_jws_key.kid, "typ": TYP}
    assert read.payload == b"hello"
    chosen = sign_jws(b"hello", key=rsa_jws_key, purpose="jwt", typ=TYP, algorithm="RS256", now=T0)
    assert parse_compact(chosen).header["alg"] == "RS256"
    trust = TrustStore([rsa_jws_key.trusted(issuer=A)])
    for signed in (token, chosen):
        verified = verify_jws(signed, trust=trust, issuer=A, purpose="jwt", typ=TYP, now=T0)
        assert verified.payload == b"hello"
        assert verified.header == parse_compact(signed).header
        assert verified.key.kid == rsa_jws_key.kid


def test_sign_jws_refuses_outside_the_keys_window_and_purpose(ec_jws_key: SigningKey) -> None:
    with pytest.raises(ConfigurationError) as late:
        sign_jws(b"x", key=ec_jws_key, purpose="jwt", typ=TYP, now=T0 + timedelta(days=2))
    assert str(late.value) == f"key {ec_jws_key.kid} expired at {VALIDITY.not_after.isoformat()}"
    with pytest.raises(ConfigurationError) as purpose:
        sign_jws(b"x", key=ec_jws_key, purpose="saml", typ=TYP, now=T0)
    assert str(purpose.value) == f"key {ec_jws_key.kid} is not for 'saml'"


def test_sign_jws_refuses_an_algorithm_off_the_list_or_unsupported(
    ec_jws_key: SigningKey,
) -> None:
    with pytest.raises(ConfigurationError) as off_list:
        sign_jws(b"x", key=ec_jws_key, purpose="jwt", typ=TYP, algorithm="ES384", now=T0)
    assert str(off_list.value) == f"key {ec_jws_key.kid} may not sign with ES384"
    # Listed on the key, but no implementation is registered: refused all the same.
    listed = dataclasses.replace(ec_jws_key, jws_algorithms=("HS256", "ES256"))
    with pytest.raises(ConfigurationError) as unsupported:
        sign_jws(b"x", key=listed, purpose="jwt", typ=TYP, now=T0)
    assert str(unsupported.value) == f"key {ec_jws_key.kid} may not sign with HS256"


def test_verify_jws_refuses_an_algorithm_the_key_does_not_allow(
    rsa_jws_key: SigningKey,
) -> None:
    token = sign_jws(b"x", key=rsa_jws_key, purpose="jwt", typ=TYP, algorithm="RS256", now=T0)
    narrow = dataclasses.replace(rsa_jws_key, jws_algorithms=("PS256",))
    trust = TrustStore([narrow.trusted(issuer=A)])
    with pytest.raises(AlgorithmNotAllowed) as refused:
        verify_jws(token, trust=trust, issuer=A, purpose="jwt", typ=TYP, now=T0)
    assert str(refused.value) == f"key {rsa_jws_key.kid} does not allow RS256"


def test_verify_jws_refuses_a_key_of_the_wrong_type_for_the_algorithm(
    ec_jws_key: SigningKey, rsa_jws_key: SigningKey
) -> None:
    token = sign_jws(b"x", key=rsa_jws_key, purpose="jwt", typ=TYP, algorithm="RS256", now=T0)
    # An EC key that (wrongly) lists RS256, published under the RSA key's kid.
    confused = dataclasses.replace(
        ec_jws_key.trusted(issuer=A), kid=rsa_jws_key.kid, jws_algorithms=frozenset({"RS256"})
    )
    with pytest.raises(AlgorithmNotAllowed) as refused:
        verify_jws(token, trust=TrustStore([confused]), issuer=A, purpose="jwt", typ=TYP, now=T0)
    assert str(refused.value) == f"key {rsa_jws_key.kid} cannot be used with RS256"


def test_verify_jws_refuses_a_bad_signature_and_uses_the_moment_given(
    ec_jws_key: SigningKey,
) -> None:
    token = sign_jws(b"x", key=ec_jws_key, purpose="jwt", typ=TYP, now=T0)
    trust = TrustStore([ec_jws_key.trusted(issuer=A)])
    header, payload, signature = token.split(".")
    forged = f"{header}.{_b64(b'y')}.{signature}"
    with pytest.raises(SignatureInvalid) as refused:
        verify_jws(forged, trust=trust, issuer=A, purpose="jwt", typ=TYP, now=T0)
    assert str(refused.value) == "the signature does not verify with the trusted key"
    assert payload == _b64(b"x")
    # The key is not valid on the wall clock; only ``now`` makes this token good.
    with pytest.raises(SigningError) as late:
        verify_jws(token, trust=trust, issuer=A, purpose="jwt", typ=TYP, now=T0 + timedelta(days=2))
    assert str(late.value) == f"key {ec_jws_key.kid} expired at {VALIDITY.not_after.isoformat()}"


def test_verify_jws_passes_typ_issuer_and_purpose_on(ec_jws_key: SigningKey) -> None:
    token = sign_jws(b"x", key=ec_jws_key, purpose="jwt", typ=TYP, now=T0)
    trust = TrustStore([ec_jws_key.trusted(issuer=A)])
    with pytest.raises(WrongTokenType):
        verify_jws(token, trust=trust, issuer=A, purpose="jwt", typ="other+jwt", now=T0)
    with pytest.raises(SigningError) as other_issuer:
        verify_jws(token, trust=trust, issuer="https://b.test", purpose="jwt", typ=TYP, now=T0)
    assert str(other_issuer.value) == "no key with this kid is trusted for issuer 'https://b.test'"
    with pytest.raises(SigningError) as other_purpose:
        verify_jws(token, trust=trust, issuer=A, purpose="saml", typ=TYP, now=T0)
    assert str(other_purpose.value) == f"no key with this kid is trusted for issuer {A!r}"


class _UnavailableAlgorithm(RSAPSSAlgorithm):
    """A plug-in whose backend is missing (as SM2 would be without its library)."""

    def prepare_key(self, key: Any) -> Any:
        raise NotImplementedError("backend not installed")


def test_a_registered_algorithm_without_its_backend_is_not_available(
    rsa_jws_key: SigningKey,
) -> None:
    name = f"X-UNAVAILABLE-{uuid.uuid4().hex[:8]}"
    register_jws_algorithm(name, _UnavailableAlgorithm(RSAPSSAlgorithm.SHA256))
    key = dataclasses.replace(rsa_jws_key, jws_algorithms=(name,))
    header = _b64(json.dumps({"alg": name, "typ": TYP, "kid": key.kid}).encode())
    token = f"{header}.{_b64(b'{}')}.{_b64(b'signature')}"
    trust = TrustStore([key.trusted(issuer=A)])
    with pytest.raises(AlgorithmNotAllowed) as refused:
        verify_jws(token, trust=trust, issuer=A, purpose="jwt", typ=TYP, now=T0)
    assert str(refused.value) == f"algorithm {name!r} is not available"
