"""The access matrix: who may do what, written once.

Every access test reads its expectations from here -- the policy's unit tests
(tests/datasets/test_policy.py), the matrix through the CKAN API and the data
paths on SQLite and PostgreSQL (tests/portal/test_access_matrix.py) and the
application lifecycle (tests/publishing/test_access.py). A rule changes here
and in datasets/policy.py, nowhere else.

Roles are relative to the organisation owning the datasets ("the org"):
``outsider`` is an editor of another organisation, ``grantee`` an outsider
holding a current data-use grant for the dataset, ``creator`` the user who
created it (it matters only for datasets without an organisation).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("anonymous", "outsider", "grantee", "creator", "member", "editor", "org_admin", "sysadmin")
EVERYONE = frozenset(ROLES)
INSIDERS = frozenset({"member", "editor", "org_admin", "sysadmin"})
WRITERS = frozenset({"editor", "org_admin", "sysadmin"})
ADMINS = frozenset({"org_admin", "sysadmin"})
SIGNED_IN = EVERYONE - {"anonymous"}

# The capacity each role holds in the org (or, for the outsider, elsewhere).
CAPACITY = {"member": "member", "editor": "editor", "org_admin": "admin"}


@dataclass(frozen=True)
class Kind:
    """One kind of dataset and who may do what with it."""

    name: str
    fields: dict[str, object]  # what package_create is given (beyond name and owner_org)
    read: frozenset[str]  # its metadata
    read_data: frozenset[str]  # its files, DataStore rows, dumps and real links
    write: frozenset[str]  # update and delete it
    orphan: bool = False  # no organisation (cannot be made through the API)
    deleted: bool = False
    creator_known: bool = True  # harvested records may carry no creator


KINDS = (
    Kind("public", {}, EVERYONE, EVERYONE, WRITERS),
    Kind("private", {"private": True}, INSIDERS, INSIDERS, WRITERS),
    Kind("draft", {"state": "draft"}, INSIDERS, INSIDERS, WRITERS),
    Kind("closed", {"open_class": "closed"}, INSIDERS, INSIDERS, WRITERS),
    Kind("deleted", {}, WRITERS, WRITERS, WRITERS, deleted=True),
    Kind("conditional", {"open_class": "conditional"}, EVERYONE, INSIDERS | {"grantee"}, WRITERS),
    # Metadata of a private conditional dataset stays with insiders, grant or not.
    Kind(
        "conditional-private",
        {"open_class": "conditional", "private": True},
        INSIDERS,
        INSIDERS,
        WRITERS,
    ),
    # Without an organisation the creator counts (CKAN); no one but sysadmins writes.
    Kind("orphan-public", {}, EVERYONE, EVERYONE, frozenset({"sysadmin"}), orphan=True),
    Kind(
        "orphan-private",
        {"private": True},
        frozenset({"creator", "sysadmin"}),
        frozenset({"creator", "sysadmin"}),
        frozenset({"sysadmin"}),
        orphan=True,
    ),
    Kind(
        "orphan-deleted",
        {"private": True},
        frozenset({"sysadmin"}),
        frozenset({"sysadmin"}),
        frozenset({"sysadmin"}),
        orphan=True,
        deleted=True,
    ),
    # No organisation and no creator: nobody but sysadmins (least of all anonymous
    # callers, who have no user id either).
    Kind(
        "orphan-no-creator",
        {"private": True},
        frozenset({"sysadmin"}),
        frozenset({"sysadmin"}),
        frozenset({"sysadmin"}),
        orphan=True,
        creator_known=False,
    ),
)
KIND = {kind.name: kind for kind in KINDS}
API_KINDS = tuple(kind for kind in KINDS if not kind.orphan)

# Everything else: (action, target kind) -> the roles allowed. Targets are the org
# (``organization``), a group the role holds the same capacity in (``group``), the
# role's own account (``own-account``) and another user's (``other-account``), an
# application to a dataset of the org made by the grantee (``application``), a public
# dataset of the org (``dataset``), and the site itself (``site``).
OTHER_RULES: dict[tuple[str, str], frozenset[str]] = {
    ("create_dataset", "organization"): WRITERS,
    ("manage", "organization"): ADMINS,
    ("read_members", "organization"): INSIDERS,
    ("add_dataset", "group"): INSIDERS,
    ("manage", "group"): ADMINS,
    ("read_members", "group"): INSIDERS,
    ("read", "other-account"): EVERYONE,
    ("read", "inactive-account"): frozenset({"sysadmin"}),
    ("read_private", "own-account"): SIGNED_IN,
    ("read_private", "other-account"): frozenset({"sysadmin"}),
    ("manage_tokens", "own-account"): SIGNED_IN,
    ("manage_tokens", "other-account"): frozenset({"sysadmin"}),
    # user_update, user_patch: your own account; user_delete: sysadmins only.
    ("update_account", "own-account"): SIGNED_IN,
    ("update_account", "other-account"): frozenset({"sysadmin"}),
    ("delete_account", "own-account"): frozenset({"sysadmin"}),
    ("delete_account", "other-account"): frozenset({"sysadmin"}),
    # dataset_purge; package_collaborator_create|delete|list (the org's admins).
    ("purge", "dataset"): frozenset({"sysadmin"}),
    ("manage_collaborators", "dataset"): ADMINS,
    # bulk_update_private|public|delete of the org's datasets.
    ("bulk_update", "organization"): WRITERS,
    ("read", "application"): frozenset({"grantee"}) | WRITERS,
    ("decide", "application"): WRITERS,
    ("decide", "own-application"): frozenset(),  # never, not even a sysadmin
    ("create_dataset", "site"): SIGNED_IN,
    ("apply", "site"): SIGNED_IN,
    ("list_applications", "site"): SIGNED_IN,
    ("create_group", "site"): frozenset({"sysadmin"}),
    ("create_user", "site"): frozenset({"sysadmin"}),
    ("list_users", "site"): frozenset({"sysadmin"}),
    ("list_deleted", "site"): frozenset({"sysadmin"}),
    ("choose_dataset_id", "site"): frozenset({"sysadmin"}),
    # Editors somewhere may start an upload before saying where it goes.
    ("upload", "site"): frozenset({"outsider", "editor", "org_admin", "sysadmin"}),
    # The applications page shows a review queue to editors of any organisation.
    ("review_applications", "site"): frozenset({"outsider", "editor", "org_admin", "sysadmin"}),
    # user_autocomplete names people: for those who add members (admins somewhere).
    ("find_users", "site"): ADMINS,
}

# Dataset collaborators (package_collaborator_create): an outsider given a capacity in
# one dataset of each kind. What they may do with it, by capacity.
_LIVE = frozenset({"public", "private", "draft", "closed", "conditional", "conditional-private"})
# Editors also read it when deleted (as the org's editors do); members only while it is not.
COLLABORATOR_READS = {"member": _LIVE, "editor": _LIVE | {"deleted"}}
# Its data too -- except a closed dataset's, which never leaves its organisation.
COLLABORATOR_DATA = {capacity: kinds - {"closed"} for capacity, kinds in COLLABORATOR_READS.items()}
# Editors write it; members do not.
COLLABORATOR_WRITES = {"editor": frozenset(k.name for k in API_KINDS), "member": frozenset()}
