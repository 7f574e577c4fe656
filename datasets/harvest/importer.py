"""Writing gathered records into the catalogue: add, update, leave alone, withdraw.

A record whose content hash matches what was written last time is not
touched (a re-run changes nothing). Records are written in batches, each
record inside its own savepoint: a record the catalogue refuses is reported
and rolled back alone, and no dataset is ever half-written. Everything goes
through the same services as the API, so validation, activity, the open
classes and the search index apply to harvested datasets as to any other.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets import packages, repository
from datasets.harvest.models import HarvestObject, HarvestSource
from datasets.harvest.records import Gathered, Problem, Progress, Record
from datasets.models import Group, Package, utcnow
from datasets.policy import Principal
from datasets.schemas import RESERVED_NAMES
from datasets.unit import CatalogUnit
from delta.errors import DomainError, ValidationFailed

Units = Callable[[], AbstractContextManager[CatalogUnit]]
BATCH = 100


@dataclass
class Stats:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errored: int = 0

    def as_dict(self) -> dict[str, int]:
        """ckanext-harvest's words for the same counts."""
        return {
            "added": self.added,
            "updated": self.updated,
            "not modified": self.unchanged,
            "deleted": self.withdrawn,
            "errored": self.errored,
        }


@dataclass
class Outcome:
    stats: Stats = field(default_factory=Stats)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class _Known:
    """What was harvested from this source before, by guid."""

    object_id: str
    package_id: str
    content_hash: str
    state: str
    original_name: str | None


class Organizations:
    """Which of our organisations a record belongs to.

    In order: the source's mapping (remote name, title or publisher URI -> ours),
    the same unified social credit code, the same title, else the source's own
    organisation. The USCC makes the same department the same organisation in
    every region's portal."""

    def __init__(self, session: Session, source: HarvestSource) -> None:
        orgs = session.scalars(
            select(Group).where(Group.is_organization.is_(True), Group.state == "active")
        ).all()
        self.by_name = {org.name: org.id for org in orgs}
        self.by_uscc = {org.uscc: org.id for org in orgs if org.uscc}
        self.by_title = {org.title: org.id for org in orgs if org.title}
        self.mapping: dict[str, str] = dict((source.config or {}).get("organizations") or {})
        self.default = source.owner_org

    def resolve(self, publisher: dict[str, Any]) -> str:
        for key in ("name", "title", "uri"):
            mapped = self.mapping.get(str(publisher.get(key) or ""))
            if mapped and mapped in self.by_name:
                return self.by_name[mapped]
        code = publisher.get("uscc") or publisher.get("identifier")
        if code and code in self.by_uscc:
            return self.by_uscc[code]
        title = publisher.get("title") or publisher.get("name")
        if title and title in self.by_title:
            return self.by_title[title]
        return self.default


