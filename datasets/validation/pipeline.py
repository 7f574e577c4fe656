"""What happens to a tabular upload after it commits: convert, validate, report, load.

1. The stored bytes stay exactly as published (downloads serve them; their
   sha256 is the resource's hash). Text that is not plain UTF-8 -- GBK/GB18030
   above all -- is converted into a temporary UTF-8 copy, which is what gets
   validated and loaded; the report records the source encoding.
2. frictionless validates the copy against the resource's Table Schema (or
   an inferred one); the report is stored and the resource marked
   ``success``, ``failure`` or ``error``. Invalid data stays published, marked.
3. On success the rows are loaded into the DataStore (CKAN's xloader
   behaviour); on failure a DataStore table loaded from an earlier file is
   dropped, as it no longer matches the file.

Every step first checks the resource still has the file the job is about:
a newer upload makes an older job moot.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from datasets.datastore import tables as datastore_tables
from datasets.datastore.loader import LoadProblem, TableFile, load_file
from datasets.models import Resource, ResourceValidation, utcnow
from datasets.storage import HEAD_BYTES, LocalStorage
from datasets.validation import encoding
from datasets.validation.formats import TEXT_FORMATS, canonical
from datasets.validation.jobs import ClaimedJob
from datasets.validation.table_check import Outcome, check_table, error_outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestSettings:
    max_errors: int = 1000
    auto_load: bool = True
    # The role datastore_search_sql runs as, granted each loaded table (PostgreSQL).
    sql_reader: str | None = None


@dataclass(frozen=True)
class _Target:
    package_id: str
    format: str
    schema: Any
    name: str


class Pipeline:
    def __init__(
        self,
        *,
        engine: sa.Engine,
        sessions: sessionmaker[Session],
        storage: LocalStorage,
        settings: IngestSettings,
        on_changed: Callable[[set[str]], None],
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.storage = storage
        self.settings = settings
        self.on_changed = on_changed

    def process(self, job: ClaimedJob, *, heartbeat: Callable[[], None]) -> None:
        target = self._current(job)
        if target is None:
            return  # the resource was deleted or has another file by now
        with self._utf8_copy(job.storage_key, target.format) as (path, source_encoding, problem):
            if problem is not None or path is None:
                outcome = error_outcome(problem or "The file could not be read")
            else:
                outcome = check_table(
                    path,
                    resource_format=target.format,
                    given_schema=target.schema,
                    max_errors=self.settings.max_errors,
                    display_name=target.name,
                )
            if source_encoding and source_encoding not in ("utf-8", "ascii"):
                outcome.report["source_encoding"] = source_encoding
                outcome.report["converted_to_utf8"] = True
            heartbeat()
            if outcome.status == "success" and self.settings.auto_load and path is not None:
                outcome.report["datastore"] = self._load(job, target, path, outcome, heartbeat)
            elif outcome.status != "success":
                self._drop_loaded_table(job)
            self._record(job, target, outcome, source_encoding)

    def _current(self, job: ClaimedJob) -> _Target | None:
        with self.sessions() as session:
            resource = session.get(Resource, job.resource_id)
            if resource is None or resource.state != "active":
                return None
            if resource.storage_key != job.storage_key:
                return None
            return _Target(
                package_id=resource.package_id,
                format=canonical(resource.format),
                schema=(resource.extras or {}).get("schema"),
                name=resource.url or resource.id,
            )

    @contextmanager
    def _utf8_copy(
        self, key: str, resource_format: str
    ) -> Iterator[tuple[Path | None, str | None, str | None]]:
        """(path of UTF-8 content, source encoding, problem) for the stored file."""
        source = self.storage.path(key)
        if resource_format not in TEXT_FORMATS:
            yield source, None, None
            return
        with source.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        detected = encoding.detect(head, complete=len(head) < HEAD_BYTES)
        if detected is None:
            yield None, None, "The file is not text in an encoding we can read"
            return
        if detected in ("utf-8", "ascii"):
            yield source, detected, None
            return
        with self.storage.scratch(".utf8") as copy:
            try:
                encoding.to_utf8(source, copy, detected)
            except encoding.EncodingProblem as exc:
                yield None, detected, str(exc)
                return
            yield copy, detected, None

    def _load(
        self,
        job: ClaimedJob,
        target: _Target,
        path: Path,
        outcome: Outcome,
        heartbeat: Callable[[], None],
    ) -> dict[str, Any]:
        if outcome.schema is None:
            return {"loaded": False, "error": "no schema"}
        source = TableFile(
            path=path, format=target.format, schema=outcome.schema, csv_dialect=outcome.csv_dialect
        )
        try:
            result = load_file(
                self.engine,
                self.sessions,
                resource_id=job.resource_id,
                source=source,
                source_key=job.storage_key,
                progress=lambda _rows: heartbeat(),
                sql_reader=self.settings.sql_reader,
            )
        except LoadProblem as exc:
            return {"loaded": False, "error": str(exc)[:1000]}
        except sa.exc.DBAPIError as exc:
            log.warning("DataStore load of resource %s failed: %s", job.resource_id, exc.orig)
            return {"loaded": False, "error": "The database refused the rows"}
        log.info(
            "DataStore: loaded %d rows of resource %s in %.1fs",
            result.rows,
            job.resource_id,
            result.seconds,
        )
        return {"loaded": True, "rows": result.rows, "seconds": round(result.seconds, 3)}

    def _drop_loaded_table(self, job: ClaimedJob) -> None:
        with self.sessions() as session, session.begin():
            entry = datastore_tables.entry(session, job.resource_id)
            if entry is not None and entry.source_key is not None:
                datastore_tables.drop_for_resource(session, job.resource_id)

    def _record(
        self, job: ClaimedJob, target: _Target, outcome: Outcome, source_encoding: str | None
    ) -> None:
        with self.sessions() as session, session.begin():
            resource = session.get(Resource, job.resource_id)
            if resource is None or resource.storage_key != job.storage_key:
                # Replaced while we worked: what we loaded belongs to an old file.
                if resource is not None:
                    self._drop_if_from(session, job)
                return
            report = session.get(ResourceValidation, job.resource_id)
            if report is None:
                report = ResourceValidation(resource_id=job.resource_id)
                session.add(report)
            report.storage_key = job.storage_key
            report.status = outcome.status
            report.created = report.created or utcnow()
            report.finished = utcnow()
            report.source_encoding = source_encoding
            report.table_schema = outcome.schema
            report.report = outcome.report
            resource.validation_status = outcome.status
        self.on_changed({target.package_id})

    @staticmethod
    def _drop_if_from(session: Session, job: ClaimedJob) -> None:
        entry = datastore_tables.entry(session, job.resource_id)
        if entry is not None and entry.source_key == job.storage_key:
            datastore_tables.drop_for_resource(session, job.resource_id)
