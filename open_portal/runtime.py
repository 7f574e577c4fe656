"""The running portal: settings, database, storage and search, wired once per process."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from datasets import resources as resource_service
from datasets.datastore import sql_postgres
from datasets.datastore.sql_exec import SqlExecutor, SqlLimits
from datasets.datastore.sql_sqlite import SqliteRunner
from datasets.download_counter import DownloadCounter
from datasets.indexing import CatalogIndexer
from datasets.models import CATALOGUE_ID, Package, Resource, SearchIndexWrites, SiteSetting
from datasets.storage import LocalStorage
from datasets.unit import CatalogUnit
from datasets.validation.pipeline import IngestSettings, Pipeline
from datasets.validation.worker import IngestWorker
from datasets.validation.xlsx_guard import XlsxLimits
from delta import metrics
from delta.db import is_sqlite, make_engine, make_session_factory
from delta.settings import Settings
from open_portal.cache import CatalogCache, RevisionReads, track_catalog_changes
from open_portal.freshness import notify_sql, open_revision_source
from open_portal.timed_search import TimedSearch
from search import open_backend
from search.protocol import SearchBackend

log = logging.getLogger(__name__)


@dataclass
class Portal:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: LocalStorage
    search: SearchBackend
    indexer: CatalogIndexer
    cache: CatalogCache
    # Validates uploads and loads the DataStore; started by the app's lifespan.
    ingest: IngestWorker
    # Counts downloads in memory and writes them in batches (datasets/download_counter.py).
    downloads: DownloadCounter
    # Runs datastore_search_sql on its own restricted connection; None when it is off.
    datastore_sql: SqlExecutor | None = None

    @classmethod
    def open(
        cls, settings: Settings, *, search_foreign: str | None = None, rebuild_search: bool = True
    ) -> Portal:
        """``search_foreign`` overrides DELTA_SEARCH_FOREIGN_INDEX (``delta search reindex``
        must open a foreign index to replace it); ``rebuild_search=False`` leaves a
        replaced foreign index empty for the caller to fill."""
        home = settings.ensure_home()
        engine = make_engine(settings.portal_database_url)
        metrics.instrument_engine(engine, database="portal")
        sessions = make_session_factory(engine)
        cache = CatalogCache(source=open_revision_source(engine))
        track_catalog_changes(sessions, committed=cache.advance, notify=notify_sql(engine))
        downloads = DownloadCounter(sessions, flush_seconds=settings.download_count_flush_seconds)
        # Every session reads download counts through the counter (datasets/resources.py).
        sessions.configure(info={resource_service.COUNTER_KEY: downloads})
        search = TimedSearch(
            open_backend(
                settings.search_url,
                index_path=home / "search" / "catalog.db",
                # Only Elasticsearch indexes are shared between databases; the embedded
                # index lives beside its database, and a portal whose database is down
                # must still start (and say so at /readyz).
                catalogue=catalogue_id(sessions) if settings.search_url else None,
                foreign=search_foreign or settings.search_foreign_index,
                result_cache_bytes=settings.search_result_cache_mb * 1024 * 1024,
            ),
            write_mark=lambda: index_writes(sessions),
        )
        storage = LocalStorage(home / "storage")
        indexer = CatalogIndexer(
            search,
            on_written=(lambda: count_index_write(sessions)) if search.write_mark else None,
        )
        datastore_sql = open_datastore_sql(settings, engine)
        pipeline = Pipeline(
            engine=engine,
            sessions=sessions,
            storage=storage,
            settings=IngestSettings(
                max_errors=settings.validation_max_errors,
                auto_load=settings.datastore_auto_load,
                sql_reader=datastore_sql.grant_role if datastore_sql else None,
            ),
            on_changed=lambda package_ids: indexer.sync(sessions, package_ids),
        )
        portal = cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            storage=storage,
            search=search,
            indexer=indexer,
            cache=cache,
            ingest=IngestWorker(pipeline, sessions, poll_seconds=settings.ingest_poll_seconds),
            downloads=downloads,
            datastore_sql=datastore_sql,
        )
        if rebuild_search and getattr(search.backend, "needs_rebuild", False):
            portal.rebuild_foreign_search()
        return portal

    def rebuild_foreign_search(self) -> None:
        """The index belonged to another catalogue and is now empty: refill it from this
        database, with progress on the terminal (the log)."""
        with self.sessions() as session:
            total = session.scalar(select(func.count()).select_from(Package)) or 0
        log.warning(
            "search index belonged to another catalogue; rebuilding it from this database "
            "(%d datasets)",
            total,
        )
        if not total:
            return

        def progress(done: int) -> None:
            log.warning("search index rebuild: %d / %d datasets", done, total)

        count = self.indexer.reindex(self.sessions, progress=progress)
        log.warning("search index rebuilt: %d datasets", count)

    @contextmanager
    def unit_of_work(self) -> Iterator[CatalogUnit]:
        """Commit on success; on any error roll back and remove files this unit wrote."""
        session = self.sessions()
        unit = CatalogUnit(
            session=session,
            site_url=self.settings.site_url,
            storage=self.storage,
            max_upload_bytes=self.settings.max_upload_bytes,
            xlsx_limits=XlsxLimits(
                self.settings.max_xlsx_uncompressed_bytes, self.settings.max_xlsx_compression_ratio
            ),
        )
        unit.reads = RevisionReads(self.cache, session)
        try:
            yield unit
            # Uploads move into place before the commit that makes them visible; they stay
            # locked until it is done, so a crash in between leaves only sweepable files.
            unit.publish_staged_files()
            # A unit served from memory never began a transaction: nothing to commit.
            if session.in_transaction():
                session.commit()
        except BaseException:
            session.rollback()
            unit.discard_staged_files()
            raise
        finally:
            # A unit served from memory left nothing to release: closing it would only
            # rebuild its empty identity map (a tenth of a cached read's time).
            if session.in_transaction() or session.identity_map or session.new:
                session.close()
        unit.keep_staged_files()
        unit.remove_obsolete_files()
        self.indexer.sync(self.sessions, unit.changed_packages)
        if unit.ingest_queued:
            self.ingest.wake()

    def sweep_storage(self) -> tuple[int, int]:
        """Remove what a crash left in storage: (temporary files, unreferenced objects)."""
        return self.storage.sweep_temporary(), self.storage.sweep_orphans(self._referenced_keys)

    def _referenced_keys(self, keys: Iterable[str]) -> set[str]:
        with self.sessions() as session:
            found = session.scalars(
                select(Resource.storage_key).where(Resource.storage_key.in_(list(keys)))
            )
            return {key for key in found if key}

    @property
    def sql_reader(self) -> str | None:
        """The role new DataStore tables are granted to (PostgreSQL with SQL search on)."""
        return self.datastore_sql.grant_role if self.datastore_sql else None

    def close(self) -> None:
        self.ingest.stop()
        # Before the engine goes: counted downloads are written now, none is lost.
        self.downloads.close()
        self.cache.source.close()
        self.search.close()
        self.engine.dispose()


def open_datastore_sql(settings: Settings, engine: Engine) -> SqlExecutor | None:
    """The executor for datastore_search_sql, its PostgreSQL role provisioned; None when off."""
    if not settings.datastore_search_sql_enabled:
        return None
    limits = SqlLimits(
        timeout_ms=settings.datastore_sql_timeout_ms,
        max_rows=settings.datastore_max_limit,
        max_result_bytes=settings.datastore_sql_max_result_bytes,
        max_value_bytes=settings.datastore_sql_max_value_bytes,
        work_mem_kb=settings.datastore_sql_work_mem_kb,
    )
    if is_sqlite(engine):
        return SqlExecutor(runner=SqliteRunner(Path(engine.url.database or "")), limits=limits)
    url, role = sql_postgres.reader_url(
        settings.portal_database_url,
        role=settings.datastore_sql_role,
        configured=settings.datastore_sql_database_url,
    )
    sql_postgres.check_role_name(role, portal_url=settings.portal_database_url)
    ready = sql_postgres.provision(
        engine,
        role=role,
        limits=limits,
        temp_file_limit_kb=settings.datastore_sql_temp_file_limit_kb,
    )
    return SqlExecutor(
        runner=sql_postgres.PostgresRunner(url), limits=limits, grant_role=role if ready else None
    )


def catalogue_id(sessions: sessionmaker[Session]) -> str:
    """This database's catalogue id (made by migration 0010; made here for a database
    created without the migrations, as some tests do)."""
    for _ in range(2):
        with sessions() as session:
            row = session.get(SiteSetting, CATALOGUE_ID)
            if row is not None:
                return row.value
            session.add(SiteSetting(key=CATALOGUE_ID, value=str(uuid.uuid4())))
            try:
                session.commit()
            except IntegrityError:
                continue  # another process made it first: read theirs
    raise RuntimeError("could not read or create the catalogue id")


def index_writes(sessions: sessionmaker[Session]) -> int:
    """Search index writes acknowledged by every process (0 before any)."""
    with sessions() as session:
        row = session.get(SearchIndexWrites, 1)
        return row.writes if row is not None else 0


def count_index_write(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        bumped = session.execute(
            update(SearchIndexWrites)
            .where(SearchIndexWrites.id == 1)
            .values(writes=SearchIndexWrites.writes + 1)
        )
        if not bumped.rowcount:  # type: ignore[attr-defined]
            session.add(SearchIndexWrites(id=1, writes=1))  # a database made without migrations
        session.commit()
