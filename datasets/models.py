"""Catalog tables: organisations and groups, datasets (packages), resources, tags,
extras and the activity record of every change.

Shapes follow CKAN's model so the Action API maps one to one; the first-class
fields of our catalog (region, open class, update frequency, theme, English
title and description, temporal coverage) are real columns, not extras.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from datasets import links

if TYPE_CHECKING:
    from datasets.harvest.models import HarvestObject


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Naive UTC, as CKAN stores and prints its timestamps."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Metadata of the portal database (catalog, accounts, applications)."""

    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


package_tag = Table(
    "package_tag",
    Base.metadata,
    Column("package_id", ForeignKey("package.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_package_tag_tag_id", "tag_id"),
)

package_group = Table(
    "package_group",
    Base.metadata,
    Column("package_id", ForeignKey("package.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("catalog_group.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_package_group_group_id", "group_id"),
)


class Group(Base):
    """CKAN keeps organisations and groups in one table; so do we."""

    __tablename__ = "catalog_group"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    title_en: Mapped[str | None] = mapped_column(String(512))
    description: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str] = mapped_column(String(2000), default="")
    is_organization: Mapped[bool] = mapped_column(Boolean, default=False)
    region_code: Mapped[str | None] = mapped_column(String(6))
    # An organisation's unified social credit code (GB 32100): its publisher identifier.
    uscc: Mapped[str | None] = mapped_column(String(18))
    state: Mapped[str] = mapped_column(String(20), default="active")
    approval_status: Mapped[str] = mapped_column(String(20), default="approved")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)

    @property
    def type(self) -> str:
        return "organization" if self.is_organization else "group"


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Package(Base):
    __tablename__ = "package"
    __table_args__ = (
        Index("ix_package_state_private", "state", "private"),
        Index("ix_package_owner_org", "owner_org"),
        Index("ix_package_metadata_modified", "metadata_modified"),
        CheckConstraint(links.PACKAGE_URL_CHECK, name="ck_package_url_scheme"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str | None] = mapped_column(String(512))
    author_email: Mapped[str | None] = mapped_column(String(512))
    maintainer: Mapped[str | None] = mapped_column(String(512))
    maintainer_email: Mapped[str | None] = mapped_column(String(512))
    license_id: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="active")
    type: Mapped[str] = mapped_column(String(100), default="dataset")
    owner_org: Mapped[str | None] = mapped_column(ForeignKey("catalog_group.id"))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    creator_user_id: Mapped[str | None] = mapped_column(String(36))
    metadata_created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # First-class fields of the Delta catalog.
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    open_class: Mapped[str] = mapped_column(String(20), default="unconditional")
    update_frequency: Mapped[str | None] = mapped_column(String(20))
    theme: Mapped[str | None] = mapped_column(String(20))
    title_en: Mapped[str | None] = mapped_column(String(512))
    notes_en: Mapped[str | None] = mapped_column(Text)
    temporal_start: Mapped[str | None] = mapped_column(String(32))
    temporal_end: Mapped[str | None] = mapped_column(String(32))

    organization: Mapped[Group | None] = relationship(lazy="joined")
    resources: Mapped[list[Resource]] = relationship(
        back_populates="package",
        order_by="Resource.position",
        cascade="all, delete-orphan",
        primaryjoin="and_(Resource.package_id == Package.id, Resource.state == 'active')",
        overlaps="package",
        lazy="selectin",
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary=package_tag, order_by="Tag.name", lazy="selectin"
    )
    extras: Mapped[list[PackageExtra]] = relationship(
        cascade="all, delete-orphan", order_by="PackageExtra.key", lazy="selectin"
    )
    groups: Mapped[list[Group]] = relationship(
        secondary=package_group, order_by="Group.name", lazy="selectin"
    )
    # Where a harvested dataset came from (datasets.harvest); None for our own.
    harvest: Mapped[HarvestObject | None] = relationship(
        "HarvestObject", viewonly=True, lazy="selectin", uselist=False
    )


class PackageExtra(Base):
    __tablename__ = "package_extra"
    __table_args__ = (UniqueConstraint("package_id", "key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(ForeignKey("package.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text, default="")


class Resource(Base):
    __tablename__ = "resource"
    __table_args__ = (
        Index("ix_resource_package_id", "package_id", "position"),
        CheckConstraint(links.RESOURCE_URL_CHECK, name="ck_resource_url_scheme"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(ForeignKey("package.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    url: Mapped[str] = mapped_column(String(2000), default="")
    name: Mapped[str | None] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(100))
    mimetype: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)
    hash: Mapped[str | None] = mapped_column(String(200))
    url_type: Mapped[str | None] = mapped_column(String(50))
    # Where an uploaded file lives in storage; a new upload gets a new key.
    storage_key: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="active")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_modified: Mapped[datetime | None] = mapped_column(DateTime)
    metadata_modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Resource-level keys CKAN clients add freely (e.g. "schema", "encoding").
    extras: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Outcome of validating the stored file: pending, success, failure or error.
    validation_status: Mapped[str | None] = mapped_column(String(20))

    package: Mapped[Package] = relationship(overlaps="resources")
    # The last check of a link resource's URL (metadata quality: reachable or not).
    link_check: Mapped[ResourceLinkCheck | None] = relationship(
        "ResourceLinkCheck", viewonly=True, lazy="selectin", uselist=False
    )


class ResourceLinkCheck(Base):
    """Whether a link resource's URL answered when last checked (``delta quality check-links``)."""

    __tablename__ = "resource_link_check"

    resource_id: Mapped[str] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))


class Activity(Base):
    """An append-only record of every change: who, when, what, and the result."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_object", "object_id", "timestamp"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[str | None] = mapped_column(String(36))
    object_id: Mapped[str] = mapped_column(String(36))
    activity_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CatalogRevision(Base):
    """A counter bumped by every change to the catalog, in the changing transaction.

    Processes compare it with the revision their caches were filled at; one
    tiny indexed read per request keeps every process's caches exact.
    """

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class PackageCollaborator(Base):
    """A user given a capacity in one dataset (CKAN's dataset collaborators, its
    ``package_member`` table): ``member`` reads it, ``editor`` also changes it."""

    __tablename__ = "package_collaborator"
    __table_args__ = (Index("ix_package_collaborator_user_id", "user_id"),)

    package_id: Mapped[str] = mapped_column(
        ForeignKey("package.id", ondelete="CASCADE"), primary_key=True
    )
    # The database refers it to portal_user (migration 0008); the catalog's metadata
    # does not know the accounts' tables.
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    capacity: Mapped[str] = mapped_column(String(20))
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SiteSetting(Base):
    """Facts about this portal database. ``catalogue_id``, a random id made by migration
    0010, names the catalogue: a search index built from another database is refused."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


CATALOGUE_ID = "catalogue_id"


class SearchIndexWrites(Base):
    """Bumped after each search index write, by any process: a process whose last
    refresh of the index came before the current count refreshes before it searches."""

    __tablename__ = "search_index_writes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    writes: Mapped[int] = mapped_column(BigInteger, default=0)


# --- Publishing: downloads, validation, DataStore (docs/publishing.md) -------------------


class DownloadCount(Base):
    """Downloads of a resource per day. Rows outlive their resource, so a dataset's
    total still counts files it no longer has. What counts as one download: a full
    GET, or a range request starting at byte 0 (so a resumed download counts once)."""

    __tablename__ = "download_count"
    __table_args__ = (Index("ix_download_count_package_id", "package_id"),)

    resource_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    package_id: Mapped[str] = mapped_column(String(36))
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class IngestJob(Base):
    """Work after an upload commits: validate the stored file, then load the DataStore.

    ``available_at`` is when the job may next be claimed; a running job's claim sets it
    to the end of its lease, so a job whose worker died is picked up again later.
    """

    __tablename__ = "ingest_job"
    __table_args__ = (Index("ix_ingest_job_state_available", "state", "available_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(String(36), index=True)
    # The stored file the job is about; once the resource has another, the job is moot.
    storage_key: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)


class ResourceValidation(Base):
    """The newest validation report of a resource's stored file."""

    __tablename__ = "resource_validation"

    resource_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished: Mapped[datetime | None] = mapped_column(DateTime)
    # The encoding the file arrived in (it is read as UTF-8 after conversion).
    source_encoding: Mapped[str | None] = mapped_column(String(40))
    # The Table Schema the rows were checked against (given or inferred).
    table_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DatastoreTable(Base):
    """Where a resource's DataStore rows live, and their CKAN field list.

    The physical table name is generated (``ds_`` + random hex), never taken
    from user text; a reload fills a new table and swaps this row to it.
    """

    __tablename__ = "datastore_table"

    resource_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    table_name: Mapped[str] = mapped_column(String(63), unique=True)
    fields: Mapped[list[Any]] = mapped_column(default=list)
    primary_key: Mapped[list[Any]] = mapped_column(default=list)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The stored file the rows were loaded from (None: written through the API).
    source_key: Mapped[str | None] = mapped_column(String(100))


# --- Data-use applications for conditionally open datasets ------------------------------


class DataApplication(Base):
    """A request to use a conditional dataset's data, and (once approved) the grant."""

    __tablename__ = "data_application"
    __table_args__ = (
        Index("ix_data_application_applicant", "applicant_id", "package_id"),
        Index("ix_data_application_package_state", "package_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(ForeignKey("package.id"))
    applicant_id: Mapped[str] = mapped_column(String(36))
    purpose: Mapped[str] = mapped_column(Text)
    applicant_organization: Mapped[str] = mapped_column(String(512))
    intended_use: Mapped[str] = mapped_column(Text)
    agreement_accepted_at: Mapped[datetime] = mapped_column(DateTime)
    # pending -> approved | rejected; approved -> revoked. Expiry is read from expires_at.
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(36))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    # The period the applicant asks to use the data for (ISO dates; optional).
    period_start: Mapped[str | None] = mapped_column(String(10))
    period_end: Mapped[str | None] = mapped_column(String(10))

    package: Mapped[Package] = relationship(lazy="joined")


class DataApplicationEvent(Base):
    """Append-only audit of the application workflow (the database refuses updates)."""

    __tablename__ = "data_application_event"
    __table_args__ = (Index("ix_data_application_event_application", "application_id", "at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    application_id: Mapped[str] = mapped_column(String(36))
    package_id: Mapped[str] = mapped_column(String(36))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- Resource views and resumable uploads (the web pages, docs/web.md) -------------------


class ResourceView(Base):
    """A CKAN resource view: how a resource is shown (a table preview, a chart, a map).

    ``config`` holds the view type's own keys (e.g. a chart's ``x`` and ``y``
    columns); CKAN prints them beside the view's fields.
    """

    __tablename__ = "resource_view"
    __table_args__ = (Index("ix_resource_view_resource", "resource_id", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resource.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    view_type: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(Integer, default=0)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ResumableUpload(Base):
    """An upload sent in pieces (the tus protocol): who may continue it, for which
    dataset, how long it is. The bytes received so far are the file itself."""

    __tablename__ = "resumable_upload"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), index=True)
    package_id: Mapped[str] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(512))
    length: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


# The harvest tables belong to this metadata; Package.harvest refers to them by name.
from datasets.harvest import models as _harvest_models  # noqa: E402,F401
