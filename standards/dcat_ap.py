"""CKAN package dicts as DCAT-AP 3.0 RDF (rdflib), passing the official SHACL shapes.

Input is a package dict as ``package_show`` prints it in its public form (or
a harvested CKAN record: first-class fields may sit in ``extras``). Output is
an rdflib graph; serialising it is :mod:`standards.rdf_formats`' business.

What the shapes demand beyond the obvious: every node a property points to
carries the class the property's range names (``dct:LicenseDocument``,
``dct:Frequency``, ``rdfs:Resource`` for URLs, ...), and every
``skos:Concept`` has a ``skos:prefLabel``. Closed datasets are refused here,
not only by the callers; conditional ones get restricted access rights and
their distributions only the dataset's landing page as access URL, so no link
in the catalogue reaches the data without the portal's application check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from standards import concept_schemes, licences, media_types, regions, themes
from standards.open_classes import OpenClass
from standards.update_frequency import UpdateFrequency, eu_uri
from standards.vocabularies import (
    ADMS,
    ADMS_PUBLISHER_TYPE,
    DCAT,
    DCAT_VERSION,
    DCTERMS,
    EU_ACCESS_RIGHT,
    EU_FILE_TYPE,
    EU_LANGUAGE,
    FOAF,
    HYDRA,
    IANA_MEDIA_TYPES,
    RDF,
    RDFS,
    SKOS,
    SPDX,
    VCARD,
    XSD,
)

FIRST_CLASS_KEYS = (
    "region_code", "open_class", "update_frequency", "theme", "title_en", "notes_en",
    "temporal_start", "temporal_end",
)  # fmt: skip

ACCESS_RIGHTS = {
    OpenClass.UNCONDITIONAL: ("PUBLIC", "无条件开放", "public"),
    OpenClass.CONDITIONAL: ("RESTRICTED", "有条件开放：数据经申请批准后获取", "restricted"),
    OpenClass.CLOSED: ("NON_PUBLIC", "非开放", "non-public"),
}
PUBLISHER_TYPES = {
    "province": ("RegionalAuthority", "Regional authority"),
    "city": ("LocalAuthority", "Local authority"),
    "district": ("LocalAuthority", "Local authority"),
}
FREQUENCY_LABELS = {
    UpdateFrequency.REALTIME: "continuous",
    UpdateFrequency.DAILY: "daily",
    UpdateFrequency.WEEKLY: "weekly",
    UpdateFrequency.MONTHLY: "monthly",
    UpdateFrequency.QUARTERLY: "quarterly",
    UpdateFrequency.YEARLY: "annual",
    UpdateFrequency.IRREGULAR: "irregular",
}
LANGUAGES = {"zh": ("ZHO", "Chinese"), "en": ("ENG", "English")}
_SHA256 = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{64})$")
_GYEAR = re.compile(r"^\d{4}$")
_GYEARMONTH = re.compile(r"^\d{4}-\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class NotPublishable(ValueError):
    """The dataset must not appear in a public catalogue (closed, private or not active)."""


@dataclass(frozen=True)
class CatalogInfo:
    """What describes the catalogue itself (``dcat:Catalog``)."""

    site_url: str
    title: str = "长三角公共数据开放平台"
    title_en: str = "Delta Open Data Portal"
    description: str = "上海、江苏、浙江、安徽四地公共数据开放目录。"
    description_en: str = "Open government data catalogue of Shanghai, Jiangsu, Zhejiang and Anhui."
    publisher: str = "长三角公共数据开放平台"
    publisher_en: str = "Delta Open Data Portal"
    modified: datetime | None = None
    spatial: tuple[str, ...] = regions.DELTA_PROVINCES

    @property
    def base(self) -> str:
        return self.site_url.rstrip("/")


@dataclass(frozen=True)
class Paging:
    """ckanext-dcat's paging of ``/catalog.*``, as a ``hydra:PagedCollection``."""

    current: str
    first: str
    last: str
    total: int
    per_page: int
    next: str | None = None
    previous: str | None = None


@dataclass
class _Context:
    graph: Graph
    base: str
    # Shared nodes (licences, concepts) are typed once per graph.
    done: set[Node] = field(default_factory=set)


