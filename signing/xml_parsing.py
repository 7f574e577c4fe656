"""The one XML parser for untrusted input: no DTDs, no entities, no network, bounded.

Everything that reads signed XML goes through :func:`parse_xml`, and the
signature is checked on the very tree it returns, so there is no second
parser that could see a different document (the root cause of ruby-saml
CVE-2025-25291/25292).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from lxml import etree

from signing.errors import (
    XmlDoctypeForbidden,
    XmlEncodingNotAllowed,
    XmlMalformed,
    XmlTooDeep,
    XmlTooLarge,
    XmlTooManyNodes,
)

MIB = 1024 * 1024


@dataclass(frozen=True)
class XmlLimits:
    max_bytes: int = MIB
    max_depth: int = 64
    max_nodes: int = 10_000


DEFAULT_LIMITS = XmlLimits()

_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8_NAMES = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
_UTF8_BOM = b"\xef\xbb\xbf"
# Declarations that only a DTD can contain; in UTF-8 their bytes cannot be disguised.
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", b"<!ELEMENT", b"<!ATTLIST", b"<!NOTATION")

_local = threading.local()


class _RefuseExternal(etree.Resolver):
    """libxml2 still opens an external DTD named by a DOCTYPE (and applies its default
    attributes) with ``load_dtd=False`` once ``collect_ids`` is off: every load that
    reaches the parser is refused here, behind the byte screen that refuses DOCTYPEs."""

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
        raise XmlDoctypeForbidden(f"external DTDs and entities are never loaded ({url})")


def _parser() -> Any:
    # One parser per thread: lxml parser objects keep per-parse state.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=False,
            remove_pis=False,
            # xml:id would otherwise become a libxml2 ID behind our back.
            collect_ids=False,
        )
        parser.resolvers.add(_RefuseExternal())
        _local.parser = parser
    return parser


def _screen_bytes(data: bytes, limits: XmlLimits) -> None:
    if len(data) > limits.max_bytes:
        raise XmlTooLarge(f"document is {len(data)} bytes; the limit is {limits.max_bytes}")
    body = data.removeprefix(_UTF8_BOM)
    if b"\x00" in body[:4] or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise XmlEncodingNotAllowed("only UTF-8 documents are accepted")
    declared = _DECLARED_ENCODING.match(body)
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        raise XmlEncodingNotAllowed("only UTF-8 documents are accepted")
    for marker in _DTD_MARKERS:
        if marker in body:
            raise XmlDoctypeForbidden("DTDs and entity declarations are not accepted")


def _check_shape(root: Any, limits: XmlLimits) -> None:
    nodes = 0
    depth = 0
    for event, _node in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if event == "start":
            depth += 1
            nodes += 1
            if depth > limits.max_depth:
                raise XmlTooDeep(f"nesting deeper than {limits.max_depth}")
        elif event == "end":
            depth -= 1
        else:
            nodes += 1
        if nodes > limits.max_nodes:
            raise XmlTooManyNodes(f"more than {limits.max_nodes} nodes")


def parse_xml(data: bytes, *, limits: XmlLimits = DEFAULT_LIMITS) -> Any:
    """Parse untrusted bytes into an lxml root element, or raise a specific rejection."""
    if not isinstance(data, bytes):
        raise TypeError("parse_xml takes the raw bytes as received")
    _screen_bytes(data, limits)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise XmlMalformed(f"not well-formed XML: {error.msg}") from error
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlDoctypeForbidden("DTDs are not accepted")
    _check_shape(root, limits)
    return root
