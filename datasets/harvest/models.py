"""Harvesting tables: sources, jobs, the harvested record of each dataset, the scheduler lease.

Names follow ckanext-harvest (source, job, object) so its users find their way.
``harvest_object`` is the provenance of one dataset: which source it came
from, its id and URI there, when it was harvested, and a hash of what was
written, so a re-run changes only what changed at the source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from datasets.models import Base, Group, new_id, utcnow


class HarvestSource(Base):
    __tablename__ = "harvest_source"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    url: Mapped[str] = mapped_column(String(2000))
    # "ckan" (the Action API, through ckanapi) or "dcat" (RDF from a URL or a file).
    source_type: Mapped[str] = mapped_column(String(20))
    # The organisation datasets belong to unless the mapping names another.
    owner_org: Mapped[str] = mapped_column(ForeignKey("catalog_group.id"))
    frequency: Mapped[str] = mapped_column(String(20), default="MANUAL")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The newest source-side modification time of the last complete run: the next
    # CKAN run asks only for what changed since (the source's clock, not ours).
    watermark: Mapped[str | None] = mapped_column(String(40))

    organization: Mapped[Group] = relationship(lazy="joined")


class HarvestJob(Base):
    __tablename__ = "harvest_job"
    __table_args__ = (
        Index("ix_harvest_job_source_created", "source_id", "created"),
        # At most one job per source is waiting or running: the database refuses a second.
        Index(
            "ix_harvest_job_one_open",
            "source_id",
            unique=True,
            sqlite_where=text("status IN ('New', 'Running')"),
            postgresql_where=text("status IN ('New', 'Running')"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(ForeignKey("harvest_source.id", ondelete="CASCADE"))
    # New -> Running -> Finished | Failed (ckanext-harvest's words).
    status: Mapped[str] = mapped_column(String(20), default="New")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[datetime | None] = mapped_column(DateTime)
    finished: Mapped[datetime | None] = mapped_column(DateTime)
    # Bumped while running; a Running job whose heartbeat stopped died with its process.
    heartbeat: Mapped[datetime | None] = mapped_column(DateTime)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # {"gather_errors": [...], "object_errors": [{"guid", "message"}, ...]}
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)


class HarvestObject(Base):
    """The current harvested record of one dataset (its provenance)."""

    __tablename__ = "harvest_object"
    __table_args__ = (
        UniqueConstraint("source_id", "guid"),
        UniqueConstraint("package_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(ForeignKey("harvest_source.id", ondelete="CASCADE"))
    # The record's identity at the source: its CKAN id, or its DCAT URI / dct:identifier.
    guid: Mapped[str] = mapped_column(String(2000))
    package_id: Mapped[str] = mapped_column(ForeignKey("package.id", ondelete="CASCADE"))
    original_id: Mapped[str | None] = mapped_column(String(2000))
    original_uri: Mapped[str | None] = mapped_column(String(2000))
    original_name: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of what was last written: an unchanged record is not written again.
    content_hash: Mapped[str] = mapped_column(String(64))
    source_modified: Mapped[str | None] = mapped_column(String(40))
    first_harvested: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    harvested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_job_id: Mapped[str | None] = mapped_column(String(36))
    # "active", or "withdrawn" once the source no longer has it.
    state: Mapped[str] = mapped_column(String(20), default="active")

    source: Mapped[HarvestSource] = relationship(lazy="joined")


class HarvestLease(Base):
    """Who runs the scheduler now: one row per lease, held until ``expires_at``."""

    __tablename__ = "harvest_lease"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
