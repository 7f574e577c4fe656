"""Sign/verify throughput of ``signing`` against the raw libraries, in one run.

    .venv/bin/python -m loadtests.signing_bench [--seconds 1.0]

XML-DSig: our ``sign_xml``/``verify_xml`` (hardened parse, structure and
allow-list checks, trust store) vs raw python-xmlsec on the same SAML
Response with no hardening. JWS: our ``issue_jwt``/``verify_jwt`` (header
policy, trust store, claims, replay cache) vs raw ``cryptography`` over the
same signing input vs bare pyjwt. Prints ops/s and the ratios; nothing is
asserted (speeds depend on the machine).
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import xmlsec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from lxml import etree

from signing.jwks import b64url_decode, b64url_encode
from signing.jwt import IDENTITY_ASSERTION, issue_jwt, verify_jwt
from signing.keys import (
    ALL_MEMBER_PURPOSES,
    KeyKind,
    Purpose,
    SigningKey,
    generate_signing_key,
    utcnow,
)
from signing.replay import MemoryReplayCache
from signing.truststore import TrustStore
from signing.xmldsig import sign_xml, verify_xml

ISSUER = "https://310000.delta.test/saml/metadata"
AUDIENCE = "https://320000.delta.test/saml/metadata"
ASSERTION_TAG = "{urn:oasis:names:tc:SAML:2.0:assertion}Assertion"
ASSERTION_ID = "_assertion-bench"
DOCUMENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_response-bench" Version="2.0"
    IssueInstant="2026-01-01T08:00:00Z">
  <saml:Issuer>{ISSUER}</saml:Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
  <saml:Assertion ID="{ASSERTION_ID}" Version="2.0" IssueInstant="2026-01-01T08:00:00Z">
    <saml:Issuer>{ISSUER}</saml:Issuer>
    <saml:Subject><saml:NameID>alice@example.com</saml:NameID></saml:Subject>
    <saml:Conditions NotBefore="2026-01-01T07:59:00Z" NotOnOrAfter="2026-01-01T08:05:00Z">
      <saml:AudienceRestriction><saml:Audience>{AUDIENCE}</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AttributeStatement>
      <saml:Attribute Name="loa">
        <saml:AttributeValue>substantial</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>""".encode()


def measure(operation: Callable[[], Any], seconds: float) -> float:
    """Operations per second over roughly ``seconds`` (after a short warm-up)."""
    for _ in range(3):
        operation()
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        operation()
        count += 1
        if count % 8 == 0 and time.perf_counter() >= deadline:
            break
    return count / (time.perf_counter() - started)


def compare(
    operations: dict[str, Callable[[], Any]], seconds: float, rounds: int = 3
) -> list[float]:
    """Best rate of each operation over interleaved rounds: fair on a busy machine."""
    best = dict.fromkeys(operations, 0.0)
    for _ in range(rounds):
        for name, operation in operations.items():
            best[name] = max(best[name], measure(operation, seconds / rounds))
    return list(best.values())


# --- XML-DSig ----------------------------------------------------------------------------

_XMLSEC_METHOD = {
    "rsa": xmlsec.constants.TransformRsaSha256,
    "ec-p256": xmlsec.constants.TransformEcdsaSha256,
}


def raw_xmlsec_sign(private_key: xmlsec.Key, kind: str) -> bytes:
    root = etree.fromstring(DOCUMENT)
    assertion = root.find(ASSERTION_TAG)
    signature = xmlsec.template.create(
        assertion, xmlsec.constants.TransformExclC14N, _XMLSEC_METHOD[kind], ns="ds"
    )
    assertion.insert(1, signature)
    reference = xmlsec.template.add_reference(
        signature, xmlsec.constants.TransformSha256, uri=f"#{ASSERTION_ID}"
    )
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    context = xmlsec.SignatureContext()
    context.register_id(assertion, "ID")
    context.key = private_key
    context.sign(signature)
    result: bytes = etree.tostring(root)
    return result


