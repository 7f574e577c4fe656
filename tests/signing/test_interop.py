"""Interoperability: xmlsec1, pysaml2 and jwcrypto accept what we sign, and we accept theirs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jwt as jwcrypto_jwt
from saml2 import saml as saml2_saml
from saml2 import samlp as saml2_samlp
from saml2.sigver import CryptoBackendXmlSec1, pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from signing.certificates import load_certificate_pem
from signing.jwt import IDENTITY_ASSERTION, issue_jwt, verify_jwt
from signing.keys import Purpose, SigningKey, utcnow
from signing.replay import MemoryReplayCache
from signing.truststore import TrustStore
from tests.signing import saml

XMLSEC1 = shutil.which("xmlsec1")
needs_xmlsec1 = pytest.mark.skipif(
    XMLSEC1 is None, reason="xmlsec1 is not installed: run scripts/ensure-test-prereqs"
)
ASSERTION_NODE = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
ISS, AUD = "https://310000.delta.test", "https://320000.delta.test"


def xmlsec1_verify(document: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    assert XMLSEC1 is not None
    return subprocess.run(
        [XMLSEC1, "--verify", *arguments, str(document)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


# --- XML-DSig ----------------------------------------------------------------------------


@needs_xmlsec1
def test_xmlsec1_verifies_our_signed_assertion_with_the_pinned_certificate(
    rsa_key: SigningKey, pem_files: dict[str, Path], tmp_path: Path
) -> None:
    document = tmp_path / "assertion.xml"
    document.write_bytes(saml.signed_assertion_response(rsa_key))
    result = xmlsec1_verify(
        document, "--pubkey-cert-pem", str(pem_files["cert"]), "--id-attr:ID", ASSERTION_NODE
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr


@needs_xmlsec1
def test_xmlsec1_verifies_our_signed_response_through_the_federation_root(
    rsa_key: SigningKey, pem_files: dict[str, Path], tmp_path: Path
) -> None:
    document = tmp_path / "response.xml"
    document.write_bytes(saml.signed_response(rsa_key))
    result = xmlsec1_verify(
        document, "--trusted-pem", str(pem_files["root"]), "--id-attr:ID", RESPONSE_NODE
    )
    assert result.returncode == 0, result.stderr


@needs_xmlsec1
def test_xmlsec1_verifies_our_ecdsa_signature(ec_key: SigningKey, tmp_path: Path) -> None:
    document = tmp_path / "ec.xml"
    document.write_bytes(saml.signed_assertion_response(ec_key))
    public = tmp_path / "ec.pub.pem"
    public.write_bytes(ec_key.trusted(issuer="x").public_pem())
    result = xmlsec1_verify(document, "--pubkey-pem", str(public), "--id-attr:ID", ASSERTION_NODE)
    assert result.returncode == 0, result.stderr


@needs_xmlsec1
def test_xmlsec1_rejects_our_signature_after_tampering(
    rsa_key: SigningKey, pem_files: dict[str, Path], tmp_path: Path
) -> None:
    document = tmp_path / "tampered.xml"
    document.write_bytes(saml.signed_assertion_response(rsa_key).replace(b"alice", b"mallory"))
    result = xmlsec1_verify(
        document, "--pubkey-cert-pem", str(pem_files["cert"]), "--id-attr:ID", ASSERTION_NODE
    )
    assert result.returncode != 0


@needs_xmlsec1
def test_pysaml2_validates_our_signed_assertion(
    rsa_key: SigningKey, attacker_key: SigningKey, pem_files: dict[str, Path], tmp_path: Path
) -> None:
    backend = CryptoBackendXmlSec1(XMLSEC1)
    document = saml.signed_assertion_response(rsa_key)
    assert backend.validate_signature(
        document, str(pem_files["cert"]), "pem", ASSERTION_NODE, saml.ASSERTION_ID
    )
    # pysaml2 also parses it as a SAML Response with a signed Assertion.
    response = saml2_samlp.response_from_string(document.decode())
    assert response.assertion[0].subject.name_id.text == saml.NAME
    assert response.assertion[0].signature is not None
    # And it rejects the same document signed by someone else.
    forged = saml.signed_assertion_response(attacker_key)
    assert not _pysaml2_accepts(backend, forged, pem_files["cert"])


def _pysaml2_accepts(backend: CryptoBackendXmlSec1, document: bytes, cert: Path) -> bool:
    from saml2.sigver import SignatureError

    try:
        return bool(
            backend.validate_signature(
                document, str(cert), "pem", ASSERTION_NODE, saml.ASSERTION_ID
            )
        )
    except SignatureError:
        return False


@needs_xmlsec1
def test_we_verify_what_pysaml2_signs(rsa_key: SigningKey, pem_files: dict[str, Path]) -> None:
    assertion = saml2_saml.Assertion(
        id="_pysaml2-assertion",
        version="2.0",
        issue_instant="2026-01-01T08:00:00Z",
        issuer=saml2_saml.Issuer(text=saml.IDP_ENTITY_ID),
        subject=saml2_saml.Subject(
            name_id=saml2_saml.NameID(format=saml.EMAIL_FORMAT, text="bob@example.com")
        ),
    )
    assertion.signature = pre_signature_part(
        "_pysaml2-assertion", sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
    )
    response = saml2_samlp.Response(
        id="_pysaml2-response",
        version="2.0",
        issue_instant="2026-01-01T08:00:00Z",
        issuer=saml2_saml.Issuer(text=saml.IDP_ENTITY_ID),
        status=saml2_samlp.Status(
            status_code=saml2_samlp.StatusCode(value=saml2_samlp.STATUS_SUCCESS)
        ),
        assertion=assertion,
    )
    backend = CryptoBackendXmlSec1(XMLSEC1)
    signed = backend.sign_statement(
        str(response), ASSERTION_NODE, str(pem_files["key"]), "_pysaml2-assertion"
    )
    certificate = load_certificate_pem(pem_files["cert"].read_bytes())
    store = TrustStore.from_certificates(
        [certificate], issuer=saml.IDP_ENTITY_ID, purposes={Purpose.SAML}
    )
    element = saml.verify_assertion(signed.encode(), store)
    assert element.get("ID") == "_pysaml2-assertion"
    assert saml.name_id_of(element) == "bob@example.com"


# --- JWS ---------------------------------------------------------------------------------


@pytest.fixture(params=["rsa", "ec", "ed"])
def key(
    request: pytest.FixtureRequest, rsa_key: SigningKey, ec_key: SigningKey, ed_key: SigningKey
) -> SigningKey:
    return {"rsa": rsa_key, "ec": ec_key, "ed": ed_key}[request.param]


def test_jwcrypto_computes_the_same_kid(key: SigningKey) -> None:
    assert jwcrypto_jwk.JWK.from_pem(key.private_pem()).thumbprint() == key.kid


def test_jwcrypto_verifies_our_jwt(key: SigningKey) -> None:
    token = issue_jwt({"sub": "alice"}, key=key, issuer=ISS, audience=AUD, typ=IDENTITY_ASSERTION)
    public = jwcrypto_jwk.JWK(**key.trusted(issuer=ISS).public_jwk())
    checked = jwcrypto_jwt.JWT(
        jwt=token,
        key=public,
        algs=[key.jws_algorithms[0]],
        check_claims={"iss": ISS, "aud": AUD, "exp": None, "nbf": None},
    )
    claims = json.loads(checked.claims)
    assert claims["sub"] == "alice"
    assert json.loads(checked.header)["typ"] == IDENTITY_ASSERTION


def test_we_verify_a_jwt_jwcrypto_signs(key: SigningKey) -> None:
    now = int(utcnow().timestamp())
    token = jwcrypto_jwt.JWT(
        header={"alg": key.jws_algorithms[0], "kid": key.kid, "typ": IDENTITY_ASSERTION},
        claims={
            "iss": ISS,
            "aud": AUD,
            "iat": now,
            "nbf": now,
            "exp": now + 120,
            "jti": f"jwcrypto-{now}-{key.kid[:8]}",
            "sub": "bob",
        },
    )
    token.make_signed_token(jwcrypto_jwk.JWK.from_pem(key.private_pem()))
    claims = verify_jwt(
        token.serialize(),
        trust=TrustStore([key.trusted(issuer=ISS)]),
        issuer=ISS,
        audience=AUD,
        typ=IDENTITY_ASSERTION,
        replay_cache=MemoryReplayCache(),
    )
    assert claims["sub"] == "bob"
