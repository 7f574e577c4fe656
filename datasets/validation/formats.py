"""Which resource formats are tables, and how a format is named."""

from __future__ import annotations

# Formats frictionless reads as tables; only these are validated and loaded to the DataStore.
TABULAR_FORMATS = frozenset({"CSV", "TSV", "XLSX", "JSON"})
# Text formats: they must decode as text and are converted to UTF-8 before validation.
TEXT_FORMATS = frozenset({"CSV", "TSV", "JSON", "GeoJSON", "TXT", "XML", "JSON-LD", "KML", "TTL"})
# The extension frictionless infers the parser from.
EXTENSIONS = {"CSV": "csv", "TSV": "tsv", "XLSX": "xlsx", "JSON": "json"}


def is_tabular(resource_format: str | None) -> bool:
    return (resource_format or "").upper() in TABULAR_FORMATS


def canonical(resource_format: str | None) -> str:
    upper = (resource_format or "").upper()
    if upper in TABULAR_FORMATS:
        return upper
    for name in TEXT_FORMATS:
        if name.upper() == upper:
            return name
    return resource_format or ""
