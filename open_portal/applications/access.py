"""Who may have a dataset's data -- files, DataStore rows, dumps, reports -- not only
its metadata. Everyone who may read the metadata may have the data of an
unconditional dataset; a conditional one's data needs an approved, unexpired,
unrevoked data-use application (members of the owning organisation and
sysadmins need none); a closed one's data never leaves
its organisation.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets import packages, repository
from datasets.access import Principal, is_creator_of_orphan
from datasets.models import DataApplication, Package, Resource, utcnow
from datasets.unit import CatalogUnit
from delta.errors import NotAuthorized, NotFound
from standards.open_classes import OpenClass

APPLY_HINT = (
    "This dataset is conditionally open: its data needs an approved data-use application "
    "(data_application_create)"
)


def granted_packages(session: Session, user_id: str | None, package_ids: Iterable[str]) -> set[str]:
    """Of ``package_ids``, those ``user_id`` holds a current grant for."""
    ids = list(set(package_ids))
    if not user_id or not ids:
        return set()
    rows = session.scalars(
        select(DataApplication.package_id).where(
            DataApplication.applicant_id == user_id,
            DataApplication.package_id.in_(ids),
            DataApplication.state == "approved",
            DataApplication.expires_at > utcnow(),
            DataApplication.revoked_at.is_(None),
        )
    )
    return set(rows)


def is_insider(actor: Principal, *, owner_org: str | None, creator: str | None) -> bool:
    """Sysadmins and members of the owning organisation see everything (the creator
    too, of a dataset without an organisation)."""
    return actor.is_member_of(owner_org) or is_creator_of_orphan(
        actor, owner_org=owner_org, creator=creator
    )


def may_have_data(session: Session, actor: Principal, package: Package) -> bool:
    if is_insider(actor, owner_org=package.owner_org, creator=package.creator_user_id):
        return True
    if package.open_class == OpenClass.UNCONDITIONAL:
        return True
    if package.open_class == OpenClass.CONDITIONAL:
        return package.id in granted_packages(session, actor.user_id, [package.id])
    return False


def data_package(unit: CatalogUnit, *, actor: Principal, ref: str) -> Package:
    """The dataset, when the caller may read its metadata and have its data."""
    package = packages.get_readable_package(unit, actor=actor, ref=ref)
    _check_data(unit, actor, package)
    return package


def _check_data(unit: CatalogUnit, actor: Principal, package: Package) -> None:
    if not may_have_data(unit.session, actor, package):
        if package.open_class == OpenClass.CONDITIONAL:
            raise NotAuthorized(APPLY_HINT)
        raise NotAuthorized("The data of this dataset is not open")


def data_resource(
    unit: CatalogUnit, *, actor: Principal, resource_id: str, package_ref: str | None = None
) -> tuple[Package, Resource]:
    """A resource and its dataset, when the caller may have the data."""
    resource = repository.find_resource(unit.session, resource_id)
    if resource is None or resource.package.state == "deleted":
        raise NotFound("Resource was not found.")
    if package_ref is not None and package_ref not in (resource.package_id, resource.package.name):
        raise NotFound("Resource was not found.")
    # The resource's own dataset, not whatever a lookup of its id by id-or-name finds.
    package = resource.package
    packages.check_readable(actor, package)
    _check_data(unit, actor, package)
    return package, resource