def raw_xmlsec_verify(document: bytes, public_key: xmlsec.Key) -> None:
    root = etree.fromstring(document)
    xmlsec.tree.add_ids(root, ["ID"])
    context = xmlsec.SignatureContext()
    context.key = public_key
    context.verify(root.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature"))


def bench_xml(kind: str, key: SigningKey, seconds: float) -> list[tuple[str, float, float]]:
    store = TrustStore([key.trusted(issuer=ISSUER)])
    private = xmlsec.Key.from_memory(key.private_pem(), xmlsec.constants.KeyDataFormatPem)
    public = xmlsec.Key.from_memory(
        key.trusted(issuer=ISSUER).public_pem(), xmlsec.constants.KeyDataFormatPem
    )
    ours_signed = sign_xml(DOCUMENT, key=key, purpose=Purpose.SAML, element_id=ASSERTION_ID)
    raw_signed = raw_xmlsec_sign(private, kind)

    def ours_verify() -> None:
        verify_xml(
            ours_signed, trust=store, issuer=ISSUER, purpose=Purpose.SAML, element_tag=ASSERTION_TAG
        )

    sign_ours, sign_raw = compare(
        {
            "ours": lambda: sign_xml(
                DOCUMENT, key=key, purpose=Purpose.SAML, element_id=ASSERTION_ID
            ),
            "raw": lambda: raw_xmlsec_sign(private, kind),
        },
        seconds,
    )
    verify_ours, verify_raw = compare(
        {"ours": ours_verify, "raw": lambda: raw_xmlsec_verify(raw_signed, public)}, seconds
    )
    return [("sign", sign_ours, sign_raw), ("verify", verify_ours, verify_raw)]


# --- JWS ---------------------------------------------------------------------------------


def _claims() -> dict[str, Any]:
    now = int(utcnow().timestamp())
    return {
        "sub": "alice",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }


def raw_sign(key: SigningKey, alg: str, signing_input: bytes) -> bytes:
    private = key.private_key
    if isinstance(private, rsa.RSAPrivateKey):
        if alg == "PS256":
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            return private.sign(signing_input, pss, hashes.SHA256())
        return private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(private, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    return private.sign(signing_input)


def raw_verify(key: SigningKey, alg: str, signing_input: bytes, signature: bytes) -> None:
    public = key.public_key
    if isinstance(public, rsa.RSAPublicKey):
        if alg == "PS256":
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            public.verify(signature, signing_input, pss, hashes.SHA256())
        else:
            public.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(public, ec.EllipticCurvePublicKey):
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        public.verify(encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
    else:
        assert isinstance(public, ed25519.Ed25519PublicKey)
        public.verify(signature, signing_input)


def bench_jws(key: SigningKey, seconds: float) -> list[tuple[str, float, float, float]]:
    alg = key.jws_algorithms[0]
    store = TrustStore([key.trusted(issuer=ISSUER)])
    token = issue_jwt(
        {"sub": "alice"},
        key=key,
        issuer=ISSUER,
        audience=AUDIENCE,
        typ=IDENTITY_ASSERTION,
        lifetime=timedelta(minutes=30),
    )
    signing_input = token.rsplit(".", 1)[0].encode("ascii")
    signature = b64url_decode(token.rsplit(".", 1)[1])
    headers = {"kid": key.kid, "typ": IDENTITY_ASSERTION}
    bare_token = pyjwt.encode(_claims(), key.private_key, algorithm=alg, headers=headers)

    def ours_sign() -> str:
        return issue_jwt(
            {"sub": "alice"}, key=key, issuer=ISSUER, audience=AUDIENCE, typ=IDENTITY_ASSERTION
        )

    def ours_verify() -> None:
        # A fresh cache per call: the same token is verified again and again here.
        verify_jwt(
            token,
            trust=store,
            issuer=ISSUER,
            audience=AUDIENCE,
            typ=IDENTITY_ASSERTION,
            replay_cache=MemoryReplayCache(),
        )

    def raw_sign_jws() -> str:
        return f"{signing_input.decode()}.{b64url_encode(raw_sign(key, alg, signing_input))}"

    def bare_verify() -> None:
        pyjwt.decode(bare_token, key.public_key, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER)

    def bare_sign() -> str:
        return pyjwt.encode(_claims(), key.private_key, algorithm=alg, headers=headers)

    sign = compare({"ours": ours_sign, "raw": raw_sign_jws, "pyjwt": bare_sign}, seconds)
    verify = compare(
        {
            "ours": ours_verify,
            "raw": lambda: raw_verify(key, alg, signing_input, signature),
            "pyjwt": bare_verify,
        },
        seconds,
    )
    return [("sign", sign[0], sign[1], sign[2]), ("verify", verify[0], verify[1], verify[2])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement")
    seconds = parser.parse_args().seconds
    start = utcnow() - timedelta(minutes=1)
    kinds: tuple[KeyKind, ...] = ("rsa", "ec-p256", "ed25519")
    keys = {
        kind: generate_signing_key(kind, purposes=ALL_MEMBER_PURPOSES, now=start) for kind in kinds
    }

    print(
        f"# signing benchmark ({platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {seconds:g} s per figure)"
    )
    print()
    print("## XML-DSig (SAML Response, signed Assertion, exc-c14n, SHA-256)")
    print(f"{'key':<14}{'op':<8}{'ours/s':>10}{'raw xmlsec/s':>14}{'ours:raw':>10}")
    xml_cases: tuple[tuple[KeyKind, str], ...] = (("rsa", "RSA-3072"), ("ec-p256", "ECDSA P-256"))
    for kind, label in xml_cases:
        for op, ours, raw in bench_xml(kind, keys[kind], seconds):
            print(f"{label:<14}{op:<8}{ours:>10.0f}{raw:>14.0f}{ours / raw:>10.2f}")
    print()
    print("## JWS (same signing input; ours adds header policy, trust store, claims, replay cache)")
    print(
        f"{'key':<20}{'op':<8}{'ours/s':>10}{'raw crypto/s':>14}{'pyjwt/s':>10}"
        f"{'ours:raw':>10}{'ours:pyjwt':>12}"
    )
    jws_cases: tuple[tuple[KeyKind, str], ...] = (
        ("rsa", "RSA-3072 PS256"),
        ("ec-p256", "P-256 ES256"),
        ("ed25519", "Ed25519 EdDSA"),
    )
    for kind, label in jws_cases:
        for op, ours, raw, bare in bench_jws(keys[kind], seconds):
            print(
                f"{label:<20}{op:<8}{ours:>10.0f}{raw:>14.0f}{bare:>10.0f}"
                f"{ours / raw:>10.2f}{ours / bare:>12.2f}"
            )


if __name__ == "__main__":
    main()
