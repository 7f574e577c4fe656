"""XSD validation with the official SAML 2.0 schemas, vendored under ``schemas/``.

The schemas are our own files, parsed once per process with the network off;
untrusted documents are never parsed here, only trees that
:func:`signing.xml_parsing.parse_xml` already produced.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

SCHEMAS = Path(__file__).parent / "schemas"
PROTOCOL_XSD = SCHEMAS / "saml-schema-protocol-2.0.xsd"
METADATA_XSD = SCHEMAS / "saml-schema-metadata-2.0.xsd"
_lock = threading.Lock()


class SchemaInvalid(ValueError):
    """The document does not conform to the SAML 2.0 schema."""


@cache
def _schema(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(path), parser))


def validate(root: Any, *, xsd: Path = PROTOCOL_XSD) -> None:
    """Raise :class:`SchemaInvalid` naming the first violation."""
    schema = _schema(xsd)
    # An XMLSchema object keeps its error log per call; one validation at a time per schema.
    with _lock:
        if schema.validate(root):
            return
        error = schema.error_log.last_error
    message = error.message if error is not None else "schema violation"
    line = f" (line {error.line})" if error is not None and error.line else ""
    raise SchemaInvalid(f"{message[:300]}{line}")
