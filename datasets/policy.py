"""Who may see or change what: the one home of the portal's access rules.

Every decision is ``can(principal, action, target)``: who asks (a
:class:`Principal`), what they want to do (an :class:`Action`) and the facts
about one object that the rules need (a target: :class:`Dataset`,
:class:`Organization`, :class:`Group`, :class:`Account`, :class:`Application`
or :data:`SITE`). ``require`` is the same question raising the refusal.
Read paths over many rows use the row filters (:func:`readable_datasets`,
:func:`readable_applications`) and the search labels, which say the same in
SQL and to the search index, the way polar's repositories take an
``auth_subject``. Callers ask; they never re-decide.

The rules (CKAN's, plus the open classes):

* anyone reads active, public datasets that are not closed (非开放);
* private, draft and closed datasets are read by members of the owning
  organisation (any capacity) and by the dataset's collaborators; the creator
  counts only for a dataset without an organisation (CKAN: otherwise an editor
  who left would keep everything they created there); deleted datasets only by
  those who may edit them;
* a dataset's *data* (files, DataStore rows, dumps, the real links of
  conditional datasets) goes to those who read it and are insiders
  (sysadmins, members, the creator of an orphan, its collaborators), or when it is
  unconditional, or when it is conditional and the caller holds a current
  data-use grant; a closed dataset's data never leaves its organisation (not
  even to its collaborators);
* editors and admins write their organisation's datasets, and so do a
  dataset's ``editor`` collaborators; admins manage the organisation or group
  and its datasets' collaborators; only sysadmins purge a dataset, delete an
  account, or do anything else;
* users change their own account (sysadmins any); user autocomplete names
  people, so it is for those who manage members somewhere (admins, sysadmins);
* accounts: e-mail and tokens are each user's own; applications are seen by
  the applicant and the dataset's reviewers, who decide -- never on their own.

To add a rule: a target kind (a frozen dataclass of facts) if it is new, an
``Action`` member if it is new, and one entry in ``_RULES``. An action asked
of a kind with no rule is a programming error (``LookupError``), never a
silent yes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from datasets import models
from delta.errors import DomainError, NotAuthorized, NotFound
from search.protocol import PUBLIC_LABEL, creator_label, member_label
from standards.open_classes import OpenClass

EDIT_CAPACITIES = frozenset({"admin", "editor"})


# -- who asks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """The caller as the rules see it. The portal builds it from an API token
    (open_portal.accounts.service.principal_for); anonymous callers are ``Principal()``."""

    user_id: str | None = None
    name: str | None = None
    sysadmin: bool = False
    # organisation or group id -> capacity ("admin", "editor", "member")
    capacities: Mapping[str, str] = field(default_factory=dict)
    # Datasets this user holds a current (approved, unexpired, unrevoked) data-use grant for.
    grants: frozenset[str] = frozenset()
    # dataset id -> collaborator capacity ("editor", "member"): package_collaborator_create.
    collaborations: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def capacity_in(self, group_id: str | None) -> str | None:
        if group_id is None:
            return None
        return self.capacities.get(group_id)


ANONYMOUS = Principal()


# -- what they want -----------------------------------------------------------------------------


class Action(StrEnum):
    READ = "read"  # see it (a dataset's metadata, an account, an application)
    READ_DATA = "read_data"  # a dataset's files, DataStore rows, dumps and real links
    UPDATE = "update"  # change a dataset, its resources or its DataStore tables
    DELETE = "delete"
    APPLY = "apply"  # apply for a conditional dataset's data
    CREATE_DATASET = "create_dataset"  # in an organisation (or at all: on SITE)
    ADD_DATASET = "add_dataset"  # put a dataset into a group
    MANAGE = "manage"  # change or delete an organisation or group, manage its members
    READ_MEMBERS = "read_members"  # see who belongs to an organisation or group
    READ_PRIVATE = "read_private"  # an account's e-mail and its own view of its datasets
    MANAGE_TOKENS = "manage_tokens"  # create, list and revoke an account's API tokens
    DECIDE = "decide"  # approve, reject or revoke a data-use application
    CREATE_GROUP = "create_group"  # organisations and groups (SITE)
    CREATE_USER = "create_user"  # SITE
    LIST_USERS = "list_users"  # SITE
    LIST_APPLICATIONS = "list_applications"  # SITE: the caller's own and those they review
    LIST_DELETED = "list_deleted"  # SITE: deleted datasets in search
    CHOOSE_DATASET_ID = "choose_dataset_id"  # SITE: create a dataset with a given id
    UPLOAD = "upload"  # SITE: store a file before knowing where it goes
    REVIEW_APPLICATIONS = "review_applications"  # SITE: review some organisation's
    PURGE = "purge"  # remove a dataset for good (dataset_purge)
    MANAGE_COLLABORATORS = "manage_collaborators"  # a dataset's collaborators
    BULK_UPDATE = "bulk_update"  # an organisation's datasets at once (bulk_update_*)
    UPDATE_ACCOUNT = "update_account"  # user_update, user_patch
    DELETE_ACCOUNT = "delete_account"  # user_delete
    FIND_USERS = "find_users"  # SITE: user_autocomplete (names people)


# -- what about ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    id: str
    state: str = "active"
    private: bool = False
    open_class: str = OpenClass.UNCONDITIONAL.value
    owner_org: str | None = None
    creator: str | None = None

    @classmethod
    def of(cls, package: models.Package) -> Dataset:
        return cls(
            id=package.id,
            state=package.state,
            private=bool(package.private),
            open_class=package.open_class,
            owner_org=package.owner_org,
            creator=package.creator_user_id,
        )

    @classmethod
    def from_dict(cls, package: Mapping[str, Any]) -> Dataset:
        """From a printed package dict (search results, activity records)."""
        return cls(
            id=str(package["id"]),
            state=str(package.get("state") or "active"),
            private=bool(package.get("private")),
            open_class=str(package.get("open_class") or ""),
            owner_org=package.get("owner_org") or None,
            creator=package.get("creator_user_id") or None,
        )

    @property
    def public(self) -> bool:
        return self.state == "active" and not self.private and self.open_class != OpenClass.CLOSED


@dataclass(frozen=True)
class Organization:
    id: str


@dataclass(frozen=True)
class Group:
    id: str


@dataclass(frozen=True)
class Account:
    id: str
    state: str = "active"


@dataclass(frozen=True)
class Application:
    applicant_id: str
    owner_org: str | None  # of the dataset applied for

    @classmethod
    def of(cls, application: models.DataApplication) -> Application:
        return cls(application.applicant_id, application.package.owner_org)


@dataclass(frozen=True)
class Site:
    """The portal as a whole, for what belongs to no one object."""


SITE = Site()

Target = Dataset | Organization | Group | Account | Application | Site


# -- the rules --------------------------------------------------------------------------------


def _member(p: Principal, group_id: str | None) -> bool:
    return p.sysadmin or p.capacity_in(group_id) is not None


def _editor(p: Principal, group_id: str | None) -> bool:
    return p.sysadmin or p.capacity_in(group_id) in EDIT_CAPACITIES


def _admin(p: Principal, group_id: str | None) -> bool:
    return p.sysadmin or p.capacity_in(group_id) == "admin"


def _signed_in(p: Principal) -> bool:
    return not p.is_anonymous


def _orphan_creator(p: Principal, d: Dataset) -> bool:
    """Creating a dataset grants anything only when it has no organisation (as CKAN)."""
    return d.owner_org is None and p.user_id is not None and p.user_id == d.creator


def _collaborator(p: Principal, d: Dataset) -> str | None:
    """The caller's collaborator capacity in this dataset (CKAN's dataset collaborators)."""
    return p.collaborations.get(d.id)


def _insider(p: Principal, d: Dataset) -> bool:
    return _member(p, d.owner_org) or _orphan_creator(p, d) or _collaborator(p, d) is not None


def _read_dataset(p: Principal, d: Dataset) -> bool:
    if p.sysadmin:
        return True
    if d.state == "deleted":
        return _edit_dataset(p, d)
    return d.public or _insider(p, d)


def _read_data(p: Principal, d: Dataset) -> bool:
    if not _read_dataset(p, d):
        return False
    if d.open_class == OpenClass.CLOSED and not (_member(p, d.owner_org) or _orphan_creator(p, d)):
        # Closed data stays inside the organisation: collaborators see the record only.
        return False
    if _insider(p, d) or d.open_class == OpenClass.UNCONDITIONAL:
        return True
    return d.open_class == OpenClass.CONDITIONAL and d.id in p.grants


def _edit_dataset(p: Principal, d: Dataset) -> bool:
    return _editor(p, d.owner_org) or _collaborator(p, d) == "editor"


def _apply(p: Principal, d: Dataset) -> bool:
    return _signed_in(p) and _read_dataset(p, d)


def _own_account(p: Principal, a: Account) -> bool:
    return p.sysadmin or (p.user_id is not None and p.user_id == a.id)


def _read_account(p: Principal, a: Account) -> bool:
    return p.sysadmin or a.state == "active"


def _reviewer(p: Principal, a: Application) -> bool:
    return _editor(p, a.owner_org)


def _read_application(p: Principal, a: Application) -> bool:
    return p.user_id is not None and (p.user_id == a.applicant_id or _reviewer(p, a))


def _decide(p: Principal, a: Application) -> bool:
    return _reviewer(p, a) and p.user_id != a.applicant_id


def _admin_somewhere(p: Principal, _: Site) -> bool:
    """Someone who adds members to an organisation or group (and so looks users up)."""
    return p.sysadmin or "admin" in p.capacities.values()


def _editor_somewhere(p: Principal, _: Site) -> bool:
    """An editor of some organisation: uploads before the target is known (form fields
    after the file), the review of data-use applications."""
    return p.sysadmin or any(c in EDIT_CAPACITIES for c in p.capacities.values())


@dataclass(frozen=True)
class Rule:
    allows: Callable[[Principal, Any], bool]
    # Refused callers are told the object does not exist (it must not be known to them).
    hidden: Callable[[Any], bool] = lambda _: False
    # The refusal's message, when the reason matters to the caller.
    explain: Callable[[Principal, Any], str | None] = lambda _p, _t: None


def _deleted(d: Dataset) -> bool:
    return d.state == "deleted"


APPLY_HINT = (
    "This dataset is conditionally open: its data needs an approved data-use application "
    "(data_application_create)"
)


def _why_no_data(_: Principal, d: Dataset) -> str:
    if d.open_class == OpenClass.CONDITIONAL:
        return APPLY_HINT
    return "The data of this dataset is not open"


def _why_not_decide(p: Principal, a: Application) -> str | None:
    if _reviewer(p, a) and p.user_id == a.applicant_id:
        return "You cannot decide on your own application"
    return "Only an admin or editor of the dataset's organisation may decide"


# What only needs an account, or only a sysadmin, on the site as a whole.
_SIGNED_IN = (Action.CREATE_DATASET, Action.APPLY, Action.LIST_APPLICATIONS)
_SYSADMIN = (
    Action.CREATE_GROUP,
    Action.CREATE_USER,
    Action.LIST_USERS,
    Action.LIST_DELETED,
    Action.CHOOSE_DATASET_ID,
)

_RULES: dict[tuple[type, Action], Rule] = {
    (Dataset, Action.READ): Rule(_read_dataset, hidden=_deleted),
    (Dataset, Action.READ_DATA): Rule(_read_data, hidden=_deleted, explain=_why_no_data),
    (Dataset, Action.UPDATE): Rule(_edit_dataset),
    (Dataset, Action.DELETE): Rule(_edit_dataset),
    (Dataset, Action.APPLY): Rule(_apply),
    (Dataset, Action.PURGE): Rule(lambda p, _: p.sysadmin),
    (Dataset, Action.MANAGE_COLLABORATORS): Rule(lambda p, d: _admin(p, d.owner_org)),
    (Organization, Action.BULK_UPDATE): Rule(lambda p, o: _editor(p, o.id)),
    (Organization, Action.CREATE_DATASET): Rule(lambda p, o: _editor(p, o.id)),
    (Organization, Action.MANAGE): Rule(lambda p, o: _admin(p, o.id)),
    (Organization, Action.READ_MEMBERS): Rule(lambda p, o: _member(p, o.id)),
    (Group, Action.ADD_DATASET): Rule(lambda p, g: _member(p, g.id)),
    (Group, Action.MANAGE): Rule(lambda p, g: _admin(p, g.id)),
    (Group, Action.READ_MEMBERS): Rule(lambda p, g: _member(p, g.id)),
    (Account, Action.READ): Rule(_read_account, hidden=lambda _: True),
    (Account, Action.READ_PRIVATE): Rule(_own_account),
    (Account, Action.MANAGE_TOKENS): Rule(_own_account),
    (Account, Action.UPDATE_ACCOUNT): Rule(_own_account),
    (Account, Action.DELETE_ACCOUNT): Rule(lambda p, _: p.sysadmin),
    (Application, Action.READ): Rule(_read_application, hidden=lambda _: True),
    (Application, Action.DECIDE): Rule(_decide, explain=_why_not_decide),
    **{(Site, action): Rule(lambda p, _: _signed_in(p)) for action in _SIGNED_IN},
    **{(Site, action): Rule(lambda p, _: p.sysadmin) for action in _SYSADMIN},
    (Site, Action.UPLOAD): Rule(_editor_somewhere),
    (Site, Action.REVIEW_APPLICATIONS): Rule(_editor_somewhere),
    (Site, Action.FIND_USERS): Rule(_admin_somewhere),
}

# Said when a refused action has no message of its own.
_NOT_FOUND = {
    Dataset: "Dataset not found",
    Account: "User not found",
    Application: "Data-use application not found",
}


def rule_for(action: Action, target: Target) -> Rule:
    try:
        return _RULES[(type(target), action)]
    except KeyError:
        raise LookupError(f"no access rule for {action} on {type(target).__name__}") from None


def can(principal: Principal, action: Action, target: Target) -> bool:
    """Whether ``principal`` may do ``action`` with ``target``."""
    return rule_for(action, target).allows(principal, target)


def require(
    principal: Principal, action: Action, target: Target, *, message: str | None = None
) -> None:
    """Nothing when allowed; otherwise the refusal: NotFound where the object must stay
    unknown to the caller, NotAuthorized (with ``message``, or the rule's own) elsewhere."""
    rule = rule_for(action, target)
    if rule.allows(principal, target):
        return
    raise refusal(principal, action, target, message=message)


def refusal(
    principal: Principal, action: Action, target: Target, *, message: str | None = None
) -> DomainError:
    rule = rule_for(action, target)
    if rule.hidden(target):
        return NotFound(_NOT_FOUND[type(target)])
    who = principal.name or "anonymous"
    return NotAuthorized(
        message or rule.explain(principal, target) or f"User {who} not authorized to {action}"
    )


# -- row filters: the same rules for many rows at once --------------------------------------


def public_datasets() -> ColumnElement[bool]:
    """Datasets everyone may read (:attr:`Dataset.public`), as a WHERE clause on Package."""
    package = models.Package
    return and_(
        package.state == "active",
        package.private.is_(False),
        package.open_class != OpenClass.CLOSED.value,
    )


def readable_datasets(
    principal: Principal,
    *,
    include_private: bool = True,
    include_drafts: bool = False,
    include_deleted: bool = False,
) -> ColumnElement[bool]:
    """Datasets ``principal`` may read (``can(.., READ, ..)`` in SQL), narrowed to what a
    listing asks for: private and closed ones, drafts and deleted ones only on request."""
    package = models.Package
    states = (
        ["active"]
        + (["draft"] if include_drafts else [])
        + (["deleted"] if include_deleted else [])
    )
    asked: list[ColumnElement[bool]] = [package.state.in_(states)]
    if not include_private:
        asked += [package.private.is_(False), package.open_class != OpenClass.CLOSED.value]
    if principal.sysadmin:
        return and_(*asked)
    member_orgs = list(principal.capacities)
    editor_orgs = [g for g, c in principal.capacities.items() if c in EDIT_CAPACITIES]
    member_view = package.owner_org.in_(member_orgs) & (package.state != "deleted")
    editor_view = package.owner_org.in_(editor_orgs)
    own_view = (
        (package.creator_user_id == principal.user_id)
        & package.owner_org.is_(None)
        & (package.state != "deleted")
        if principal.user_id
        else false()
    )
    collaborated = list(principal.collaborations)
    edited = [d for d, c in principal.collaborations.items() if c == "editor"]
    collaborator_view = (package.id.in_(collaborated) & (package.state != "deleted")) | (
        package.id.in_(edited)
    )
    return and_(
        *asked, or_(public_datasets(), member_view, editor_view, own_view, collaborator_view)
    )


def readable_applications(principal: Principal) -> ColumnElement[bool]:
    """Applications ``principal`` may see (``can(.., READ, Application)`` in SQL); the
    statement must join Package on the application's dataset."""
    if principal.sysadmin:
        return true()
    if principal.user_id is None:
        return false()
    reviewed = [org for org, c in principal.capacities.items() if c in EDIT_CAPACITIES]
    return or_(
        models.DataApplication.applicant_id == principal.user_id,
        models.Package.owner_org.in_(reviewed),
    )


def current_grant() -> ColumnElement[bool]:
    """An application that grants its applicant the data today."""
    application = models.DataApplication
    return and_(
        application.state == "approved",
        application.expires_at > models.utcnow(),
        application.revoked_at.is_(None),
    )


def grants_of(session: Session, user_id: str | None) -> frozenset[str]:
    """The datasets ``user_id`` holds a current grant for (see Principal.grants)."""
    if not user_id:
        return frozenset()
    application = models.DataApplication
    rows = session.scalars(
        select(application.package_id).where(application.applicant_id == user_id, current_grant())
    )
    return frozenset(rows)


# -- the search index: the same rules as labels ------------------------------------------


def dataset_labels(dataset: Dataset) -> list[str]:
    """The labels a dataset is indexed with: who may find it (see search.protocol)."""
    if dataset.public:
        return [PUBLIC_LABEL]
    labels = []
    if dataset.owner_org:
        labels.append(member_label(dataset.owner_org))
    elif dataset.creator and dataset.state != "deleted":
        labels.append(creator_label(dataset.creator))
    if dataset.state != "deleted":
        # Its collaborators (CKAN's "member-<dataset id>"): who they are may change
        # without the dataset changing, so the label names the dataset, not them.
        labels.append(member_label(dataset.id))
    return labels


def search_labels(principal: Principal) -> list[str] | None:
    """The labels ``principal`` holds; None means "finds everything" (sysadmins)."""
    if principal.sysadmin:
        return None
    labels = [PUBLIC_LABEL, *(member_label(group_id) for group_id in principal.capacities)]
    labels += [member_label(dataset_id) for dataset_id in principal.collaborations]
    if principal.user_id:
        labels.append(creator_label(principal.user_id))
    return labels
