"""Signed SAML metadata, and interoperability: pysaml2 as a service provider configured from
our metadata accepts our Responses; xmlsec1 verifies our signatures through the federation root."""

from __future__ import annotations

import base64
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.sigver import SignatureError

from interregion.saml import schema
from signing.certificates import certificate_pem
from signing.federation import FederationRegistry, verify_registry
from signing.keys import Purpose
from signing.keystore import AUTHORITY_ID, FEDERATION_ID, KeyDirectory
from signing.truststore import TrustStore
from signing.xml_parsing import parse_xml
from signing.xmldsig import verify_xml
from tests.interregion import forge
from tests.interregion.browser import Browser
from tests.interregion.cluster import Cluster
from tests.interregion.flows import captured_response, person

HOME, SP = "320000", "310000"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
XMLSEC1 = shutil.which("xmlsec1")
needs_xmlsec1 = pytest.mark.skipif(XMLSEC1 is None, reason="run scripts/ensure-test-prereqs")


def registry(cluster: Cluster) -> FederationRegistry:
    token = httpx.get(f"{cluster.url(SP)}/federation/registry", timeout=10).text
    directory = KeyDirectory(cluster.home)
    return verify_registry(
        token,
        authority_keys=TrustStore([directory.authority_trusted_key()]),
        authority=AUTHORITY_ID,
        federation=FEDERATION_ID,
        max_age=timedelta(hours=24),
    )


def test_registry_lists_the_four_nodes_and_their_endpoints(cluster: Cluster) -> None:
    members = {m.region_code: m for m in registry(cluster).members}
    assert sorted(members) == ["310000", "320000", "330000", "340000"]
    for code, member in members.items():
        assert member.base_url == cluster.url(code)
        for name in ("saml_metadata", "sso", "acs", "identity_assertion", "jwks"):
            assert member.endpoints[name].startswith(cluster.url(code) + "/")
        assert any(key.status == "current" for key in member.keys)


@pytest.mark.parametrize("code", ["310000", "320000", "330000", "340000"])
def test_metadata_is_signed_by_the_key_the_registry_lists(cluster: Cluster, code: str) -> None:
    document = cluster.metadata(code)
    member = registry(cluster).member(code)
    trust = TrustStore(key.trusted(issuer=member.entity_id) for key in member.keys)
    descriptor = verify_xml(
        document,
        trust=trust,
        issuer=member.entity_id,
        purpose=Purpose.SAML,
        element_tag=f"{{{MD}}}EntityDescriptor",
    )
    assert descriptor.get("entityID") == member.entity_id
    schema.validate(parse_xml(document), xsd=schema.METADATA_XSD)
    sso = descriptor.find(f"{{{MD}}}IDPSSODescriptor/{{{MD}}}SingleSignOnService")
    acs = descriptor.find(f"{{{MD}}}SPSSODescriptor/{{{MD}}}AssertionConsumerService")
    assert sso.get("Location") == member.endpoints["sso"]
    assert acs.get("Location") == member.endpoints["acs"]


def pysaml2_sp(cluster: Cluster, tmp_path: Path, *, as_region: str = SP) -> Saml2Client:
    """pysaml2 as the service provider of ``as_region``, trusting the home node's metadata
    (fetched from its URL and checked against the home node's certificate)."""
    cert = tmp_path / f"{HOME}.cert.pem"
    key = cluster.signing_key(HOME)
    assert key.certificate is not None
    cert.write_bytes(certificate_pem(key.certificate))
    config = SPConfig()
    config.load(
        {
            "entityid": cluster.entity_id(as_region),
            "service": {
                "sp": {
                    "endpoints": {
                        "assertion_consumer_service": [
                            (f"{cluster.url(as_region)}/saml/acs", BINDING_HTTP_POST)
                        ]
                    },
                    "want_assertions_signed": True,
                    "want_response_signed": True,
                    "allow_unsolicited": False,
                }
            },
            "metadata": {
                "remote": [{"url": f"{cluster.url(HOME)}/saml/metadata", "cert": str(cert)}]
            },
            "xmlsec_binary": XMLSEC1,
            "allow_unknown_attributes": True,
        }
    )
    return Saml2Client(config=config)


@needs_xmlsec1
@pytest.mark.parametrize("kind", ["resident", "company"])
def test_pysaml2_accepts_our_response(
    cluster: Cluster, browser: Browser, tmp_path: Path, kind: str
) -> None:
    who = person(HOME, kind)
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=who)
    client = pysaml2_sp(cluster, tmp_path)
    response = client.parse_authn_request_response(
        captured.form.fields["SAMLResponse"],
        BINDING_HTTP_POST,
        outstanding={captured.request_id: "/service"},
    )
    assert response is not None
    assert response.name_id.format == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    assert response.name_id.sp_name_qualifier == cluster.entity_id(SP)
    attributes = response.ava
    assert attributes["urn:delta:attribute:name"] == [who.name]
    assert attributes["urn:delta:attribute:date-of-birth"] == [who.birth_date.isoformat()]
    if kind == "company":
        assert attributes["urn:delta:attribute:uscc"] == [who.company_uscc]
    assert "urn:delta:attribute:citizen-id" not in attributes
    assert response.authn_info()[0][0] == "urn:delta:loa:substantial"


@needs_xmlsec1
def test_pysaml2_refuses_what_we_refuse(cluster: Cluster, browser: Browser, tmp_path: Path) -> None:
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "resident"))
    tampered = forge.change_attribute(captured.xml, "name", "张三丰")
    client = pysaml2_sp(cluster, tmp_path)
    with pytest.raises(SignatureError):
        client.parse_authn_request_response(
            base64.b64encode(tampered).decode(),
            BINDING_HTTP_POST,
            outstanding={captured.request_id: "/service"},
        )
    other = pysaml2_sp(cluster, tmp_path, as_region="340000")  # the wrong service provider
    result = other.parse_authn_request_response(
        captured.form.fields["SAMLResponse"],
        BINDING_HTTP_POST,
        outstanding={captured.request_id: "/service"},
    )
    # pysaml2 7.5.5 hands back the Response object here, but without a parsed assertion
    # (it logs "destination ... not in return addresses"): nothing about the person is accepted.
    assert result is None or (result.assertion is None and not result.ava)


@needs_xmlsec1
@pytest.mark.parametrize(
    ("node", "xpath"),
    [
        ("urn:oasis:names:tc:SAML:2.0:protocol:Response", "/*/*[local-name()='Signature']"),
        (
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "//*[local-name()='Assertion']/*[local-name()='Signature']",
        ),
    ],
    ids=["response", "assertion"],
)
def test_xmlsec1_verifies_our_signatures_through_the_federation_root(
    cluster: Cluster, browser: Browser, tmp_path: Path, node: str, xpath: str
) -> None:
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "company"))
    document = tmp_path / "response.xml"
    document.write_bytes(captured.xml)
    root = KeyDirectory(cluster.home).authority_cert_path
    result = subprocess.run(
        [XMLSEC1 or "xmlsec1", "--verify", "--trusted-pem", str(root), "--id-attr:ID", node,
         "--node-xpath", xpath, str(document)],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