def new_graph() -> Graph:
    return concept_schemes.new_graph()


def value(package: Mapping[str, Any], key: str) -> Any:
    """A field from the top level, or (as harvested CKAN records carry it) from extras."""
    found = package.get(key)
    if found not in (None, ""):
        return found
    for extra in package.get("extras") or ():
        if isinstance(extra, Mapping) and extra.get("key") == key:
            return extra.get("value")
    return None


def is_publishable(package: Mapping[str, Any]) -> bool:
    return (
        package.get("state", "active") == "active"
        and not package.get("private")
        and (value(package, "open_class") or OpenClass.UNCONDITIONAL) != OpenClass.CLOSED
    )


def dataset_uri(base: str, package: Mapping[str, Any]) -> URIRef:
    """``{site}/dataset/{id}``, as ckanext-dcat mints it (the name when there is no id)."""
    return URIRef(f"{base.rstrip('/')}/dataset/{package.get('id') or package['name']}")


def landing_page(base: str, package: Mapping[str, Any]) -> URIRef:
    return URIRef(f"{base.rstrip('/')}/dataset/{package['name']}")


def distribution_uri(
    base: str, package: Mapping[str, Any], resource: Mapping[str, Any], position: int
) -> URIRef:
    resource_id = resource.get("id") or str(position)
    return URIRef(f"{dataset_uri(base, package)}/resource/{resource_id}")


def dataset_graph(package: Mapping[str, Any], *, site_url: str) -> Graph:
    """One dataset with its distributions, publisher and the concepts it uses."""
    graph = new_graph()
    add_dataset(graph, package, site_url=site_url)
    return graph


def add_dataset(graph: Graph, package: Mapping[str, Any], *, site_url: str) -> URIRef:
    if not is_publishable(package):
        raise NotPublishable(f"dataset {package.get('name')!r} is not public")
    ctx = _Context(graph, site_url.rstrip("/"))
    return _Dataset(ctx, package).add()


def catalog_graph(
    packages: Iterable[Mapping[str, Any]], *, info: CatalogInfo, paging: Paging | None = None
) -> Graph:
    """The catalogue with ``packages`` (one page of them) and, if given, the paging."""
    graph = new_graph()
    ctx = _Context(graph, info.base)
    catalog = _add_catalog(ctx, info)
    for package in packages:
        if not is_publishable(package):
            raise NotPublishable(f"dataset {package.get('name')!r} is not public")
        graph.add((catalog, DCAT.dataset, _Dataset(ctx, package).add()))
    if paging is not None:
        add_paging(graph, paging)
    return graph


def add_paging(graph: Graph, paging: Paging) -> None:
    """The current page as ckanext-dcat describes it, with both Hydra's current terms
    (``next``, ``first``, ...) and the deprecated ``nextPage`` family older harvesters read."""
    page = URIRef(paging.current)
    graph.add((page, RDF.type, HYDRA.PagedCollection))
    graph.add((page, HYDRA.totalItems, Literal(paging.total, datatype=XSD.integer)))
    graph.add((page, HYDRA.itemsPerPage, Literal(paging.per_page, datatype=XSD.integer)))
    for url, terms in (
        (paging.first, (HYDRA.first, HYDRA.firstPage)),
        (paging.last, (HYDRA.last, HYDRA.lastPage)),
        (paging.next, (HYDRA.next, HYDRA.nextPage)),
        (paging.previous, (HYDRA.previous, HYDRA.previousPage)),
    ):
        if url:
            for term in terms:
                graph.add((page, term, URIRef(url)))


