"""Gathering from a DCAT source: RDF from a URL or a file, following Hydra paging.

Every run reads the whole catalogue (page after page, as ckanext-dcat's
``hydra:next`` links lead), so what a source no longer lists is known and is
withdrawn here. A page that cannot be fetched or parsed fails the job before
anything is written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx
from rdflib import Graph

from datasets.harvest.records import (
    NAME_MAX,
    Gathered,
    Problem,
    Progress,
    Record,
    SourceError,
    check_guid,
    clean_tags,
)
from delta import __version__
from standards import dcat_read, rdf_formats
from standards.open_classes import OpenClass

_BY_SUFFIX = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".jsonld": "json-ld", ".nt": "nt"}
_GUESSES = ("turtle", "xml", "json-ld")


def is_web(location: str) -> bool:
    return urlparse(location).scheme in ("http", "https")


class DcatSource:
    def __init__(
        self,
        location: str,
        *,
        timeout: float,
        max_pages: int,
        max_bytes: int,
        rdf_format: str | None = None,
    ) -> None:
        self.location = location
        self.timeout = timeout
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self.rdf_format = rdf_format

    def gather(self, progress: Progress) -> Gathered:
        gathered = Gathered(present_guids=set())
        url: str | None = self.location
        visited: set[str] = set()
        previous: bytes | None = None
        with httpx.Client(
            timeout=self.timeout,
            follow_redirects=True,
            headers={"User-Agent": f"delta-harvest/{__version__}",
                     "Accept": "text/turtle, application/rdf+xml;q=0.9, "
                               "application/ld+json;q=0.8"},
        ) as client:  # fmt: skip
            while url and url not in visited:
                if gathered.pages >= self.max_pages:
                    raise SourceError(f"{self.location}: more than {self.max_pages} pages")
                visited.add(url)
                body, rdf_format = self._fetch(client, url)
                digest = hashlib.sha256(body).digest()
                if digest == previous:  # a source that ignores its own paging
                    break
                previous = digest
                graph = _parse(body, rdf_format, url)
                gathered.pages += 1
                _add_page(gathered, graph)
                progress("gather", len(gathered.records), None)
                following = dcat_read.next_page(graph)
                url = urljoin(url, following) if following else None
        return gathered

    def _fetch(self, client: httpx.Client, location: str) -> tuple[bytes, str | None]:
        if is_web(location):
            return self._download(client, location)
        path = Path(urlparse(location).path if location.startswith("file:") else location)
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise SourceError(f"{location}: larger than {self.max_bytes} bytes")
            return path.read_bytes(), self.rdf_format or _BY_SUFFIX.get(path.suffix.lower())
        except OSError as exc:
            raise SourceError(f"{location}: {exc.strerror or exc}") from None

    def _download(self, client: httpx.Client, url: str) -> tuple[bytes, str | None]:
        try:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise SourceError(f"{url}: HTTP {response.status_code}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise SourceError(f"{url}: larger than {self.max_bytes} bytes")
                    chunks.append(chunk)
                media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        except httpx.HTTPError as exc:
            raise SourceError(f"{url}: {type(exc).__name__}: {exc}") from None
        known = rdf_formats.BY_MEDIA_TYPE.get(media)
        suffix = Path(urlparse(url).path).suffix.lower()
        detected = known.rdflib_name if known else _BY_SUFFIX.get(suffix)
        return b"".join(chunks), self.rdf_format or detected


def _refuse_unsafe(body: bytes, rdf_format: str | None, where: str) -> None:
    """What a hostile catalogue could make the parser do is refused before parsing:
    a DTD in XML (entity expansion: a few hundred bytes that grow to gigabytes; the
    parser never reads external entities anyway), and JSON-LD contexts named by URL
    (rdflib would fetch them: requests to wherever the document points)."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if rdf_format in (None, "xml") and head.startswith(b"<") and b"<!DOCTYPE" in body:
        raise SourceError(f"{where}: RDF/XML with a DTD is not accepted (entity expansion)")
    if rdf_format in (None, "json-ld") and head[:1] in (b"{", b"["):
        try:
            document = json.loads(body)
        except ValueError:
            return  # not JSON: the parser will say so
        if _remote_context(document):
            raise SourceError(f"{where}: JSON-LD naming a remote @context is not accepted")


def _remote_context(node: Any) -> bool:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("@context", "@import") and _names_a_document(value):
                return True
            if _remote_context(value):
                return True
    elif isinstance(node, list):
        return any(_remote_context(item) for item in node)
    return False


def _names_a_document(context: Any) -> bool:
    if isinstance(context, str):
        return True
    if isinstance(context, list):
        return any(_names_a_document(item) for item in context)
    return False


def _parse(body: bytes, rdf_format: str | None, where: str) -> Graph:
    _refuse_unsafe(body, rdf_format, where)
    errors = []
    for candidate in [rdf_format] if rdf_format else list(_GUESSES):
        try:
            return Graph().parse(data=body, format=candidate, publicID=where)
        except Exception as exc:  # rdflib raises many kinds; any means "not this format"
            errors.append(f"{candidate}: {str(exc)[:200]}")
    raise SourceError(f"{where}: not readable RDF ({'; '.join(errors)})")


def _add_page(gathered: Gathered, graph: Graph) -> None:
    assert gathered.present_guids is not None
    seen = {record.guid for record in gathered.records}
    for item in dcat_read.records(graph):
        if isinstance(item, dcat_read.Unreadable):
            gathered.problems.append(Problem(check_guid(item.node), item.reason))
            if check_guid(item.node):
                gathered.unreadable.add(item.node)
            continue
        guid = check_guid(item.guid)
        if guid is None:
            gathered.problems.append(Problem(None, "an identifier longer than 800 characters"))
            continue
        if guid in seen or item.data.get("open_class") == OpenClass.CLOSED:
            continue  # seen on an earlier page; or not public at the source
        gathered.present_guids.add(guid)
        seen.add(guid)
        modified = item.modified
        if modified and (gathered.watermark or "") < modified:
            gathered.watermark = modified
        data = dict(item.data)
        data["tags"] = clean_tags(data.get("tags"))
        gathered.records.append(
            Record(
                guid=guid,
                name=item.name[:NAME_MAX],
                data=data,
                publisher={k: v for k, v in item.publisher.items() if v},
                original_id=item.original_id,
                original_uri=item.original_uri,
                source_modified=modified,
            )
        )
