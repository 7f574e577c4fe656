"""Per-process caches of catalog reads that stay exact across processes.

Every transaction that changes the catalog bumps one counter row
(``catalog_revision``) as part of the same commit. Each request first learns
that counter -- cheaply, without a query while nothing changed (see
open_portal/freshness.py) -- and when it moved, the process drops its cached
reads. An open-data portal is read far more than it is written, so most reads
then cost no query at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event, select, text, update
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from datasets.models import (
    CatalogRevision,
    Group,
    Package,
    PackageExtra,
    Resource,
    ResourceLinkCheck,
    Tag,
)
from open_portal.freshness import PolledRevision, RevisionSource

# Objects whose change alters what cached reads return (a link check moves a quality score).
CATALOG_MODELS = (Package, Resource, Group, PackageExtra, Tag, ResourceLinkCheck)
_CHANGED = "catalog_changed"
_COMMITTING = "catalog_revision_committing"
T = TypeVar("T")


class CatalogCache:
    def __init__(self, maxsize: int = 20_000, source: RevisionSource | None = None) -> None:
        self.maxsize = maxsize
        self.source: RevisionSource = source or PolledRevision()
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._revision: int | None = None

    def sync(self, session: Session) -> int:
        """Learn the catalog revision; forget everything cached at an older one."""
        current = self.source.current(session)
        with self._lock:
            if self._revision is None or current > self._revision:
                self._entries.clear()
                self._revision = current
            # An older answer (a notification still on its way) never rolls the cache back.
            return self._revision

    def advance(self, revision: int) -> None:
        """This process committed ``revision``: its own next read must see it."""
        with self._lock:
            if self._revision is None or revision > self._revision:
                self._entries.clear()
                self._revision = revision
        self.source.committed(revision)

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any, *, revision: int) -> None:
        """Store ``value`` computed at ``revision``, unless the cache has moved on since."""
        with self._lock:
            if revision != self._revision:
                return
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class RevisionReads:
    """The cache as one unit of work sees it: synced once, at the unit's revision."""

    def __init__(self, cache: CatalogCache, session: Session) -> None:
        self.cache = cache
        self.session = session
        self.revision: int | None = None

    def _synced(self) -> int:
        if self.revision is None:
            self.revision = self.cache.sync(self.session)
        return self.revision

    def get(self, key: Hashable) -> Any | None:
        self._synced()
        return self.cache.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        self.cache.put(key, value, revision=self._synced())

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        found = self.get(key)
        if found is not None:
            return found
        value = compute()
        self.put(key, value)
        return value


def track_catalog_changes(
    sessions: sessionmaker[Session],
    *,
    committed: Callable[[int], None] | None = None,
    notify: Callable[[int], str] | None = None,
) -> None:
    """Bump the revision in every transaction that changed catalog objects; announce
    it with ``notify``'s statement in that transaction, and hand it to ``committed``
    once the transaction has committed."""

    @event.listens_for(sessions, "after_flush")
    def _note(session: Session, _context: Any) -> None:
        touched = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(obj, CATALOG_MODELS) for obj in touched):
            session.info[_CHANGED] = True

    @event.listens_for(sessions, "do_orm_execute")
    def _note_statement(state: ORMExecuteState) -> None:
        # UPDATE/DELETE/INSERT statements on mapped classes (the ingest queue marks a
        # resource failed this way) change rows the flush never sees.
        if (state.is_update or state.is_delete or state.is_insert) and any(
            issubclass(mapper.class_, CATALOG_MODELS) for mapper in state.all_mappers
        ):
            state.session.info[_CHANGED] = True

    @event.listens_for(sessions, "before_commit")
    def _bump(session: Session) -> None:
        session.flush()
        if session.info.pop(_CHANGED, False):
            session.execute(
                update(CatalogRevision)
                .where(CatalogRevision.id == 1)
                .values(revision=CatalogRevision.revision + 1)
            )
            if committed is None and notify is None:
                return
            # The row is locked by our UPDATE until commit: this is our revision.
            revision = int(
                session.scalar(select(CatalogRevision.revision).where(CatalogRevision.id == 1)) or 0
            )
            if notify is not None:
                session.execute(text(notify(revision)))
            session.info[_COMMITTING] = revision

    @event.listens_for(sessions, "after_commit")
    def _committed(session: Session) -> None:
        revision = session.info.pop(_COMMITTING, None)
        if revision is not None and committed is not None:
            committed(revision)

    @event.listens_for(sessions, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop(_CHANGED, None)
        session.info.pop(_COMMITTING, None)
