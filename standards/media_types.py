"""Resource formats as IANA media types and EU file types (DCAT-AP's format vocabularies)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    media_type: str | None  # IANA media type
    eu_code: str  # code in the EU file-type authority table


# Formats publishers write in CKAN's ``format`` (upper-cased), as DCAT-AP knows them.
FILE_TYPES: dict[str, FileType] = {
    "CSV": FileType("text/csv", "CSV"),
    "TSV": FileType("text/tab-separated-values", "TSV"),
    "JSON": FileType("application/json", "JSON"),
    "GEOJSON": FileType("application/geo+json", "GEOJSON"),
    "XLSX": FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX"),
    "XLS": FileType("application/vnd.ms-excel", "XLS"),
    "XML": FileType("application/xml", "XML"),
    "PDF": FileType("application/pdf", "PDF"),
    "ZIP": FileType("application/zip", "ZIP"),
    "SHP": FileType("application/vnd.shp", "SHP"),
    "TXT": FileType("text/plain", "TXT"),
    "HTML": FileType("text/html", "HTML"),
    "RDF": FileType("application/rdf+xml", "RDF_XML"),
    "TTL": FileType("text/turtle", "RDF_TURTLE"),
    "JSONLD": FileType("application/ld+json", "JSON_LD"),
}
_ALIASES = {"JSON-LD": "JSONLD", "TURTLE": "TTL", "GEO+JSON": "GEOJSON", "SHAPEFILE": "SHP"}
# type "/" subtype, as RFC 6838 allows them (no parameters).
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


def file_type(format_name: str | None) -> FileType | None:
    key = (format_name or "").strip().upper().lstrip(".")
    return FILE_TYPES.get(_ALIASES.get(key, key))


def media_type(mimetype: str | None, format_name: str | None) -> str | None:
    """The IANA media type of a resource: its declared mimetype when well-formed,
    else the one its format implies; None when neither says."""
    declared = (mimetype or "").split(";", 1)[0].strip().lower()
    if _MEDIA_TYPE.match(declared):
        return declared
    known = file_type(format_name)
    return known.media_type if known else None
