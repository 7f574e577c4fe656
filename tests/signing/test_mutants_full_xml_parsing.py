"""signing/xml_parsing.py pinned down: the byte screen's refusals word for word and where
it looks, the node and depth counts at their limits, and the parser keeping comments.

Written for the survivors of the full mutation run (scripts/mutation-run signing). Each
thread builds its own parser on first use, so the check on the parser's own options runs
in a new thread (the parser it uses is built there and then; see test_mutants_seed11.py).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from lxml import etree

from signing.errors import (
    SigningError,
    XmlDoctypeForbidden,
    XmlEncodingNotAllowed,
    XmlMalformed,
    XmlTooDeep,
    XmlTooManyNodes,
)
from signing.xml_parsing import XmlLimits, parse_xml

BOM = b"\xef\xbb\xbf"
ONLY_UTF8 = "only UTF-8 documents are accepted"


def _refusal(data: bytes, limits: XmlLimits | None = None) -> tuple[type[Exception], str]:
    with pytest.raises(SigningError) as refused:
        parse_xml(data, limits=limits or XmlLimits())
    return type(refused.value), str(refused.value)


def _in_new_thread(check: Callable[[], None]) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(check).result()


def test_comments_are_kept_for_the_signature_checks() -> None:
    # verify_xml refuses comments inside signed content; a parser that dropped them would
    # hide "alice@x<!---->.evil" from that check.
    def check() -> None:
        root = parse_xml(b"<r><!-- c --><x/></r>")
        assert isinstance(root[0], etree._Comment)
        assert root[0].text == " c "

    _in_new_thread(check)


@pytest.mark.parametrize(
    "data",
    [
        "<r>x</r>".encode("utf-16-le"),
        "<r>x</r>".encode("utf-16-be"),
        "<r>x</r>".encode("utf-16"),
        "<r>x</r>".encode("utf-32"),
        b"\xff\xfe" + "丁丁".encode("utf-16-le"),
        b"\xfe\xff" + "丁丁".encode("utf-16-be"),
    ],
)
def test_utf16_and_utf32_are_refused_by_their_first_bytes(data: bytes) -> None:
    assert _refusal(data) == (XmlEncodingNotAllowed, ONLY_UTF8)


def test_a_nul_after_the_first_four_bytes_is_a_malformed_document() -> None:
    # The encoding screen looks at the first four bytes only; a NUL later is libxml2's to refuse.
    kind, message = _refusal(b"<r/>\x00")
    assert kind is XmlMalformed
    assert message.startswith("not well-formed XML: ")


@pytest.mark.parametrize("prefix", [b"", BOM])
@pytest.mark.parametrize("encoding", ["ISO-8859-1", "latin1", "UTF-16", "Shift_JIS"])
def test_a_declared_encoding_other_than_utf8_is_refused(prefix: bytes, encoding: str) -> None:
    data = prefix + f'<?xml version="1.0" encoding="{encoding}"?><r/>'.encode()
    assert _refusal(data) == (XmlEncodingNotAllowed, ONLY_UTF8)


@pytest.mark.parametrize("encoding", ["UTF-8", "utf8", "US-ASCII", "ascii"])
def test_utf8_and_ascii_may_be_declared(encoding: str) -> None:
    for prefix in (b"", BOM):
        data = prefix + f'<?xml version="1.0" encoding="{encoding}"?><r>x</r>'.encode()
        assert parse_xml(data).text == "x"


@pytest.mark.parametrize(
    "marker", [b"<!DOCTYPE r>", b"<!ENTITY", b"<!ELEMENT", b"<!ATTLIST", b"<!NOTATION"]
)
def test_every_dtd_marker_is_refused_by_name(marker: bytes) -> None:
    assert _refusal(b"<r>" + marker + b"</r>") == (
        XmlDoctypeForbidden, "DTDs and entity declarations are not accepted",
    )  # fmt: skip


def test_parse_xml_takes_bytes_only() -> None:
    with pytest.raises(TypeError) as refused:
        parse_xml("<r/>")  # type: ignore[arg-type]
    assert str(refused.value) == "parse_xml takes the raw bytes as received"


def test_a_malformed_document_says_what_libxml2_found() -> None:
    with pytest.raises(XmlMalformed) as refused:
        parse_xml(b"<r><a></r>")
    assert str(refused.value).startswith("not well-formed XML: ")
    cause = refused.value.__cause__
    assert isinstance(cause, etree.XMLSyntaxError)
    assert str(refused.value) == f"not well-formed XML: {cause.msg}"


def test_exactly_the_node_limit_is_accepted_one_more_is_not() -> None:
    limits = XmlLimits(max_nodes=3)
    parse_xml(b"<a><b/><c/></a>", limits=limits)
    assert _refusal(b"<a><b/><c/><d/></a>", limits) == (XmlTooManyNodes, "more than 3 nodes")
    # Comments and processing instructions count one each.
    parse_xml(b"<a><!--x--><?p q?></a>", limits=limits)
    assert _refusal(b"<a><!--x--><?p q?><!--y--></a>", limits) == (
        XmlTooManyNodes, "more than 3 nodes",
    )  # fmt: skip
    parse_xml(b"<a><b/><!--x--></a>", limits=limits)
    assert _refusal(b"<a><b/><!--x--><c/></a>", limits)[0] is XmlTooManyNodes


def test_depth_goes_back_one_level_per_closed_element() -> None:
    limits = XmlLimits(max_depth=3)
    parse_xml(b"<a><b><c/></b><b><c/></b></a>", limits=limits)
    # After <c/> closes, the second <c> is at depth 3 again and its child at 4.
    assert _refusal(b"<a><b><c/><c><d/></c></b></a>", limits) == (
        XmlTooDeep, "nesting deeper than 3",
    )  # fmt: skip


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE r SYSTEM "{url}">',
        '<!DOCTYPE r PUBLIC "-//X//Y//EN" "{url}">',
        '<!DOCTYPE r [<!ENTITY % p SYSTEM "{url}"> %p;]>',
    ],
)
def test_the_parser_itself_never_loads_an_external_dtd(tmp_path, doctype: str) -> None:
    """Behind the byte screen: lxml with load_dtd=False still opened a local DTD and
    applied its default attributes (collect_ids=False); the parser's resolver refuses."""
    dtd = tmp_path / "local.dtd"
    dtd.write_text('<!ATTLIST r injected CDATA "from-a-local-file">', "utf-8")
    document = f"<?xml version='1.0'?>{doctype.format(url=dtd.as_uri())}<r/>".encode()

    def check() -> None:
        from signing.xml_parsing import _parser

        with pytest.raises(XmlDoctypeForbidden, match="external DTDs and entities are never"):
            etree.fromstring(document, _parser())

    _in_new_thread(check)