def _add_catalog(ctx: _Context, info: CatalogInfo) -> URIRef:
    g = ctx.graph
    catalog = URIRef(f"{info.base}/catalog")
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(info.title, lang="zh")))
    g.add((catalog, DCTERMS.title, Literal(info.title_en, lang="en")))
    g.add((catalog, DCTERMS.description, Literal(info.description, lang="zh")))
    g.add((catalog, DCTERMS.description, Literal(info.description_en, lang="en")))
    publisher = URIRef(f"{info.base}/#publisher")
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, Literal(info.publisher, lang="zh")))
    g.add((publisher, FOAF.name, Literal(info.publisher_en, lang="en")))
    g.add((catalog, DCTERMS.publisher, publisher))
    homepage = URIRef(f"{info.base}/")
    g.add((homepage, RDF.type, FOAF.Document))
    g.add((catalog, FOAF.homepage, homepage))
    for code in ("zh", "en"):
        g.add((catalog, DCTERMS.language, _language(ctx, code)))
    for code in info.spatial:
        g.add((catalog, DCTERMS.spatial, _region(ctx, code)))
    if info.modified is not None:
        g.add((catalog, DCTERMS.modified, Literal(info.modified, datatype=XSD.dateTime)))
    g.add((catalog, DCAT.themeTaxonomy, concept_schemes.add_theme_scheme(g, info.base)))
    data_theme = URIRef(concept_schemes.DATA_THEME_SCHEME)
    g.add((data_theme, RDF.type, SKOS.ConceptScheme))
    g.add((data_theme, DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((catalog, DCAT.themeTaxonomy, data_theme))
    concept_schemes.add_region_scheme(g, info.base)
    g.add((catalog, DCAT.service, _ckan_api(ctx, info)))
    return catalog


def _ckan_api(ctx: _Context, info: CatalogInfo) -> URIRef:
    """The CKAN Action API, the other way into the same catalogue."""
    g = ctx.graph
    service = URIRef(f"{info.base}/api/3/action")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal("CKAN Action API", lang="en")))
    g.add((service, DCTERMS.title, Literal("CKAN 接口", lang="zh")))
    g.add((service, DCAT.endpointURL, _resource(ctx, f"{info.base}/api/3/action")))
    g.add((service, DCAT.endpointDescription, _resource(ctx, f"{info.base}/api/openapi.json")))
    return service


