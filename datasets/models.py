"""Catalog tables: organisations and groups, datasets (packages), resources, tags,
extras and the activity record of every change.

Shapes follow CKAN's model so the Action API maps one to one; the first-class
fields of our catalog (region, open class, update frequency, theme, English
title and description, temporal coverage) are real columns, not extras.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
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


class PackageExtra(Base):
    __tablename__ = "package_extra"
    __table_args__ = (UniqueConstraint("package_id", "key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    package_id: Mapped[str] = mapped_column(ForeignKey("package.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text, default="")


class Resource(Base):
    __tablename__ = "resource"
    __table_args__ = (Index("ix_resource_package_id", "package_id", "position"),)

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

    package: Mapped[Package] = relationship(overlaps="resources")


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
