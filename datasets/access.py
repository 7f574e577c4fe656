"""Who may do what with catalog objects, as CKAN decides it.

The portal turns an API token into a :class:`Principal`; the catalog only ever
sees that value, never a user table. Rules:

* anyone reads active, public, non-closed datasets;
* private, closed and draft datasets are read by members of the owning
  organisation (any capacity); the dataset's creator counts only for a dataset
  without an organisation (CKAN's rule: otherwise removing an editor from the
  organisation would leave them everything they ever created there);
* deleted datasets are read only by those who could edit them;
* editors and admins write their organisation's datasets; admins manage the
  organisation and its members; sysadmins may do everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from search.protocol import PUBLIC_LABEL, creator_label, member_label
from standards.open_classes import OpenClass

EDIT_CAPACITIES = frozenset({"admin", "editor"})


@dataclass(frozen=True)
class Principal:
    user_id: str | None = None
    name: str | None = None
    sysadmin: bool = False
    # organisation or group id -> capacity ("admin", "editor", "member")
    capacities: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def capacity_in(self, group_id: str | None) -> str | None:
        return self.capacities.get(group_id) if group_id else None

    def is_member_of(self, group_id: str | None) -> bool:
        return self.sysadmin or self.capacity_in(group_id) is not None

    def can_edit_in(self, group_id: str | None) -> bool:
        return self.sysadmin or self.capacity_in(group_id) in EDIT_CAPACITIES

    def can_admin(self, group_id: str | None) -> bool:
        return self.sysadmin or self.capacity_in(group_id) == "admin"

    def search_labels(self) -> list[str] | None:
        """Permission labels this principal holds; None means "sees everything"."""
        if self.sysadmin:
            return None
        labels = [PUBLIC_LABEL]
        labels += [member_label(group_id) for group_id in self.capacities]
        if self.user_id:
            labels.append(creator_label(self.user_id))
        return labels


ANONYMOUS = Principal()


def is_publicly_visible(*, state: str, private: bool, open_class: str) -> bool:
    return state == "active" and not private and open_class != OpenClass.CLOSED


def package_labels(
    *, state: str, private: bool, open_class: str, owner_org: str | None, creator: str | None
) -> list[str]:
    """The labels a dataset is indexed with (see search.protocol)."""
    if is_publicly_visible(state=state, private=private, open_class=open_class):
        return [PUBLIC_LABEL]
    if owner_org:
        return [member_label(owner_org)]
    return [creator_label(creator)] if creator and state != "deleted" else []


def can_read_package(
    principal: Principal,
    *,
    state: str,
    private: bool,
    open_class: str,
    owner_org: str | None,
    creator: str | None,
) -> bool:
    if principal.sysadmin:
        return True
    if state == "deleted":
        return principal.can_edit_in(owner_org)
    if is_publicly_visible(state=state, private=private, open_class=open_class):
        return True
    return principal.is_member_of(owner_org) or is_creator_of_orphan(
        principal, owner_org=owner_org, creator=creator
    )


def is_creator_of_orphan(
    principal: Principal, *, owner_org: str | None, creator: str | None
) -> bool:
    """Whether ``principal`` created a dataset that belongs to no organisation -- the
    only case in which being its creator grants anything (as in CKAN)."""
    return owner_org is None and principal.user_id is not None and principal.user_id == creator
