"""One unit of work on the catalog: the session plus what must happen after commit."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from datasets.storage import StagedFile, Storage
from datasets.validation.xlsx_guard import XlsxLimits
from delta.settings import GiB

T = TypeVar("T")


class ReadCache(Protocol):
    """Reads the portal may serve from memory (it keeps them exact; see open_portal.cache)."""

    def get(self, key: Hashable) -> Any | None: ...

    def put(self, key: Hashable, value: Any) -> None: ...

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T: ...


@dataclass
class CatalogUnit:
    session: Session
    site_url: str
    storage: Storage | None = None
    max_upload_bytes: int = 10 * GiB
    xlsx_limits: XlsxLimits = field(default_factory=lambda: XlsxLimits(GiB, 200))
    reads: ReadCache | None = None
    # Datasets whose search entry must follow this unit's changes once it commits.
    changed_packages: set[str] = field(default_factory=set)
    # Uploads this unit stores: moved into place just before commit, kept after it,
    # removed again if the unit rolls back (see datasets.storage).
    staged_files: list[StagedFile] = field(default_factory=list)
    # Files to remove once the unit has committed (replaced or deleted uploads).
    obsolete_files: list[str] = field(default_factory=list)
    # Set when the unit queued ingest jobs: the worker is woken once the unit commits.
    ingest_queued: bool = False

    def publish_staged_files(self) -> None:
        for staged in self.staged_files:
            staged.publish()

    def keep_staged_files(self) -> None:
        for staged in self.staged_files:
            staged.keep()
        self.staged_files.clear()

    def discard_staged_files(self) -> None:
        for staged in self.staged_files:
            staged.discard()
        self.staged_files.clear()

    def remove_obsolete_files(self) -> None:
        if self.storage is None:
            return
        for key in self.obsolete_files:
            self.storage.delete(key)
        self.obsolete_files.clear()
