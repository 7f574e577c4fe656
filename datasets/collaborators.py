"""Dataset collaborators (CKAN's ``package_collaborator_*``): users given a capacity in
one dataset. ``member`` reads it (private, draft or closed), ``editor`` also changes
it; the admins of the dataset's organisation manage them (datasets.policy)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from datasets import policy, repository
from datasets.dictization import iso
from datasets.models import Package, PackageCollaborator, utcnow
from datasets.policy import Action, Principal
from datasets.unit import CatalogUnit
from delta.errors import NotFound, ValidationFailed

CAPACITIES = ("editor", "member")


def _package(unit: CatalogUnit, actor: Principal, ref: str, action: Action) -> Package:
    package = repository.find_package(unit.session, ref)
    if package is None:
        raise NotFound("Dataset not found")
    target = policy.Dataset.of(package)
    # Those who may not even see the dataset learn nothing more about it.
    policy.require(actor, Action.READ, target)
    policy.require(
        actor,
        action,
        target,
        message=f"User {actor.name} not authorized to manage collaborators of this dataset",
    )
    return package


def check_capacity(capacity: str | None, *, required: bool) -> None:
    if capacity is None and not required:
        return
    if capacity not in CAPACITIES:
        raise ValidationFailed.on("capacity", f'Role must be one of "{", ".join(CAPACITIES)}"')


def collaborator_dict(row: PackageCollaborator) -> dict[str, Any]:
    return {
        "package_id": row.package_id,
        "user_id": row.user_id,
        "capacity": row.capacity,
        "modified": iso(row.modified),
    }


def set_collaborator(
    unit: CatalogUnit, *, actor: Principal, ref: str, user_id: str, capacity: str
) -> dict[str, Any]:
    check_capacity(capacity, required=True)
    package = _package(unit, actor, ref, Action.MANAGE_COLLABORATORS)
    row = unit.session.get(PackageCollaborator, (package.id, user_id))
    if row is None:
        row = PackageCollaborator(package_id=package.id, user_id=user_id)
        unit.session.add(row)
    row.capacity = capacity
    row.modified = utcnow()
    unit.session.flush()
    return collaborator_dict(row)


def remove_collaborator(unit: CatalogUnit, *, actor: Principal, ref: str, user_id: str) -> None:
    package = _package(unit, actor, ref, Action.MANAGE_COLLABORATORS)
    row = unit.session.get(PackageCollaborator, (package.id, user_id))
    if row is None:
        raise NotFound("User is not a collaborator on this dataset")
    unit.session.delete(row)
    unit.session.flush()


def list_collaborators(
    unit: CatalogUnit, *, actor: Principal, ref: str, capacity: str | None
) -> list[dict[str, Any]]:
    """Those who manage the collaborators list them (as CKAN)."""
    check_capacity(capacity, required=False)
    package = _package(unit, actor, ref, Action.MANAGE_COLLABORATORS)
    stmt = select(PackageCollaborator).where(PackageCollaborator.package_id == package.id)
    if capacity:
        stmt = stmt.where(PackageCollaborator.capacity == capacity)
    rows = unit.session.scalars(stmt.order_by(PackageCollaborator.modified)).all()
    return [collaborator_dict(row) for row in rows]


def collaborations_of(
    unit: CatalogUnit, *, user_id: str, capacity: str | None
) -> list[dict[str, Any]]:
    """The datasets a user collaborates in (the caller has checked it is theirs to see)."""
    check_capacity(capacity, required=False)
    stmt = select(PackageCollaborator).where(PackageCollaborator.user_id == user_id)
    if capacity:
        stmt = stmt.where(PackageCollaborator.capacity == capacity)
    rows = unit.session.scalars(stmt.order_by(PackageCollaborator.modified)).all()
    return [
        {"package_id": row.package_id, "capacity": row.capacity, "modified": iso(row.modified)}
        for row in rows
    ]
