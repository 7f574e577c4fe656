"""Keeps the search index in step with the catalog."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from datasets import policy
from datasets.dictization import STORED_FORM, package_dict
from datasets.models import Package
from search.protocol import IndexDoc, SearchBackend

log = logging.getLogger(__name__)

BATCH = 500


class CatalogIndexer:
    """Documents hold the stored form of each dict: links relative to the site, made
    absolute by whoever serves them (a portal may be served on another address later)."""

    def __init__(
        self, backend: SearchBackend, on_written: Callable[[], None] | None = None
    ) -> None:
        self.backend = backend
        # Told after each change is in the index (the portal counts them for other processes).
        self.on_written = on_written

    def doc_for(self, package: Package) -> IndexDoc:
        return IndexDoc(
            package=package_dict(package, site_url=STORED_FORM),
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
                docs = [self.doc_for(found[i]) for i in ids if i in found]
                # A harvest batch or a multi-dataset change: one bulk request, not one each.
                if len(docs) == 1:
                    self.backend.index(docs[0])
                elif docs:
                    self.backend.bulk_index(docs)
                for package_id in ids:
                    if package_id not in found:
                        self.backend.delete(package_id)
            if self.on_written is not None:
                self.on_written()
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
            count = self.backend.reindex(self._all_docs(session), progress=progress)
        if self.on_written is not None:
            # Other processes refresh, and drop the results they cached, on their next search.
            self.on_written()
        return count

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