class _Dataset:
    def __init__(self, ctx: _Context, package: Mapping[str, Any]) -> None:
        self.ctx = ctx
        self.g = ctx.graph
        self.package = package
        self.uri = dataset_uri(ctx.base, package)
        self.open_class = value(package, "open_class") or OpenClass.UNCONDITIONAL.value

    def add(self) -> URIRef:
        g, p, uri = self.g, self.package, self.uri
        g.add((uri, RDF.type, DCAT.Dataset))
        self._texts(DCTERMS.title, p.get("title") or p.get("name"), value(p, "title_en"))
        self._texts(DCTERMS.description, p.get("notes") or p.get("title") or p.get("name"),
                    value(p, "notes_en"))  # fmt: skip
        g.add((uri, DCTERMS.identifier, Literal(p.get("id") or p["name"])))
        page = landing_page(self.ctx.base, p)
        g.add((page, RDF.type, FOAF.Document))
        g.add((uri, DCAT.landingPage, page))
        for tag in p.get("tags") or ():
            name = tag.get("name") if isinstance(tag, Mapping) else tag
            if name:
                g.add((uri, DCAT.keyword, Literal(name, lang="zh")))
        self._dates()
        self._languages()
        self._publisher()
        self._theme()
        self._spatial()
        self._temporal()
        self._frequency()
        self._access_rights()
        self._version()
        self._provenance()
        for position, resource in enumerate(p.get("resources") or (), start=1):
            if isinstance(resource, Mapping):
                g.add((uri, DCAT.distribution, self._distribution(resource, position)))
        return uri

    def _texts(self, term: URIRef, zh: Any, en: Any) -> None:
        if zh:
            self.g.add((self.uri, term, Literal(str(zh), lang="zh")))
        if en:
            self.g.add((self.uri, term, Literal(str(en), lang="en")))

    def _dates(self) -> None:
        for key, term in (("metadata_created", DCTERMS.issued),
                          ("metadata_modified", DCTERMS.modified)):  # fmt: skip
            moment = _date_literal(self.package.get(key))
            if moment is not None:
                self.g.add((self.uri, term, moment))

    def _languages(self) -> None:
        self.g.add((self.uri, DCTERMS.language, _language(self.ctx, "zh")))
        if value(self.package, "title_en") or value(self.package, "notes_en"):
            self.g.add((self.uri, DCTERMS.language, _language(self.ctx, "en")))

    def _publisher(self) -> None:
        org = self.package.get("organization")
        if not isinstance(org, Mapping) or not (org.get("title") or org.get("name")):
            return
        g = self.g
        agent = URIRef(f"{self.ctx.base}/organization/{org.get('id') or org['name']}")
        g.add((self.uri, DCTERMS.publisher, agent))
        g.add((self.uri, DCAT.contactPoint, self._contact(org)))
        if agent in self.ctx.done:
            return
        self.ctx.done.add(agent)
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, RDF.type, FOAF.Organization))
        g.add((agent, FOAF.name, Literal(org.get("title") or org["name"], lang="zh")))
        if org.get("title_en"):
            g.add((agent, FOAF.name, Literal(org["title_en"], lang="en")))
        code = org.get("region_code")
        if code and regions.is_well_formed(code):
            kind, label = PUBLISHER_TYPES[regions.level_of(code)]
            concept = ADMS_PUBLISHER_TYPE[kind]
            g.add((agent, DCTERMS.type, concept))
            g.add((concept, RDF.type, SKOS.Concept))
            g.add((concept, SKOS.prefLabel, Literal(label, lang="en")))
            g.add((agent, DCTERMS.spatial, _region(self.ctx, code)))
        if org.get("uscc"):
            # The unified social credit code (GB 32100) identifies every Chinese organisation.
            g.add((agent, DCTERMS.identifier, Literal(org["uscc"])))
            identifier = BNode()
            g.add((agent, ADMS.identifier, identifier))
            g.add((identifier, RDF.type, ADMS.Identifier))
            g.add((identifier, SKOS.notation, Literal(org["uscc"])))
            g.add((identifier, RDFS.label, Literal("统一社会信用代码 (GB 32100)", lang="zh")))

    def _contact(self, org: Mapping[str, Any]) -> BNode:
        g = self.g
        contact = BNode()
        g.add((contact, RDF.type, VCARD.Kind))
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, VCARD.fn, Literal(org.get("title") or org["name"], lang="zh")))
        email = self.package.get("maintainer_email") or self.package.get("author_email")
        if isinstance(email, str) and "@" in email and " " not in email.strip():
            g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email.strip()}")))
        return contact

    def _theme(self) -> None:
        name = value(self.package, "theme")
        theme = themes.BY_NAME.get(name) or themes.BY_SLUG.get(name or "")
        if theme is None:
            return
        concept = concept_schemes.add_theme(self.g, self.ctx.base, theme)
        self.g.add((self.uri, DCAT.theme, concept))
        for code in theme.eu:
            self.g.add((self.uri, DCAT.theme, concept_schemes.add_eu_theme(self.g, code)))

    def _spatial(self) -> None:
        code = value(self.package, "region_code")
        if code and regions.is_well_formed(str(code)):
            self.g.add((self.uri, DCTERMS.spatial, _region(self.ctx, str(code))))

    def _temporal(self) -> None:
        start = _temporal_literal(value(self.package, "temporal_start"))
        end = _temporal_literal(value(self.package, "temporal_end"))
        if start is None and end is None:
            return
        period = BNode()
        self.g.add((self.uri, DCTERMS.temporal, period))
        self.g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if start is not None:
            self.g.add((period, DCAT.startDate, start))
        if end is not None:
            self.g.add((period, DCAT.endDate, end))

    def _frequency(self) -> None:
        raw = value(self.package, "update_frequency")
        try:
            frequency = UpdateFrequency(raw)
        except ValueError:
            return
        node = URIRef(eu_uri(frequency))
        self.g.add((self.uri, DCTERMS.accrualPeriodicity, node))
        self.g.add((node, RDF.type, DCTERMS.Frequency))
        self.g.add((node, SKOS.prefLabel, Literal(FREQUENCY_LABELS[frequency], lang="en")))

    def _access_rights(self) -> None:
        self.g.add((self.uri, DCTERMS.accessRights, _access_right(self.ctx, self.open_class)))

    def _version(self) -> None:
        version = self.package.get("version")
        if version:
            self.g.add((self.uri, DCAT_VERSION, Literal(str(version))))

    def _provenance(self) -> None:
        """Where a harvested dataset came from: its original URI or id, source and time."""
        harvest = self.package.get("harvest")
        if not isinstance(harvest, Mapping):
            return
        original = harvest.get("original_uri") or harvest.get("original_id")
        if original:
            identifier = BNode()
            self.g.add((self.uri, ADMS.identifier, identifier))
            self.g.add((identifier, RDF.type, ADMS.Identifier))
            self.g.add((identifier, SKOS.notation, Literal(str(original))))
        statement = BNode()
        self.g.add((self.uri, DCTERMS.provenance, statement))
        self.g.add((statement, RDF.type, DCTERMS.ProvenanceStatement))
        source = harvest.get("source_title") or harvest.get("source_url") or ""
        when = harvest.get("harvested_at") or ""
        self.g.add((statement, RDFS.label,
                    Literal(f"采集自 {source}（{when}）", lang="zh")))  # fmt: skip
        self.g.add((statement, RDFS.label,
                    Literal(f"Harvested from {source} at {when}", lang="en")))  # fmt: skip

    def _distribution(self, resource: Mapping[str, Any], position: int) -> URIRef:
        g = self.g
        uri = distribution_uri(self.ctx.base, self.package, resource, position)
        g.add((uri, RDF.type, DCAT.Distribution))
        if resource.get("name"):
            g.add((uri, DCTERMS.title, Literal(str(resource["name"]), lang="zh")))
        if resource.get("description"):
            g.add((uri, DCTERMS.description, Literal(str(resource["description"]), lang="zh")))
        self._urls(uri, resource)
        licence = _licence(self.ctx, self.package.get("license_id"))
        if licence is not None:
            g.add((uri, DCTERMS.license, licence))
        if self.open_class == OpenClass.CONDITIONAL:
            g.add((uri, DCTERMS.rights, _access_right(self.ctx, self.open_class)))
        self._format(uri, resource)
        size = resource.get("size")
        if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
            g.add((uri, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
        self._checksum(uri, resource.get("hash"))
        self._schema(uri, resource)
        for key, term in (("created", DCTERMS.issued), ("last_modified", DCTERMS.modified)):
            moment = _date_literal(resource.get(key))
            if moment is not None:
                g.add((uri, term, moment))
        return uri

    def _urls(self, uri: URIRef, resource: Mapping[str, Any]) -> None:
        url = resource.get("url")
        if (
            self.open_class != OpenClass.UNCONDITIONAL
            or not isinstance(url, str)
            or not _is_web_url(url)
        ):
            # Conditional data is reached through the dataset page and an application.
            access = landing_page(self.ctx.base, self.package)
            self.g.add((uri, DCAT.accessURL, _resource(self.ctx, str(access))))
            return
        self.g.add((uri, DCAT.accessURL, _resource(self.ctx, url)))
        is_api = str(resource.get("format") or "").strip().upper() == "API"
        if resource.get("url_type") == "upload" or not is_api:
            self.g.add((uri, DCAT.downloadURL, _resource(self.ctx, url)))

    def _format(self, uri: URIRef, resource: Mapping[str, Any]) -> None:
        known = media_types.file_type(resource.get("format"))
        if known is not None:
            node = EU_FILE_TYPE[known.eu_code]
            self.g.add((uri, DCTERMS.format, node))
            self.g.add((node, RDF.type, DCTERMS.MediaTypeOrExtent))
        media = media_types.media_type(resource.get("mimetype"), resource.get("format"))
        if media is not None:
            node = URIRef(IANA_MEDIA_TYPES + media)
            self.g.add((uri, DCAT.mediaType, node))
            self.g.add((node, RDF.type, DCTERMS.MediaType))

    def _checksum(self, uri: URIRef, raw: Any) -> None:
        match = _SHA256.match(raw) if isinstance(raw, str) else None
        if match is None:
            return
        checksum = BNode()
        algorithm = SPDX.checksumAlgorithm_sha256
        self.g.add((uri, SPDX.checksum, checksum))
        self.g.add((checksum, RDF.type, SPDX.Checksum))
        self.g.add((checksum, SPDX.algorithm, algorithm))
        self.g.add((algorithm, RDF.type, SPDX.ChecksumAlgorithm))
        self.g.add((checksum, SPDX.checksumValue,
                    Literal(match.group(1).lower(), datatype=XSD.hexBinary)))  # fmt: skip

    def _schema(self, uri: URIRef, resource: Mapping[str, Any]) -> None:
        """The Table Schema the distribution conforms to (served next to the resource)."""
        schema = resource.get("schema")
        if isinstance(schema, Mapping) and schema.get("fields"):
            standard = URIRef(f"{uri}/schema.json")
        elif _is_web_url(schema):
            standard = URIRef(str(schema))
        else:
            return
        self.g.add((uri, DCTERMS.conformsTo, standard))
        self.g.add((standard, RDF.type, DCTERMS.Standard))
        self.g.add((standard, RDFS.label, Literal("Table Schema (Frictionless)", lang="en")))


def _language(ctx: _Context, code: str) -> URIRef:
    eu_code, label = LANGUAGES[code]
    node = EU_LANGUAGE[eu_code]
    if node not in ctx.done:
        ctx.done.add(node)
        ctx.graph.add((node, RDF.type, DCTERMS.LinguisticSystem))
        ctx.graph.add((node, RDFS.label, Literal(label, lang="en")))
    return node


def _region(ctx: _Context, code: str) -> URIRef:
    node = concept_schemes.region_uri(ctx.base, code)
    if node not in ctx.done:
        ctx.done.add(node)
        concept_schemes.add_region(ctx.graph, ctx.base, code)
    return node


def _access_right(ctx: _Context, open_class: str) -> URIRef:
    code, label_zh, label_en = ACCESS_RIGHTS[OpenClass(open_class)]
    node = EU_ACCESS_RIGHT[code]
    if node not in ctx.done:
        ctx.done.add(node)
        ctx.graph.add((node, RDF.type, DCTERMS.RightsStatement))
        ctx.graph.add((node, RDFS.label, Literal(label_zh, lang="zh")))
        ctx.graph.add((node, RDFS.label, Literal(label_en, lang="en")))
    return node


def _licence(ctx: _Context, licence_id: Any) -> URIRef | None:
    """The licence's own URL, or (for generic ids without one) ours."""
    if not licence_id or not isinstance(licence_id, str):
        return None
    licence = licences.get(licence_id)
    url = licence.url if licence and licence.url else f"{ctx.base}/licence/{licence_id}"
    node = URIRef(url)
    if node not in ctx.done:
        ctx.done.add(node)
        ctx.graph.add((node, RDF.type, DCTERMS.LicenseDocument))
        title = licence.title if licence else licence_id
        ctx.graph.add((node, RDFS.label, Literal(title, lang="en")))
        if licence and licence.title_zh:
            ctx.graph.add((node, RDFS.label, Literal(licence.title_zh, lang="zh")))
    return node


def _resource(ctx: _Context, url: str) -> URIRef:
    node = URIRef(url)
    ctx.graph.add((node, RDF.type, RDFS.Resource))
    return node


def _is_web_url(url: Any) -> bool:
    return (
        isinstance(url, str)
        and url.lower().startswith(("http://", "https://"))
        and not any(ch in url for ch in ' <>"{}|\\^`\n\r\t')
    )


def _date_literal(raw: Any) -> Literal | None:
    if isinstance(raw, datetime):
        return Literal(raw, datatype=XSD.dateTime)
    if not isinstance(raw, str) or not raw:
        return None
    try:
        datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return Literal(raw, datatype=XSD.dateTime if "T" in raw else XSD.date)


def _temporal_literal(raw: Any) -> Literal | None:
    """ISO 8601 years, months, dates and date-times, each with its own XSD type."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return Literal(raw.isoformat(), datatype=XSD.date)
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if _GYEAR.match(text):
        return Literal(text, datatype=XSD.gYear)
    if _GYEARMONTH.match(text):
        return Literal(text, datatype=XSD.gYearMonth)
    if _DATE.match(text):
        return Literal(text, datatype=XSD.date)
    return _date_literal(text)