class Importer:
    def __init__(
        self,
        units: Units,
        *,
        source: HarvestSource,
        job_id: str,
        actor: Principal,
        batch: int = BATCH,
    ) -> None:
        self.units = units
        self.source = source
        self.job_id = job_id
        self.actor = actor
        self.batch = batch

    def run(self, gathered: Gathered, progress: Progress, *, complete: bool) -> Outcome:
        """Import ``gathered``; withdraw what the source no longer has when ``complete``."""
        outcome = Outcome(problems=list(gathered.problems))
        outcome.stats.errored = len(gathered.problems)
        with self.units() as unit:
            known = self._known(unit.session)
            organizations = Organizations(unit.session, self.source)
        total = len(gathered.records)
        for start in range(0, total, self.batch):
            with self.units() as unit:
                for record in gathered.records[start : start + self.batch]:
                    self._one(unit, record, known.get(record.guid), organizations, outcome)
            progress("import", min(start + self.batch, total), total)
        if complete:
            self._withdraw(gathered, known, outcome, progress)
        return outcome

    def _known(self, session: Session) -> dict[str, _Known]:
        rows = session.scalars(
            select(HarvestObject).where(HarvestObject.source_id == self.source.id)
        ).all()
        return {
            row.guid: _Known(row.id, row.package_id, row.content_hash, row.state, row.original_name)
            for row in rows
        }

    def _one(
        self,
        unit: CatalogUnit,
        record: Record,
        known: _Known | None,
        organizations: Organizations,
        outcome: Outcome,
    ) -> None:
        digest = record.content_hash()
        if known is not None and known.content_hash == digest and known.state == "active":
            outcome.stats.unchanged += 1
            return
        try:
            with unit.session.begin_nested():
                added = self._write(unit, record, known, organizations, digest)
        except DomainError as exc:
            outcome.stats.errored += 1
            outcome.problems.append(Problem(record.guid, _explain(exc)))
            return
        if added:
            outcome.stats.added += 1
        else:
            outcome.stats.updated += 1

    def _write(
        self,
        unit: CatalogUnit,
        record: Record,
        known: _Known | None,
        organizations: Organizations,
        digest: str,
    ) -> bool:
        data: dict[str, Any] = {
            **record.data,
            "owner_org": organizations.resolve(record.publisher),
            "private": False,
        }
        package = unit.session.get(Package, known.package_id) if known else None
        now = utcnow()
        if package is not None and known is not None:
            data["id"], data["name"] = package.id, package.name
            # Resources keep their ids (and download counts) position by position.
            current = package.resources
            data["resources"] = [
                {**r, "id": current[i].id} if i < len(current) else r
                for i, r in enumerate(data.get("resources") or [])
            ]
            if known.state != "active":
                data["state"] = "active"  # back at the source: back here
            packages.update_package(unit, actor=self.actor, data=data)
            row = unit.session.get(HarvestObject, known.object_id)
            assert row is not None
        else:
            data["name"] = _free_name(unit.session, record.name)
            created = packages.create_package(unit, actor=self.actor, data=data)
            row = HarvestObject(
                source_id=self.source.id, guid=record.guid, package_id=created["id"],
                first_harvested=now,
            )  # fmt: skip
            unit.session.add(row)
        row.content_hash = digest
        row.original_id = record.original_id
        row.original_uri = record.original_uri
        row.original_name = record.name
        row.source_modified = record.source_modified
        row.harvested_at = now
        row.last_job_id = self.job_id
        row.state = "active"
        unit.session.flush()
        return package is None

    def _withdraw(
        self, gathered: Gathered, known: dict[str, _Known], outcome: Outcome, progress: Progress
    ) -> None:
        gathered_now = {record.guid for record in gathered.records}
        gone = [
            item
            for guid, item in known.items()
            if item.state == "active"
            and guid not in gathered_now
            and not _still_there(gathered, guid, item)
        ]
        for start in range(0, len(gone), self.batch):
            with self.units() as unit:
                for item in gone[start : start + self.batch]:
                    package = unit.session.get(Package, item.package_id)
                    if package is not None and package.state != "deleted":
                        packages.delete_package(unit, actor=self.actor, ref=package.id)
                    row = unit.session.get(HarvestObject, item.object_id)
                    if row is not None:
                        row.state = "withdrawn"
                        row.last_job_id = self.job_id
                    outcome.stats.withdrawn += 1
            progress("withdraw", min(start + self.batch, len(gone)), len(gone))


def _still_there(gathered: Gathered, guid: str, item: _Known) -> bool:
    if guid in gathered.unreadable:
        return True  # broken at the source is not gone from it
    if gathered.present_guids is not None:
        return guid in gathered.present_guids
    if gathered.present_names is not None:
        return item.original_name in gathered.present_names
    return True


def _free_name(session: Session, wanted: str) -> str:
    """The source's name if it is free here, else the first free ``name-N``."""
    base = wanted if wanted not in RESERVED_NAMES else f"{wanted}-1"
    candidate, number = base, 2
    while repository.ref_taken(session, Package, candidate):
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def _explain(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        return "refused: " + "; ".join(f"{k}: {v}" for k, v in exc.errors.items())[:500]
    return f"{type(exc).__name__}: {exc}"[:500]
