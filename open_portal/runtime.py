"""The running portal: settings, database, storage and search, wired once per process."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from datasets.indexing import CatalogIndexer
from datasets.storage import LocalStorage
from datasets.unit import CatalogUnit
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

    @classmethod
    def open(cls, settings: Settings) -> Portal:
        home = settings.ensure_home()
        engine = make_engine(settings.portal_database_url)
        sessions = make_session_factory(engine)
        track_catalog_changes(sessions)
        search = open_backend(settings.search_url, index_path=home / "search" / "catalog.db")
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            storage=LocalStorage(home / "storage"),
            search=search,
            indexer=CatalogIndexer(search, site_url=settings.site_url),
            cache=CatalogCache(),
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
        )
        unit.reads = RevisionReads(self.cache, session)
        try:
            yield unit
            session.commit()
        except BaseException:
            session.rollback()
            unit.discard_written_files()
            raise
        finally:
            session.close()
        unit.remove_obsolete_files()
        self.indexer.sync(self.sessions, unit.changed_packages)

    def close(self) -> None:
        self.search.close()
        self.engine.dispose()
