"""The scale-out backend: Elasticsearch 8 (``DELTA_SEARCH_URL=http(s)://...``).

Documents are analysed in Python (search.analysis) and indexed as token
strings into whitespace-analysed fields, so Elasticsearch scores exactly the
terms FTS5 scores; queries come from the same plan (search.plan).

The catalogue lives in a versioned index (``<prefix>-v<time>``) behind the
alias ``<prefix>``. ``reindex`` fills a new version while searches keep using
the old one, then moves the alias in one atomic request and drops the old
version: no downtime. Writes made in this process during a reindex go to both.

Writes do not wait for a refresh. Read-your-writes: a search made by this
process after one of its writes first runs one explicit refresh, shared by
every search waiting at that moment. Other processes' writes: ``catch_up(mark)``
with a count of writes the caller keeps for all processes (the portal: in its
database) refreshes once when it grew. package_show reads the database.

An index knows the catalogue it belongs to (``_meta.catalogue``, the portal
database's catalogue id). Opened for another catalogue it is refused
(``foreign="refuse"``) or replaced at once by an empty index of ours, to be
refilled from the database (``foreign="rebuild"``): never served. Each
document also carries its catalogue id and every search filters on it, so an
index that changes hands while a portal runs serves that portal nothing foreign.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from search import es_dsl
from search.analysis import Analyzer, default_analyzer
from search.documents import IndexedDocument, build_document
from search.errors import SearchBackendError
from search.fields import FACET_FIELDS, KEYWORD_FIELDS, TEXT_STREAMS
from search.limits import DEFAULT_LIMITS, SearchLimits
from search.plan import SearchPlan, plan_search
from search.protocol import Health, IndexDoc, ProgressCallback, SearchQuery, SearchResult
from search.result_cache import DEFAULT_MAX_BYTES, Computed, ResultCache, encode_package
from search.versions import ANALYSIS_VERSION

BULK_CHUNK = 500
FOREIGN_POLICIES = ("rebuild", "refuse")
DEFAULT_ALIAS = "delta-catalog"
_ERRORS = (ApiError, TransportError)
_ALIAS = re.compile(r"^[a-z0-9][a-z0-9._-]{0,200}$")


def split_search_url(search_url: str) -> tuple[str, str]:
    """``http://es:9200/catalog`` → (``http://es:9200``, ``catalog``)."""
    parts = urlsplit(search_url)
    alias = parts.path.strip("/") or DEFAULT_ALIAS
    if not _ALIAS.match(alias):
        raise SearchBackendError(f"Invalid Elasticsearch index name {alias!r} in the search URL")
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")), alias


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        index_prefix: str = DEFAULT_ALIAS,
        analyzer: Analyzer | None = None,
        limits: SearchLimits = DEFAULT_LIMITS,
        shards: int = 1,
        replicas: int = 0,
        request_timeout: float = 30.0,
        client: Elasticsearch | None = None,
        catalogue: str | None = None,
        foreign: str = "refuse",
        result_cache_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if foreign not in FOREIGN_POLICIES:
            raise SearchBackendError(f"foreign must be one of {FOREIGN_POLICIES}, not {foreign!r}")
        self.alias = index_prefix
        self.analyzer = analyzer or default_analyzer()
        self.limits = limits
        self.shards = shards
        self.replicas = replicas
        self.catalogue = catalogue
        self.foreign = foreign
        # True when a foreign index was just replaced by an empty one: the caller refills it.
        self.needs_rebuild = False
        self.es = client or Elasticsearch(url, request_timeout=request_timeout)
        self._reindex_target: str | None = None
        self._lock = threading.Lock()
        # Writes acknowledged by this process, and how many of them the last refresh covered.
        self._written = 0
        self._refreshed = 0
        self._seen_mark = 0
        self._refresh_lock = threading.Lock()
        # Exact result cache, keyed by the plan, this process's writes and the count of
        # every process's writes (``catch_up``): used only once a caller supplies that
        # count (the portal), since without it other processes' writes would go unseen.
        self.results = ResultCache(result_cache_bytes) if result_cache_bytes > 0 else None
        self._counted = False
        self._guard(self._ensure_alias)

    # -- index management ---------------------------------------------------------------------
    def _guard(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return action(*args, **kwargs)
        except _ERRORS as exc:
            raise SearchBackendError(f"Elasticsearch: {exc}") from exc

    def _ensure_alias(self) -> None:
        if self.es.indices.exists_alias(name=self.alias):
            self._check_catalogue()
            # Fields added since the index was made (a strict mapping would refuse
            # documents carrying them); their values arrive with the next reindex.
            self.es.indices.put_mapping(
                index=self.alias, properties=es_dsl.mappings()["properties"]
            )
            return
        index = self._create_version()
        try:
            self.es.indices.put_alias(index=index, name=self.alias)
        except ApiError:
            self.es.indices.delete(index=index, ignore_unavailable=True)
            if not self.es.indices.exists_alias(name=self.alias):
                raise

    def _create_version(self) -> str:
        index = f"{self.alias}-v{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.es.indices.create(
            index=index,
            settings=es_dsl.index_settings(
                shards=self.shards,
                replicas=self.replicas,
                max_result_window=self.limits.max_start + self.limits.max_rows,
            ),
            mappings={**es_dsl.mappings(), "_meta": self._meta()},
        )
        return index

    def _meta(self) -> dict[str, str]:
        meta = {"analysis": ANALYSIS_VERSION}
        if self.catalogue:
            meta["catalogue"] = self.catalogue
        return meta

    def index_catalogues(self) -> set[str | None]:
        """The catalogue ids the alias's versions say they belong to (None: unmarked)."""
        mappings = self._guard(self.es.indices.get_mapping, index=self.alias)
        return {m["mappings"].get("_meta", {}).get("catalogue") for m in mappings.values()}

    def _check_catalogue(self) -> None:
        if self.catalogue is None:  # a library user that does not say (tests, harnesses)
            return
        found = self.index_catalogues()
        if found == {self.catalogue}:
            return
        theirs = ", ".join(sorted(str(c) for c in found))
        if self.foreign == "refuse":
            raise SearchBackendError(
                f"Elasticsearch index {self.alias!r} belongs to another catalogue ({theirs}), "
                f"not this database's ({self.catalogue}); run `delta search reindex` to "
                "rebuild it for this catalogue, or point DELTA_SEARCH_URL at another index"
            )
        self._replace_with_empty()

    def _replace_with_empty(self) -> None:
        """Point the alias at a new empty index of ours in one request, drop the old ones."""
        old = self._versions()
        new = self._create_version()
        actions: list[dict[str, Any]] = [
            {"remove": {"index": index, "alias": self.alias}} for index in old
        ]
        actions.append({"add": {"index": new, "alias": self.alias}})
        try:
            self.es.indices.update_aliases(actions=actions)
        except ApiError:
            # Another process of this portal got there first: fine if the index is ours now.
            self.es.indices.delete(index=new, ignore_unavailable=True)
            if self.index_catalogues() != {self.catalogue}:
                raise
            return
        for index in old:
            self.es.indices.delete(index=index, ignore_unavailable=True)
        self.needs_rebuild = True

    def _versions(self) -> list[str]:
        try:
            return sorted(self.es.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    # -- writing ------------------------------------------------------------------------------
    def index(self, doc: IndexDoc) -> None:
        document = build_document(doc, self.analyzer)
        for target in self._write_targets():
            self._guard(
                self.es.index,
                index=target,
                id=document.id,
                document=to_source(document, self.catalogue),
            )
        self._wrote()

    def _wrote(self) -> None:
        with self._lock:
            self._written += 1

    def catch_up(self, mark: int) -> None:
        """Other processes' writes: ``mark`` counts the index writes acknowledged by every
        process (the portal keeps it in its database). When it grew since this process
        last saw it, refresh once before searching."""
        self._counted = True
        if mark <= self._seen_mark:
            return
        with self._refresh_lock:
            if mark <= self._seen_mark:
                return
            covers = self._written
            self._guard(self.es.indices.refresh, index=self.alias)
            self._refreshed = max(self._refreshed, covers)
            self._seen_mark = mark

    def _catch_up(self) -> None:
        """Make this process's acknowledged writes searchable: one refresh serves every
        search waiting here; none when nothing was written since the last one."""
        wanted = self._written
        if self._refreshed >= wanted:
            return
        with self._refresh_lock:
            if self._refreshed >= wanted:
                return  # a refresh that started after our write has finished meanwhile
            covers = self._written
            self._guard(self.es.indices.refresh, index=self.alias)
            self._refreshed = covers

    def bulk_index(
        self, docs: Iterable[IndexDoc], *, progress: ProgressCallback | None = None
    ) -> int:
        done = 0
        for target in self._write_targets():
            docs = list(docs)  # several targets during a reindex: read them once
            done = self._bulk(target, docs, progress, refresh=False)
        self._wrote()
        return done

    def _bulk(
        self,
        index: str,
        docs: Iterable[IndexDoc],
        progress: ProgressCallback | None,
        *,
        refresh: bool = True,
    ) -> int:
        actions = (
            {"_index": index, "_id": d.id, "_source": to_source(d, self.catalogue)}
            for d in self._documents(docs)
        )
        done = 0
        try:
            for ok, item in helpers.streaming_bulk(
                self.es, actions, chunk_size=BULK_CHUNK, raise_on_error=False, max_retries=3
            ):
                if not ok:
                    raise SearchBackendError(f"Elasticsearch refused a document: {item}")
                done += 1
                if progress and done % BULK_CHUNK == 0:
                    progress(done)
            if refresh:
                self.es.indices.refresh(index=index)
        except _ERRORS as exc:
            raise SearchBackendError(f"Elasticsearch bulk indexing failed: {exc}") from exc
        if progress:
            progress(done)
        return done

    def _documents(self, docs: Iterable[IndexDoc]) -> Iterator[IndexedDocument]:
        for doc in docs:
            yield build_document(doc, self.analyzer)

    def reindex(self, docs: Iterable[IndexDoc], *, progress: ProgressCallback | None = None) -> int:
        """Build a new index version, then switch the alias to it atomically."""
        new = self._guard(self._create_version)
        with self._lock:
            self._reindex_target = new
        try:
            count = self._bulk(new, docs, progress)
            old = self._versions()
            actions: list[dict[str, Any]] = [
                {"remove": {"index": index, "alias": self.alias}} for index in old
            ]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self._guard(self.es.indices.update_aliases, actions=actions)
        except BaseException:
            self.es.indices.delete(index=new, ignore_unavailable=True)
            raise
        finally:
            with self._lock:
                self._reindex_target = None
        for index in old:
            if index != new:
                self._guard(self.es.indices.delete, index=index, ignore_unavailable=True)
        self._wrote()
        return count

    def _write_targets(self) -> list[str]:
        with self._lock:
            extra = self._reindex_target
        return [self.alias] if extra is None else [self.alias, extra]

    def delete(self, package_id: str) -> None:
        for target in self._write_targets():
            try:
                self.es.delete(index=target, id=package_id)
            except NotFoundError:
                continue
            except _ERRORS as exc:
                raise SearchBackendError(f"Elasticsearch: {exc}") from exc
        self._wrote()

    def clear(self) -> None:
        self._guard(
            self.es.delete_by_query,
            index=self.alias,
            query={"match_all": {}},
            conflicts="proceed",
            refresh=True,
        )
        self._wrote()

    def drop(self) -> None:
        """Delete the alias and every version (tests, harnesses)."""
        for index in self._versions():
            self._guard(self.es.indices.delete, index=index, ignore_unavailable=True)

    # -- reading ------------------------------------------------------------------------------
    def search(self, query: SearchQuery, *, now: datetime | None = None) -> SearchResult:
        plan = plan_search(query, self.analyzer, limits=self.limits, now=now)
        cache = self.results if self._counted else None
        # Read before the search: a write acknowledged meanwhile moves later searches on.
        key = (plan, self._written, self._seen_mark)

        def compute() -> Computed:
            result = self._search(plan)
            return result, [encode_package(p) for p in result.results] if cache is not None else []

        return cache.answer(key, compute) if cache is not None else compute()[0]

    def _search(self, plan: SearchPlan) -> SearchResult:
        body = es_dsl.search_body(plan)
        body["query"] = self._ours(body["query"])
        self._catch_up()
        response = self._guard(self.es.search, index=self.alias, **body)
        hits = response["hits"]
        facets: dict[str, dict[str, int]] = {field: {} for field in plan.facet_fields}
        for field, aggregation in (response.get("aggregations") or {}).items():
            facets[field] = {b["key"]: b["doc_count"] for b in aggregation["buckets"]}
        return SearchResult(
            count=int(hits["total"]["value"]),
            results=[hit["_source"]["package"] for hit in hits["hits"]],
            facets=facets,
        )

    def _ours(self, query: dict[str, Any]) -> dict[str, Any]:
        """Only this catalogue's documents, even if the index changed hands since it was
        opened (checked at start, filtered on every search)."""
        if self.catalogue is None:
            return query
        return {"bool": {"must": [query], "filter": [{"term": {"catalogue": self.catalogue}}]}}

    def count(self) -> int:
        self._catch_up()
        query = self._ours({"match_all": {}})
        return int(self._guard(self.es.count, index=self.alias, query=query)["count"])

    def health(self) -> Health:
        try:
            cluster = self.es.cluster.health()
            documents = int(
                self.es.count(index=self.alias, query=self._ours({"match_all": {}}))["count"]
            )
            versions = self._versions()
            meta = self.es.indices.get_mapping(index=self.alias)
        except (*_ERRORS, Exception) as exc:  # unreachable cluster, missing alias, ...
            return Health(ok=False, backend=self.name, detail=str(exc))
        analysis = {m["mappings"].get("_meta", {}).get("analysis") for m in meta.values()}
        detail = (
            f"cluster {cluster['cluster_name']} {cluster['status']}; index {', '.join(versions)}"
        )
        if documents and analysis != {ANALYSIS_VERSION}:
            detail += "; text analysis changed since the last reindex: run `delta search reindex`"
        return Health(
            ok=cluster["status"] in ("green", "yellow"),
            backend=self.name,
            documents=documents,
            detail=detail,
        )

    def close(self) -> None:
        self.es.close()


def to_source(document: IndexedDocument, catalogue: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {
        "catalogue": catalogue,
        "id": document.id,
        "name": document.name,
        "state": document.state,
        "private": document.private,
        "labels": list(document.labels),
        "region_code": document.region_code,
        "modified": document.modified or None,
        "created": document.created or None,
        "title_sort": document.title_sort,
        "quality": document.quality,
        "package": document.package,
    }
    for stream in TEXT_STREAMS:
        source[es_dsl.words_field(stream)] = document.words[stream]
        source[es_dsl.grams_field(stream)] = document.grams[stream]
    keywords: dict[str, list[str]] = {field: [] for field in KEYWORD_FIELDS}
    facets: dict[str, list[str]] = {field: [] for field in FACET_FIELDS}
    for field, value, norm in document.keywords:
        keywords[field].append(norm)
        if field in facets:
            facets[field].append(value)
    for field, values in keywords.items():
        source[es_dsl.keyword_field(field)] = list(dict.fromkeys(values))
    for field, values in facets.items():
        source[es_dsl.facet_field(field)] = list(dict.fromkeys(values))
    return source
