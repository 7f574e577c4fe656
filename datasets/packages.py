"""Dataset (package) services: create, update, patch, delete, show, list.

Every function takes the unit of work first and the rest by keyword; it checks
permission first (CKAN answers 403 before 409), then validates everything and
raises one :class:`ValidationFailed` with all field errors, and only then
writes. Nothing is written when anything fails: the caller's unit rolls back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, or_, select

import datasets.datastore.tables as datastore_tables
from datasets import changes, fields, policy, repository, resources, revise
from datasets.dictization import package_dict
from datasets.models import (
    DataApplication,
    Group,
    Package,
    PackageCollaborator,
    PackageExtra,
    Resource,
    new_id,
    utcnow,
)
from datasets.policy import Action, Principal
from datasets.schemas import PackageIn, TagIn, parse_model
from datasets.unit import CatalogUnit
from delta.errors import ErrorDict, NotFound, ValidationFailed


@dataclass(frozen=True)
class _Shown:
    """A package dict with the facts deciding who may read it (cacheable for everyone)."""

    dataset: policy.Dataset
    result: dict[str, Any]
    # The result as JSON, when that round-trips to an equal dict: loading it is the
    # fastest deep copy (a package dict has hundreds of objects).
    encoded: bytes | None = None

    @classmethod
    def of(cls, package: Package, *, site_url: str) -> _Shown:
        result = package_dict(package, site_url=site_url)
        try:
            encoded: bytes | None = orjson.dumps(result)
        except TypeError:
            encoded = None
        if encoded is not None and orjson.loads(encoded) != result:
            encoded = None
        return cls(policy.Dataset.of(package), result, encoded)

    def copy(self, *, shallow: bool = False) -> dict[str, Any]:
        if shallow:
            # Own top level and resource dicts; everything deeper is the cache's, shared.
            top = dict(self.result)
            if isinstance(top.get("resources"), list):
                top["resources"] = [dict(r) if isinstance(r, dict) else r for r in top["resources"]]
            return top
        if self.encoded is not None:
            copied: dict[str, Any] = orjson.loads(self.encoded)
            return copied
        return _copied(self.result)


def show_package(
    unit: CatalogUnit, *, actor: Principal, ref: str, shallow: bool = False
) -> dict[str, Any]:
    """The dataset's dict, the caller's own to change. ``shallow``: only its top level and
    its resource dicts are the caller's (much cheaper); what they hold is the cache's
    and must not be changed -- replaced, at most."""
    shown = unit.reads.get(("package", ref)) if unit.reads else None
    if shown is None:
        package = repository.find_package(unit.session, ref)
        if package is None:
            raise NotFound("Dataset not found")
        shown = _Shown.of(package, site_url=unit.site_url)
        if unit.reads:
            # Under what was asked for and the id (which finds it first); not under its
            # name, which another dataset's id may shadow.
            unit.reads.put(("package", ref), shown)
            unit.reads.put(("package", package.id), shown)
    _require_read(actor, shown.dataset)
    # Callers may adjust what they return; the cached dict must stay as it is.
    return shown.copy(shallow=shallow)


_IMMUTABLE = (str, int, float, bool, type(None))


def _copied(value: Any) -> Any:
    """A deep copy of a JSON-shaped value, several times faster than copy.deepcopy
    (it was most of package_show's time); anything else goes to deepcopy."""
    kind = type(value)
    if kind is dict:
        return {key: _copied(item) for key, item in value.items()}
    if kind is list:
        return [_copied(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


def get_readable_package(
    unit: CatalogUnit, *, actor: Principal, ref: str, for_update: bool = False
) -> Package:
    """``for_update``: the caller changes it (see repository.find_package)."""
    package = repository.find_package(unit.session, ref, for_update=for_update)
    if package is None:
        raise NotFound("Dataset not found")
    _require_read(actor, policy.Dataset.of(package))
    return package


def get_data_package(unit: CatalogUnit, *, actor: Principal, ref: str) -> Package:
    """The dataset, when the caller may read its metadata and have its data."""
    package = get_readable_package(unit, actor=actor, ref=ref)
    policy.require(actor, Action.READ_DATA, policy.Dataset.of(package))
    return package


def create_package(unit: CatalogUnit, *, actor: Principal, data: dict[str, Any]) -> dict[str, Any]:
    policy.require(
        actor,
        Action.CREATE_DATASET,
        policy.SITE,
        message="You must be logged in to create a dataset",
    )
    spec = parse_model(PackageIn, fields.lift_first_class(data))
    errors: ErrorDict = {}
    if not spec.name:
        errors["name"] = ["Missing value"]
    org = _owner_org(unit, spec.owner_org, errors)
    if org is not None:
        policy.require(
            actor,
            Action.CREATE_DATASET,
            policy.Organization(org.id),
            message=f"User {actor.name} not authorized to add dataset to this organization",
        )
    if spec.name and repository.ref_taken(unit.session, Package, spec.name):
        errors.setdefault("name", []).append("That URL is already in use.")
    if spec.id is not None:
        if not policy.can(actor, Action.CHOOSE_DATASET_ID, policy.SITE):
            errors["id"] = ["Only sysadmins may choose a dataset id"]
        elif repository.ref_taken(unit.session, Package, spec.id):
            errors["id"] = ["Dataset id already exists"]
    package = Package(id=spec.id or new_id(), creator_user_id=actor.user_id)
    _apply(unit, package, spec, actor=actor, errors=errors, creating=True)
    if errors:
        raise ValidationFailed(errors)
    unit.session.add(package)
    unit.session.flush()
    return changes.finish(unit, package, actor=actor, activity_type="new package")


def update_package(
    unit: CatalogUnit, *, actor: Principal, data: dict[str, Any], patch: bool = False
) -> dict[str, Any]:
    ref = data.get("id") or data.get("name")
    if not isinstance(ref, str) or not ref:
        raise ValidationFailed.on("id", "Missing value")
    package = repository.find_package(unit.session, ref, for_update=True)
    if package is None:
        raise NotFound("Dataset not found")
    policy.require(
        actor,
        Action.UPDATE,
        policy.Dataset.of(package),
        message=f"User {actor.name} not authorized to edit package {package.id}",
    )
    if patch:
        # The dataset as its editor sees it: the public form of a conditional dataset
        # leaves out URL-valued resource extras, and patching would delete them.
        current = package_dict(package, site_url=unit.site_url, reveal=True)
        data = {**current, **data}
    spec = parse_model(PackageIn, fields.lift_first_class(data))
    errors: ErrorDict = {}
    if (
        spec.name
        and spec.name != package.name
        and repository.ref_taken(unit.session, Package, spec.name)
    ):
        errors["name"] = ["That URL is already in use."]
    if spec.owner_org is not None and spec.owner_org not in (package.owner_org, _org_name(package)):
        org = _owner_org(unit, spec.owner_org, errors)
        if org is not None:
            policy.require(
                actor,
                Action.CREATE_DATASET,
                policy.Organization(org.id),
                message="Not authorized to move the dataset into that organization",
            )
    _apply(unit, package, spec, actor=actor, errors=errors, creating=False)
    if errors:
        raise ValidationFailed(errors)
    package.metadata_modified = utcnow()
    unit.session.flush()
    return changes.finish(unit, package, actor=actor, activity_type="changed package")


def delete_package(unit: CatalogUnit, *, actor: Principal, ref: str) -> None:
    package = repository.find_package(unit.session, ref, for_update=True)
    if package is None:
        raise NotFound("Dataset not found")
    policy.require(
        actor,
        Action.DELETE,
        policy.Dataset.of(package),
        message=f"User {actor.name} not authorized to delete package {package.id}",
    )
    package.state = "deleted"
    package.metadata_modified = utcnow()
    _drop_collaborators(unit, package)
    unit.session.flush()
    changes.finish(unit, package, actor=actor, activity_type="deleted package")


def _require_read(actor: Principal, dataset: policy.Dataset) -> None:
    policy.require(
        actor,
        Action.READ,
        dataset,
        message=f"User {actor.name or 'anonymous'} not authorized to read this dataset",
    )


def _org_name(package: Package) -> str | None:
    return package.organization.name if package.organization else None


def _owner_org(unit: CatalogUnit, ref: str | None, errors: ErrorDict) -> Group | None:
    if not ref:
        errors["owner_org"] = ["An organization must be provided"]
        return None
    org = repository.find_group(unit.session, ref, organization=True)
    if org is None or org.state != "active":
        errors["owner_org"] = ["Organization does not exist"]
        return None
    return org


def _apply(
    unit: CatalogUnit,
    package: Package,
    spec: PackageIn,
    *,
    actor: Principal,
    errors: ErrorDict,
    creating: bool,
) -> None:
    """Copy validated input onto the row; CKAN's update replaces what is not given."""
    if spec.name:
        package.name = spec.name
    if spec.owner_org:
        org = repository.find_group(unit.session, spec.owner_org, organization=True)
        if org is not None:
            package.owner_org = org.id
            package.organization = org
    for name in ("title", "notes"):
        setattr(package, name, getattr(spec, name) or "")
    for name in ("author", "author_email", "maintainer", "maintainer_email", "license_id",
                 "url", "version", "title_en", "notes_en"):  # fmt: skip
        setattr(package, name, getattr(spec, name) or None)
    package.type = spec.type or "dataset"
    package.private = bool(spec.private)
    if creating and spec.state == "deleted":
        errors["state"] = ["A new dataset cannot be deleted"]
    elif spec.state is not None:
        package.state = spec.state
    elif creating:
        package.state = "active"
    fields.apply_first_class(package, spec, errors)
    _set_tags(unit, package, spec, errors)
    _set_extras(package, spec, errors)
    _set_groups(unit, package, spec, actor=actor, errors=errors)
    if spec.resources is not None:
        resources.replace_all(unit, package, spec.resources, errors=errors)


def _set_tags(unit: CatalogUnit, package: Package, spec: PackageIn, errors: ErrorDict) -> None:
    names = [tag.name for tag in spec.tags or []]
    if spec.tag_string:
        for raw in spec.tag_string.split(","):
            name = raw.strip()
            if not name:
                continue
            try:
                names.append(parse_model(TagIn, {"name": name}).name)
            except ValidationFailed as exc:
                errors.setdefault("tag_string", []).extend(exc.errors.get("name", []))
    unique = list(dict.fromkeys(names))
    tags = repository.ensure_tags(unit.session, unique)
    package.tags = [tags[name] for name in unique]


def _set_extras(package: Package, spec: PackageIn, errors: ErrorDict) -> None:
    seen: dict[str, str] = {}
    problems: list[dict[str, list[str]]] = []
    for extra in spec.extras or []:
        issue: dict[str, list[str]] = {}
        if extra.deleted:
            problems.append(issue)
            continue
        if extra.key in fields.CORE_KEYS:
            issue["key"] = [f"There is a schema field with the same name: {extra.key}"]
        elif extra.key in seen:
            issue["key"] = [f"Duplicate key: {extra.key}"]
        elif not extra.key.strip():
            issue["key"] = ["Missing value"]
        else:
            seen[extra.key] = extra.value or ""
        problems.append(issue)
    if any(problems):
        errors["extras"] = problems
        return
    current = {extra.key: extra for extra in package.extras}
    package.extras = [
        _reuse(current.get(key), key=key, value=value) for key, value in sorted(seen.items())
    ]


def _reuse(extra: PackageExtra | None, *, key: str, value: str) -> PackageExtra:
    if extra is None:
        return PackageExtra(key=key, value=value)
    extra.value = value
    return extra


def _set_groups(
    unit: CatalogUnit, package: Package, spec: PackageIn, *, actor: Principal, errors: ErrorDict
) -> None:
    chosen: list[Group] = []
    problems: list[dict[str, list[str]]] = []
    current = {group.id for group in package.groups}
    for ref in spec.groups or []:
        group = repository.find_group(unit.session, ref.ref or "", organization=False)
        if group is None:
            problems.append({"name": ["Group does not exist"]})
            continue
        if group.id not in current and not policy.can(
            actor, Action.ADD_DATASET, policy.Group(group.id)
        ):
            problems.append({"name": [f"Not authorized to add datasets to group {group.name}"]})
            continue
        problems.append({})
        if group not in chosen:
            chosen.append(group)
    if any(problems):
        errors["groups"] = problems
        return
    package.groups = chosen


# -- whole-dataset operations: revise, move, purge, bulk changes ------------------------------

MAX_BULK = 1000


def revise_package(
    unit: CatalogUnit,
    *,
    actor: Principal,
    match: dict[str, Any],
    match_keys: dict[str, Any],
    filters: list[str],
    update: dict[str, Any] | None,
    update_keys: dict[str, Any],
) -> dict[str, Any]:
    """CKAN's package_revise: check ``match``, remove ``filters``, merge ``update``, save."""
    ref = match_keys.get("id") or match.get("id") or match_keys.get("name") or match.get("name")
    if not isinstance(ref, str) or not ref:
        raise ValidationFailed.on("match__id", "Missing value")
    package = repository.find_package(unit.session, ref, for_update=True)
    if package is None:
        raise NotFound("Dataset not found")
    _require_read(actor, policy.Dataset.of(package))
    # Matching compares against the editor's view (real links of conditional datasets):
    # only editors may probe it.
    policy.require(
        actor,
        Action.UPDATE,
        policy.Dataset.of(package),
        message=f"User {actor.name} not authorized to edit package {package.id}",
    )
    original = package_dict(package, site_url=unit.site_url, reveal=True)
    try:
        unmatched = revise.mismatches(original, match)
        for key, value in sorted(match_keys.items()):
            unmatched += revise.key_mismatches(original, key, value)
    except revise.RevisionError as exc:
        raise ValidationFailed.on("match", str(exc)) from None
    if unmatched:
        raise ValidationFailed({"match": ["__".join(str(p) for p in path) for path in unmatched]})
    revised = copy.deepcopy(original)
    revised.pop("metadata_modified", None)
    revise.remove_matching(revised, filters)
    if update is not None:
        try:
            revise.merge(revised, update)
        except revise.RevisionError as exc:
            raise ValidationFailed.on("update", str(exc)) from None
    # ``__extend`` first, so later keys may address the items it adds.
    for key, value in sorted(update_keys.items(), key=lambda kv: not kv[0].endswith("extend")):
        try:
            revise.merge_key(revised, key, value)
        except revise.RevisionError as exc:
            raise ValidationFailed.on(f"update__{key}", str(exc)) from None
    revised["id"] = original["id"]  # neither a filter nor an update moves another dataset
    return update_package(unit, actor=actor, data=revised)


def change_owner_org(unit: CatalogUnit, *, actor: Principal, ref: str, org_ref: str) -> None:
    """Move a dataset to another organisation: its editors, if they may publish there."""
    package = repository.find_package(unit.session, ref, for_update=True)
    if package is None:
        raise NotFound("Package was not found.")
    policy.require(
        actor,
        Action.UPDATE,
        policy.Dataset.of(package),
        message=f"User {actor.name} not authorized to edit package {package.id}",
    )
    org = repository.find_group(unit.session, org_ref, organization=True)
    if org is None or org.state != "active":
        raise NotFound("Organization was not found.")
    policy.require(
        actor,
        Action.CREATE_DATASET,
        policy.Organization(org.id),
        message="Not authorized to move the dataset into that organization",
    )
    if package.owner_org == org.id:
        return
    package.owner_org = org.id
    package.organization = org
    package.metadata_modified = utcnow()
    unit.session.flush()
    # The search entry follows (its permission labels name the organisation).
    changes.finish(unit, package, actor=actor, activity_type="changed package")


def purge_package(unit: CatalogUnit, *, actor: Principal, ref: str) -> None:
    """Remove a dataset and everything below it for good (sysadmins)."""
    package = repository.find_package(unit.session, ref, for_update=True)
    if package is None:
        raise NotFound("Dataset was not found")
    _require_read(actor, policy.Dataset.of(package))  # a deleted one stays unknown
    policy.require(
        actor, Action.PURGE, policy.Dataset.of(package), message="Only sysadmins may purge datasets"
    )
    applied = unit.session.scalar(
        select(func.count()).where(DataApplication.package_id == package.id)
    )
    if applied:
        # Data-use applications and their audit trail must outlive the dataset.
        raise ValidationFailed.on(
            "id", "This dataset has data-use applications; delete it instead of purging it"
        )
    every_resource = unit.session.scalars(
        select(Resource).where(Resource.package_id == package.id)
    ).all()
    for resource in every_resource:
        if resource.storage_key:
            unit.obsolete_files.append(resource.storage_key)
        datastore_tables.drop_for_resource(unit.session, resource.id)
    package_id = package.id
    unit.session.delete(package)
    unit.session.flush()
    # Resources, extras, tags, groups, collaborators and views go by ON DELETE CASCADE;
    # the search entry is dropped once this commits.
    unit.changed_packages.add(package_id)


def bulk_update(
    unit: CatalogUnit, *, actor: Principal, org_ref: str, refs: list[str], change: str
) -> None:
    """CKAN's bulk_update_private|public|delete: ``change`` each listed dataset of the
    organisation (others are skipped, as CKAN does)."""
    if len(refs) > MAX_BULK:
        raise ValidationFailed.on("datasets", f"At most {MAX_BULK} datasets at once")
    org = repository.find_group(unit.session, org_ref, organization=True)
    if org is None or org.state != "active":
        raise NotFound("Organization was not found.")
    policy.require(
        actor,
        Action.BULK_UPDATE,
        policy.Organization(org.id),
        message=f"User {actor.name} not authorized to update datasets of {org.name}",
    )
    ids = sorted(
        set(
            unit.session.scalars(
                select(Package.id).where(
                    or_(Package.id.in_(refs), Package.name.in_(refs)),
                    Package.owner_org == org.id,
                )
            )
        )
    )
    # One lock after another in id order: two bulk changes never wait on each other.
    for package_id in ids:
        package = repository.find_package(unit.session, package_id, for_update=True)
        if package is None or package.owner_org != org.id:
            continue
        target = policy.Dataset.of(package)
        needed = Action.DELETE if change == "delete" else Action.UPDATE
        policy.require(
            actor, needed, target, message=f"User {actor.name} not authorized to edit {package.id}"
        )
        if change == "delete":
            if package.state == "deleted":
                continue
            package.state = "deleted"
            _drop_collaborators(unit, package)
        else:
            private = change == "private"
            if package.private == private:
                continue
            package.private = private
        package.metadata_modified = utcnow()
        unit.session.flush()
        activity_type = "deleted package" if change == "delete" else "changed package"
        changes.finish(unit, package, actor=actor, activity_type=activity_type)


def _drop_collaborators(unit: CatalogUnit, package: Package) -> None:
    """A deleted dataset keeps no collaborators (as CKAN's package_delete)."""
    unit.session.execute(
        sa_delete(PackageCollaborator).where(PackageCollaborator.package_id == package.id)
    )
