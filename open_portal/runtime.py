"""The running portal: settings, database, storage and search, wired once per process."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from datasets.indexing import CatalogIndexer
from datasets.models import Resource
from datasets.storage import LocalStorage
from datasets.unit import CatalogUnit
from datasets.validation.pipeline import IngestSettings, Pipeline
from datasets.validation.worker import IngestWorker
from datasets.validation.xlsx_guard import XlsxLimits
from delta.db import make_engine, make_session_factory
from delta.settings import Settings
from open_portal.cache import CatalogCache, RevisionReads, track_catalog_changes
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

    @classmethod
    def open(cls, settings: Settings) -> Portal:
        home = settings.ensure_home()
        engine = make_engine(settings.portal_database_url)
        sessions = make_session_factory(engine)
        track_catalog_changes(sessions)
        search = open_backend(settings.search_url, index_path=home / "search" / "catalog.db")
        storage = LocalStorage(home / "storage")
        indexer = CatalogIndexer(search)
        pipeline = Pipeline(
            engine=engine,
            sessions=sessions,
            storage=storage,
            settings=IngestSettings(
                max_errors=settings.validation_max_errors,
                auto_load=settings.datastore_auto_load,
            ),
            on_changed=lambda package_ids: indexer.sync(sessions, package_ids),
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            storage=storage,
            search=search,
            indexer=indexer,
            cache=CatalogCache(),
            ingest=IngestWorker(pipeline, sessions, poll_seconds=settings.ingest_poll_seconds),
        )

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
            session.commit()
        except BaseException:
            session.rollback()
            unit.discard_staged_files()
            raise
        finally:
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

    def close(self) -> None:
        self.ingest.stop()
        self.search.close()
        self.engine.dispose()
