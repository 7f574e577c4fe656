"""The embedded backend: SQLite FTS5 in one file (default ``<DELTA_HOME>/search/catalog.db``).

Two FTS5 tables hold the analysed streams (``words`` and ``grams``, one
column per text field); plain tables hold the stored package, keyword values
(filters and facets), permission labels and sort keys. WAL mode lets readers
run while a writer indexes; a reindex replaces everything in one transaction,
so searches see the old catalogue until the new one is complete.

Thread-safe: one connection per thread, and one writer at a time (a lock in
this process, SQLite's own locking between processes).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from search.analysis import Analyzer, default_analyzer
from search.documents import IndexedDocument, build_document
from search.errors import SearchBackendError, SearchQueryError
from search.fields import FACET_FIELDS, TEXT_STREAMS
from search.fts5_sql import BASE_SCORE, COLUMNS, SqlBuilder, order_by
from search.limits import DEFAULT_LIMITS, SearchLimits
from search.plan import FMatchAll, SearchPlan, plan_search
from search.protocol import (
    Health,
    IndexDoc,
    ProgressCallback,
    SearchQuery,
    SearchResult,
)
from search.result_cache import DEFAULT_MAX_BYTES, Computed, ResultCache, decode_package
from search.versions import ANALYSIS_VERSION

SCHEMA_VERSION = "1"
BATCH_SIZE = 500
MMAP_BYTES = 1 << 30  # per connection, shared pages: the OS page cache backs it
CACHE_KIB = 64 * 1024
# Facets read the keywords of each hit for small results, walk the keyword
# table for large ones (hits > 1/FACET_SCAN_RATIO of the catalogue, the
# measured crossover at 100k datasets), and subtract what is left out from
# the running totals when the hits are most of the catalogue.
FACET_SCAN_RATIO = 5
FACET_COMPLEMENT_RATIO = 2

_TOKENIZER = "unicode61 remove_diacritics 0"
_FACET_MARKS = ", ".join("?" for _ in FACET_FIELDS)
_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS docs (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        state TEXT NOT NULL,
        private INTEGER NOT NULL,
        region_code TEXT NOT NULL,
        modified TEXT NOT NULL,
        created TEXT NOT NULL,
        title_sort TEXT NOT NULL,
        package TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS docs_modified ON docs (modified)",
    "CREATE INDEX IF NOT EXISTS docs_created ON docs (created)",
    "CREATE INDEX IF NOT EXISTS docs_title ON docs (title_sort)",
    "CREATE INDEX IF NOT EXISTS docs_name ON docs (name)",
    # Visibility is tested on every candidate: from this index, not from rows that
    # carry whole package dicts (a match-all search: 124 -> 69 ms at 100,000).
    "CREATE INDEX IF NOT EXISTS docs_visible ON docs (state, private)",
    """CREATE TABLE IF NOT EXISTS labels (
        label TEXT NOT NULL, rowid INTEGER NOT NULL, PRIMARY KEY (label, rowid)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS labels_doc ON labels (rowid)",
    """CREATE TABLE IF NOT EXISTS keywords (
        field TEXT NOT NULL, norm TEXT NOT NULL, rowid INTEGER NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (field, norm, rowid, value)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS keywords_doc ON keywords (rowid, field, value)",
    # Facet counts over the whole index, kept up to date on every write: a
    # search that hits most of the catalogue counts only what it does not hit.
    """CREATE TABLE IF NOT EXISTS facet_totals (
        field TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (field, value)
    ) WITHOUT ROWID""",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5({', '.join(COLUMNS)}, "
    f"tokenize = '{_TOKENIZER}')",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS grams USING fts5({', '.join(COLUMNS)}, "
    f"tokenize = '{_TOKENIZER}')",
]


class Fts5Backend:
    name = "fts5"

    def __init__(
        self,
        path: Path | str,
        *,
        analyzer: Analyzer | None = None,
        limits: SearchLimits = DEFAULT_LIMITS,
        result_cache_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.path = Path(path)
        # Exact: keyed by the plan and the index revision every write moves (0: off).
        self.results = ResultCache(result_cache_bytes) if result_cache_bytes > 0 else None
        if str(path) == ":memory:":
            raise SearchBackendError("the FTS5 backend needs a file path (one per catalogue)")
        self.analyzer = analyzer or default_analyzer()
        self.limits = limits
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._write_lock:
            conn = self._connection()
            conn.execute("PRAGMA journal_mode = WAL")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
            )
            if not conn.execute("SELECT 1 FROM meta WHERE key = 'facet_totals'").fetchone():
                conn.execute("BEGIN IMMEDIATE")  # an index from before the totals existed
                conn.execute("DELETE FROM facet_totals")
                conn.execute(
                    "INSERT INTO facet_totals (field, value, n) SELECT field, value, count(*) "  # noqa: S608 - placeholders
                    f"FROM keywords WHERE field IN ({_FACET_MARKS}) GROUP BY field, value",
                    FACET_FIELDS,
                )
                conn.execute("INSERT INTO meta (key, value) VALUES ('facet_totals', '1')")
                conn.execute("COMMIT")

    # -- connections --------------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise SearchBackendError("the search index is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as exc:
                raise SearchBackendError(f"cannot open search index {self.path}: {exc}") from exc
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA busy_timeout = 30000")
            # Reads dominate: map the file and keep a generous page cache.
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS hits (rowid INTEGER PRIMARY KEY)")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                # Every write moves the revision (cached results of any process expire).
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('revision', '1') ON CONFLICT (key) "
                    "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- writing ------------------------------------------------------------------------------
    def index(self, doc: IndexDoc) -> None:
        document = build_document(doc, self.analyzer)
        with self._write() as conn:
            self._store(conn, document)
            _record_analysis(conn)

    def bulk_index(
        self, docs: Iterable[IndexDoc], *, progress: ProgressCallback | None = None
    ) -> int:
        done = 0
        for batch in _batches(docs, BATCH_SIZE):
            documents = [build_document(doc, self.analyzer) for doc in batch]
            with self._write() as conn:
                for document in documents:
                    self._store(conn, document)
                _record_analysis(conn)
            done += len(documents)
            if progress:
                progress(done)
        return done

    def reindex(self, docs: Iterable[IndexDoc], *, progress: ProgressCallback | None = None) -> int:
        """Replace the whole index; searches see the old one until the commit."""
        documents: list[IndexedDocument] = []
        for doc in docs:  # analyse first (the slow part): the write transaction stays short
            documents.append(build_document(doc, self.analyzer))
            if progress and len(documents) % BATCH_SIZE == 0:
                progress(len(documents))
        if progress:
            progress(len(documents))
        with self._write() as conn:
            self._clear(conn)
            for document in documents:
                self._store(conn, document, replace=False)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('analysis', ?)",
                (ANALYSIS_VERSION,),
            )
        return len(documents)

    def delete(self, package_id: str) -> None:
        with self._write() as conn:
            row = conn.execute("SELECT rowid FROM docs WHERE id = ?", (package_id,)).fetchone()
            if row:
                self._remove(conn, row[0])

    def clear(self) -> None:
        with self._write() as conn:
            self._clear(conn)

    def _store(
        self, conn: sqlite3.Connection, doc: IndexedDocument, *, replace: bool = True
    ) -> None:
        if replace:
            row = conn.execute("SELECT rowid FROM docs WHERE id = ?", (doc.id,)).fetchone()
            if row:
                self._remove(conn, row[0])
        cursor = conn.execute(
            "INSERT INTO docs (id, name, state, private, region_code, modified, created, "
            "title_sort, package) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                doc.id,
                doc.name,
                doc.state,
                int(doc.private),
                doc.region_code,
                doc.modified,
                doc.created,
                doc.title_sort,
                json.dumps(doc.package, ensure_ascii=False, default=str),
            ),
        )
        rowid = cursor.lastrowid
        conn.executemany(
            "INSERT OR IGNORE INTO labels (label, rowid) VALUES (?, ?)",
            [(label, rowid) for label in doc.labels],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO keywords (field, norm, rowid, value) VALUES (?, ?, ?, ?)",
            [(field, norm, rowid, value) for field, value, norm in doc.keywords],
        )
        conn.executemany(
            "INSERT INTO facet_totals (field, value, n) VALUES (?, ?, 1) "
            "ON CONFLICT (field, value) DO UPDATE SET n = n + 1",
            [(field, value) for field, value, _ in doc.keywords if field in FACET_FIELDS],
        )
        marks = ", ".join("?" for _ in COLUMNS)
        conn.execute(
            f"INSERT INTO words (rowid, {', '.join(COLUMNS)}) VALUES (?, {marks})",  # noqa: S608 - fixed SQL fragments, values are bound
            (rowid, *(doc.words[s] for s in TEXT_STREAMS)),
        )
        conn.execute(
            f"INSERT INTO grams (rowid, {', '.join(COLUMNS)}) VALUES (?, {marks})",  # noqa: S608 - fixed SQL fragments, values are bound
            (rowid, *(doc.grams[s] for s in TEXT_STREAMS)),
        )

    @staticmethod
    def _remove(conn: sqlite3.Connection, rowid: int) -> None:
        for table in ("docs", "words", "grams"):
            conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,))  # noqa: S608 - fixed SQL fragments, values are bound
        conn.execute("DELETE FROM labels WHERE rowid = ?", (rowid,))
        conn.execute(
            "UPDATE facet_totals SET n = n - 1 WHERE (field, value) IN "  # noqa: S608 - placeholders
            f"(SELECT field, value FROM keywords WHERE rowid = ? AND field IN ({_FACET_MARKS}))",
            (rowid, *FACET_FIELDS),
        )
        conn.execute("DELETE FROM facet_totals WHERE n <= 0")
        conn.execute("DELETE FROM keywords WHERE rowid = ?", (rowid,))

    @staticmethod
    def _clear(conn: sqlite3.Connection) -> None:
        for table in ("docs", "labels", "keywords", "facet_totals", "words", "grams"):
            conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed SQL fragments, values are bound

    # -- reading ------------------------------------------------------------------------------
    def search(self, query: SearchQuery, *, now: datetime | None = None) -> SearchResult:
        plan = plan_search(query, self.analyzer, limits=self.limits, now=now)
        conn = self._connection()
        try:
            conn.execute("BEGIN")  # one snapshot for revision, count, page and facets
            try:
                return self._cached(conn, plan)
            finally:
                conn.execute("COMMIT")
        except SearchQueryError:
            raise
        except sqlite3.Error as exc:
            raise SearchBackendError(f"search failed: {exc}") from exc

    def _cached(self, conn: sqlite3.Connection, plan: SearchPlan) -> SearchResult:
        def compute() -> Computed:
            count, packages, facets = self._run(conn, plan)
            return SearchResult(count, [decode_package(p) for p in packages], facets), packages

        if self.results is None:
            return compute()[0]
        # Read in the search's snapshot: the result is exactly the one for this revision.
        row = conn.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
        return self.results.answer((plan, row[0] if row else None), compute)

    def _run(
        self, conn: sqlite3.Connection, plan: SearchPlan
    ) -> tuple[int, list[str], dict[str, dict[str, int]]]:
        """Count, the page's stored packages (JSON text) and the facets."""
        conn.execute("DELETE FROM temp.hits")
        builder = SqlBuilder()
        everything = isinstance(plan.filter, FMatchAll)
        where = (
            f"{builder.visibility(plan.visibility, everything=everything)} "
            f"AND {builder.where(plan.filter)}"
        )
        conn.execute(
            f"INSERT INTO temp.hits (rowid) SELECT d.rowid FROM docs d WHERE {where}",  # noqa: S608 - fixed SQL fragments, values are bound
            builder.params,
        )
        count = conn.execute("SELECT count(*) FROM temp.hits").fetchone()[0]
        packages: list[str] = []
        if plan.rows and plan.start < count:
            packages = self._page(conn, plan)
        return count, packages, self._facets(conn, plan, count)

    def _page(self, conn: sqlite3.Connection, plan: SearchPlan) -> list[str]:
        builder = SqlBuilder()
        sort = plan.sort
        if plan.scoring.empty and not plan.scoring.regions:
            # Every hit has the same score (no text to rank, no place to boost):
            # sort by the other keys only, which SQLite can do without computing it.
            sort = tuple(key for key in sort if key.field != "score")
        uses_score = any(key.field == "score" for key in sort)
        if uses_score:
            boost = builder.boost(plan.scoring)
            scores = builder.score_subquery(plan.scoring)
            join = f"LEFT JOIN ({scores}) sc ON sc.rowid = d.rowid" if scores else ""
            # Matched nothing that scores: the base score at the lowest coordination.
            floor = BASE_SCORE * 0.1 / (plan.scoring.coordinated + 0.1)
            base = f"COALESCE(sc.s, {floor!r})" if scores else str(BASE_SCORE)
            score = f"{base} * {boost}"
        else:
            join, score = "", "0"
        # Every hit is scored and sorted: walk the hits (CROSS JOIN fixes the order),
        # not the whole catalogue in date order looking each one up. Without a score,
        # that date-order walk is right: it stops at the page's last row.
        hits_then_docs = "CROSS JOIN" if uses_score else "JOIN"
        # Rank rowids first and read the stored packages of one page only.
        sql = (
            f"SELECT d.rowid, {score} AS score FROM temp.hits h {hits_then_docs} docs d "  # noqa: S608 - fixed SQL fragments, values are bound
            f"ON d.rowid = h.rowid {join} ORDER BY {order_by(sort)} LIMIT :rows OFFSET :start"
        )
        params = {**builder.params, "rows": plan.rows, "start": plan.start}
        page = [row[0] for row in conn.execute(sql, params)]
        if not page:
            return []
        marks = ", ".join("?" for _ in page)
        stored = dict(
            conn.execute(f"SELECT rowid, package FROM docs WHERE rowid IN ({marks})", page)  # noqa: S608 - only placeholders
        )
        return [stored[rowid] for rowid in page]

    @staticmethod
    def _facets(conn: sqlite3.Connection, plan: SearchPlan, hits: int) -> dict[str, dict[str, int]]:
        """All facet fields at once, by the cheapest of three equivalent ways."""
        if not plan.facet_fields or plan.facet_limit == 0 or not hits:
            return {field: {} for field in plan.facet_fields}
        fields = list(plan.facet_fields)
        marks = ", ".join("?" for _ in fields)
        catalogue = conn.execute("SELECT max(rowid) FROM docs").fetchone()[0] or 1
        if hits * FACET_COMPLEMENT_RATIO > catalogue:
            # Most of the catalogue: the totals minus what the hits leave out.
            totals = conn.execute(
                f"SELECT field, value, n FROM facet_totals WHERE field IN ({marks})",  # noqa: S608 - placeholders
                fields,
            ).fetchall()
            left_out = conn.execute(
                "SELECT k.field, k.value, count(*) FROM docs d "  # noqa: S608 - placeholders
                "CROSS JOIN keywords k INDEXED BY keywords_doc ON k.rowid = d.rowid "
                f"WHERE d.rowid NOT IN (SELECT rowid FROM temp.hits) AND k.field IN ({marks}) "
                "GROUP BY k.field, k.value",
                fields,
            ).fetchall()
            return _facet_dict(_subtract(totals, left_out), plan)
        if hits * FACET_SCAN_RATIO > catalogue:
            # Many hits: walk the facet values once and look each up in the hits.
            sql = (
                "SELECT k.field, k.value, count(*) FROM keywords k "  # noqa: S608 - placeholders
                f"WHERE k.field IN ({marks}) AND k.rowid IN (SELECT rowid FROM temp.hits) "
                "GROUP BY k.field, k.value"
            )
        else:
            # Few hits: read the facet values of each hit.
            sql = (
                "SELECT k.field, k.value, count(*) FROM temp.hits h "  # noqa: S608 - placeholders
                "CROSS JOIN keywords k INDEXED BY keywords_doc ON k.rowid = h.rowid "
                f"WHERE k.field IN ({marks}) GROUP BY k.field, k.value"
            )
        return _facet_dict(conn.execute(sql, fields).fetchall(), plan)

    def count(self) -> int:
        return int(self._connection().execute("SELECT count(*) FROM docs").fetchone()[0])

    def health(self) -> Health:
        try:
            conn = self._connection()
            documents = int(conn.execute("SELECT count(*) FROM docs").fetchone()[0])
            row = conn.execute("SELECT value FROM meta WHERE key = 'analysis'").fetchone()
        except (sqlite3.Error, SearchBackendError) as exc:
            return Health(ok=False, backend=self.name, detail=str(exc))
        detail = str(self.path)
        if documents and (row is None or row[0] != ANALYSIS_VERSION):
            detail += "; text analysis changed since the last reindex: run `delta search reindex`"
        return Health(ok=True, backend=self.name, documents=documents, detail=detail)

    def close(self) -> None:
        self._closed = True
        with self._connections_lock:
            for conn in self._connections:
                with suppress(sqlite3.Error):  # already broken: nothing left to release
                    conn.close()
            self._connections.clear()


def _subtract(
    totals: list[tuple[str, str, int]], missing: list[tuple[str, str, int]]
) -> list[tuple[str, str, int]]:
    left_out = {(field, value): n for field, value, n in missing}
    return [(f, v, n - left_out.get((f, v), 0)) for f, v, n in totals]


def _facet_dict(rows: list[tuple[str, str, int]], plan: SearchPlan) -> dict[str, dict[str, int]]:
    """Count desc, then value; facet.mincount and facet.limit applied."""
    minimum = max(plan.facet_mincount, 1)
    facets: dict[str, dict[str, int]] = {}
    for field in plan.facet_fields:
        counted = sorted(
            ((value, n) for f, value, n in rows if f == field and n >= minimum),
            key=lambda item: (-item[1], item[0]),
        )
        if plan.facet_limit > 0:
            counted = counted[: plan.facet_limit]
        facets[field] = dict(counted)
    return facets


def _record_analysis(conn: sqlite3.Connection) -> None:
    """The first write records which analysis built the index (see ``health``)."""
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('analysis', ?)", (ANALYSIS_VERSION,)
    )


def _batches(docs: Iterable[IndexDoc], size: int) -> Iterator[list[IndexDoc]]:
    batch: list[IndexDoc] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
