"""Keeps the search index in step with the catalog."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from datasets import policy
from datasets.dictization import package_dict
from datasets.models import Package
from search.protocol import IndexDoc, SearchBackend

log = logging.getLogger(__name__)

BATCH = 500


class CatalogIndexer:
    def __init__(self, backend: SearchBackend, *, site_url: str) -> None:
        self.backend = backend
        self.site_url = site_url

    def doc_for(self, package: Package) -> IndexDoc:
        return IndexDoc(
            package=package_dict(package, site_url=self.site_url),
            permission_labels=policy.dataset_labels(policy.Dataset.of(package)),
        )

    def sync(self, sessions: sessionmaker[Session], package_ids: Iterable[str]) -> None:
        """Index (or drop) each dataset as it now is in the database."""
        ids = sorted(set(package_ids))
        if not ids:
            return
        try:
            with sessions() as session:
                found = {
                    p.id: p for p in session.scalars(select(Package).where(Package.id.in_(ids)))
                }
                for package_id in ids:
                    package = found.get(package_id)
                    if package is None:
                        self.backend.delete(package_id)
                    else:
                        self.backend.index(self.doc_for(package))
        except Exception:
            # The change itself is committed; `delta search reindex` repairs the index.
            log.exception("search index update failed for %d dataset(s)", len(ids))

    def reindex(
        self,
        sessions: sessionmaker[Session],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Replace the whole index; searches keep answering from the old one meanwhile."""
        with sessions() as session:
            return self.backend.reindex(self._all_docs(session), progress=progress)

    def _all_docs(self, session: Session) -> Iterator[IndexDoc]:
        last_id = ""
        while True:
            batch = session.scalars(
                select(Package).where(Package.id > last_id).order_by(Package.id).limit(BATCH)
            ).all()
            if not batch:
                return
            for package in batch:
                yield self.doc_for(package)
            last_id = batch[-1].id
            session.expunge_all()
