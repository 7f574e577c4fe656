"""RDF namespaces and the EU authority tables the DCAT-AP mapping points into.

The EU Publications Office publishes the controlled vocabularies DCAT-AP asks
for (data themes, access rights, frequencies, file types, languages); their
URIs are stable, so they are written here once.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SCHEMA = Namespace("http://schema.org/")

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_DATA_THEME = Namespace(EU_AUTHORITY + "data-theme/")
EU_ACCESS_RIGHT = Namespace(EU_AUTHORITY + "access-right/")
EU_FREQUENCY = Namespace(EU_AUTHORITY + "frequency/")
EU_FILE_TYPE = Namespace(EU_AUTHORITY + "file-type/")
EU_LANGUAGE = Namespace(EU_AUTHORITY + "language/")
IANA_MEDIA_TYPES = "http://www.iana.org/assignments/media-types/"
# The ADMS publisher types (national / regional / local authority).
ADMS_PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")

DATA_THEME_SCHEME = EU_AUTHORITY + "data-theme"
# DCAT 3 terms that rdflib's closed DCAT namespace (DCAT 2) does not list yet.
DCAT_VERSION = URIRef(str(DCAT) + "version")

# Prefixes every serialisation binds, so Turtle and JSON-LD stay readable.
PREFIXES: dict[str, Namespace] = {
    "dcat": Namespace(str(DCAT)),
    "dct": Namespace(str(DCTERMS)),
    "foaf": Namespace(str(FOAF)),
    "skos": Namespace(str(SKOS)),
    "xsd": Namespace(str(XSD)),
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "prov": Namespace(str(PROV)),
    "adms": ADMS,
    "dcatap": DCATAP,
    "hydra": HYDRA,
    "locn": LOCN,
    "spdx": SPDX,
    "vcard": VCARD,
}

__all__ = [
    "ADMS",
    "ADMS_PUBLISHER_TYPE",
    "DATA_THEME_SCHEME",
    "DCAT",
    "DCATAP",
    "DCAT_VERSION",
    "DCTERMS",
    "EU_ACCESS_RIGHT",
    "EU_DATA_THEME",
    "EU_FILE_TYPE",
    "EU_FREQUENCY",
    "EU_LANGUAGE",
    "FOAF",
    "HYDRA",
    "IANA_MEDIA_TYPES",
    "LOCN",
    "PREFIXES",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "SKOS",
    "SPDX",
    "VCARD",
    "XSD",
]
