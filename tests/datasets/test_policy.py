"""datasets.policy against the one access table, in process: every rule, every refusal,
and the row filters and search labels saying exactly what ``can`` says (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from datasets import models, policy
from datasets.policy import Action, Principal
from delta.errors import NotAuthorized, NotFound
from tests.support.access_table import (
    API_KINDS,
    CAPACITY,
    COLLABORATOR_DATA,
    COLLABORATOR_READS,
    COLLABORATOR_WRITES,
    KINDS,
    OTHER_RULES,
    ROLES,
    Kind,
)
from tests.support.postgres import temporary_database

ORG, OTHER_ORG, GROUP = "org-1", "org-2", "group-1"
# Outsiders made a collaborator, in that capacity, of every dataset.
COLLABORATORS = ("collaborator-member", "collaborator-editor")
DATASET_ACTIONS = {
    Action.READ: "read",
    Action.READ_DATA: "read_data",
    Action.UPDATE: "write",
    Action.DELETE: "write",
}


def principal(role: str) -> Principal:
    if role == "anonymous":
        return Principal()
    if role in COLLABORATORS:
        capacity = role.removeprefix("collaborator-")
        return Principal(
            user_id=f"u-{role}",
            name=role,
            capacities={OTHER_ORG: "editor"},
            collaborations={kind.name: capacity for kind in KINDS},
        )
    capacities = {}
    if role in CAPACITY:
        capacities = {ORG: CAPACITY[role], GROUP: CAPACITY[role]}
    elif role == "outsider":
        capacities = {OTHER_ORG: "editor"}
    grants = frozenset(kind.name for kind in KINDS) if role == "grantee" else frozenset()
    return Principal(
        user_id=f"u-{role}",
        name=role,
        sysadmin=role == "sysadmin",
        capacities=capacities,
        grants=grants,
    )


def dataset(kind: Kind) -> policy.Dataset:
    fields = kind.fields
    return policy.Dataset(
        id=kind.name,
        state="deleted" if kind.deleted else str(fields.get("state", "active")),
        private=bool(fields.get("private", False)),
        open_class=str(fields.get("open_class", "unconditional")),
        owner_org=None if kind.orphan else ORG,
        creator="u-creator" if kind.creator_known else None,
    )


def target(name: str, role: str) -> policy.Target:
    return {
        "organization": policy.Organization(ORG),
        "group": policy.Group(GROUP),
        "own-account": policy.Account(f"u-{role}"),
        "other-account": policy.Account("u-someone-else"),
        "inactive-account": policy.Account("u-gone", state="deleted"),
        "application": policy.Application(applicant_id="u-grantee", owner_org=ORG),
        "own-application": policy.Application(applicant_id=f"u-{role}", owner_org=ORG),
        "dataset": policy.Dataset(id="public", owner_org=ORG),
        "site": policy.SITE,
    }[name]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@pytest.mark.parametrize("action", list(DATASET_ACTIONS), ids=str)
def test_dataset_rules(kind: Kind, action: Action) -> None:
    allowed = {role for role in ROLES if policy.can(principal(role), action, dataset(kind))}
    assert allowed == set(getattr(kind, DATASET_ACTIONS[action]))


@pytest.mark.parametrize(("action", "target_name"), list(OTHER_RULES), ids="-".join)
def test_other_rules(action: str, target_name: str) -> None:
    allowed = {
        role
        for role in ROLES
        if policy.can(principal(role), Action(action), target(target_name, role))
    }
    assert allowed == set(OTHER_RULES[(action, target_name)])


@pytest.mark.parametrize("capacity", ["member", "editor"])
def test_collaborators(capacity: str) -> None:
    who = principal(f"collaborator-{capacity}")
    for kind in API_KINDS:
        facts = dataset(kind)
        assert policy.can(who, Action.READ, facts) == (kind.name in COLLABORATOR_READS[capacity])
        data = policy.can(who, Action.READ_DATA, facts)
        assert data == (kind.name in COLLABORATOR_DATA[capacity]), kind.name
        for action in (Action.UPDATE, Action.DELETE):
            allowed = policy.can(who, action, facts)
            assert allowed == (kind.name in COLLABORATOR_WRITES[capacity]), kind.name
        # Never more: no purge, no managing other collaborators.
        assert not policy.can(who, Action.PURGE, facts)
        assert not policy.can(who, Action.MANAGE_COLLABORATORS, facts)
    # A collaboration in one dataset says nothing of another.
    other = policy.Dataset(id="another", private=True, owner_org=ORG)
    assert not policy.can(who, Action.READ, other)


def test_apply_needs_an_account_and_the_metadata() -> None:
    for kind in KINDS:
        allowed = {r for r in ROLES if policy.can(principal(r), Action.APPLY, dataset(kind))}
        assert allowed == set(kind.read) - {"anonymous"}, kind.name


def test_every_rule_is_tested() -> None:
    tested = {(policy.Dataset, action) for action in DATASET_ACTIONS}
    tested |= {(policy.Dataset, Action.APPLY)}
    tested |= {(type(target(name, "member")), Action(action)) for action, name in OTHER_RULES}
    assert set(policy._RULES) == tested


def test_a_question_without_a_rule_is_an_error_not_a_no() -> None:
    with pytest.raises(LookupError, match="no access rule for list_users on Dataset"):
        policy.can(principal("sysadmin"), Action.LIST_USERS, dataset(KINDS[0]))


def test_refusals() -> None:
    kinds = {kind.name: dataset(kind) for kind in KINDS}
    outsider = principal("outsider")
    # Deleted datasets, accounts and applications stay unknown to those refused.
    for action, target, message in (
        (Action.READ, kinds["deleted"], "Dataset not found"),
        (Action.READ_DATA, kinds["deleted"], "Dataset not found"),
        (Action.READ, policy.Account("u-gone", "deleted"), "User not found"),
        (Action.READ, policy.Application("u-grantee", ORG), "Data-use application not found"),
    ):
        with pytest.raises(NotFound) as hidden:
            policy.require(outsider, action, target)
        assert hidden.value.message == message
    # Others are refused with a reason.
    with pytest.raises(NotAuthorized) as refused:
        policy.require(outsider, Action.READ_DATA, kinds["conditional"])
    assert refused.value.message == policy.APPLY_HINT
    with pytest.raises(NotAuthorized) as refused:
        policy.require(principal("member"), Action.UPDATE, kinds["public"])
    assert refused.value.message == "User member not authorized to update"
    with pytest.raises(NotAuthorized) as refused:
        policy.require(Principal(), Action.READ, kinds["private"])
    assert refused.value.message == "User anonymous not authorized to read"
    with pytest.raises(NotAuthorized) as refused:
        policy.require(Principal(), Action.READ, kinds["private"], message="Go away")
    assert refused.value.message == "Go away"
    editor = principal("editor")
    own = policy.Application(applicant_id="u-editor", owner_org=ORG)
    not_a_reviewer = "Only an admin or editor of the dataset's organisation may decide"
    for who, application, message in (
        (editor, own, "You cannot decide on your own application"),
        (principal("member"), own, not_a_reviewer),
        # Applying does not make anyone a reviewer of their own application.
        (principal("grantee"), policy.Application("u-grantee", ORG), not_a_reviewer),
    ):
        with pytest.raises(NotAuthorized) as refused:
            policy.require(who, Action.DECIDE, application)
        assert refused.value.message == message
    # Allowed: nothing happens.
    policy.require(editor, Action.READ_DATA, kinds["closed"])
    with pytest.raises(NotAuthorized) as refused:
        policy.require(principal("grantee"), Action.READ_DATA, kinds["closed"])
    assert refused.value.message == "The data of this dataset is not open"


def test_facts_of_a_dataset_row_and_an_application_row() -> None:
    package = models.Package(
        id="d1", state="draft", private=True, open_class="conditional", owner_org=ORG,
        creator_user_id="u-1",
    )  # fmt: skip
    assert policy.Dataset.of(package) == policy.Dataset(
        "d1", "draft", True, "conditional", ORG, "u-1"
    )
    application = models.DataApplication(applicant_id="u-2", package=package)
    assert policy.Application.of(application) == policy.Application("u-2", ORG)
    orphan = models.Package(id="d2", state="active", private=None, open_class="closed")
    assert policy.Dataset.of(orphan) == policy.Dataset("d2", "active", False, "closed", None, None)


def test_facts_of_a_printed_dataset() -> None:
    printed = {
        "id": "d1",
        "state": "draft",
        "private": True,
        "open_class": "closed",
        "owner_org": ORG,
        "creator_user_id": "u-1",
    }
    assert policy.Dataset.from_dict(printed) == policy.Dataset(
        "d1", "draft", True, "closed", ORG, "u-1"
    )
    assert policy.Dataset.from_dict({"id": "d2"}) == policy.Dataset(
        "d2", "active", False, "", None, None
    )


# -- the row filters and search labels: the same answers as ``can`` ---------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    if request.param == "sqlite":
        engine = sa.create_engine("sqlite://")
        yield from _filled(engine)
        return
    with temporary_database() as url:
        engine = sa.create_engine(url)
        try:
            yield from _filled(engine)
        finally:
            engine.dispose()


def _filled(engine: sa.Engine) -> Iterator[Session]:
    models.Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(
            [models.Group(id=org, name=org, is_organization=True) for org in (ORG, OTHER_ORG)]
        )
        session.flush()
        for kind in KINDS:
            facts = dataset(kind)
            session.add(
                models.Package(
                    id=facts.id,
                    name=facts.id,
                    state=facts.state,
                    private=facts.private,
                    open_class=facts.open_class,
                    owner_org=facts.owner_org,
                    creator_user_id=facts.creator,
                )
            )
        session.flush()
        yield session


LISTINGS = [
    {"include_private": p, "include_drafts": d, "include_deleted": x}
    for p in (False, True)
    for d in (False, True)
    for x in (False, True)
]


@pytest.mark.parametrize("role", [*ROLES, *COLLABORATORS])
def test_readable_datasets_is_can_read_in_sql(session: Session, role: str) -> None:
    who = principal(role)
    for listing in LISTINGS:
        found = set(
            session.scalars(
                sa.select(models.Package.id).where(policy.readable_datasets(who, **listing))
            )
        )
        states = {"active"}
        states |= {"draft"} if listing["include_drafts"] else set()
        states |= {"deleted"} if listing["include_deleted"] else set()
        expected = {
            kind.name
            for kind in KINDS
            if policy.can(who, Action.READ, facts := dataset(kind))
            and facts.state in states
            and (listing["include_private"] or (not facts.private and facts.open_class != "closed"))
        }
        assert found == expected, listing


@pytest.mark.parametrize("role", ROLES)
def test_a_listing_by_default_is_active_datasets_including_private_ones(
    session: Session, role: str
) -> None:
    who = principal(role)
    by_default = policy.readable_datasets(who)
    spelled_out = policy.readable_datasets(
        who, include_private=True, include_drafts=False, include_deleted=False
    )
    found = [
        set(session.scalars(sa.select(models.Package.id).where(clause)))
        for clause in (by_default, spelled_out)
    ]
    assert found[0] == found[1]


def test_public_datasets_in_sql(session: Session) -> None:
    found = set(session.scalars(sa.select(models.Package.id).where(policy.public_datasets())))
    assert found == {kind.name for kind in KINDS if dataset(kind).public}
    assert found == {kind.name for kind in KINDS if kind.read == set(ROLES)}


@pytest.mark.parametrize("role", [*ROLES, *COLLABORATORS])
def test_search_labels_find_what_can_read(role: str) -> None:
    who = principal(role)
    held = policy.search_labels(who)
    for kind in KINDS:
        facts = dataset(kind)
        if facts.state == "deleted":
            # Deleted datasets are searched only by those who may list them.
            continue
        found = held is None or bool(set(held) & set(policy.dataset_labels(facts)))
        assert found == policy.can(who, Action.READ, facts), kind.name
    assert (held is None) == (role == "sysadmin")


def test_deleted_datasets_keep_only_their_organisation_label() -> None:
    deleted_orphan = dataset(next(k for k in KINDS if k.name == "orphan-deleted"))
    assert policy.dataset_labels(deleted_orphan) == []
    assert policy.dataset_labels(dataset(next(k for k in KINDS if k.name == "deleted"))) == [
        f"member-{ORG}"
    ]


def test_readable_applications_and_current_grants(session: Session) -> None:
    now = models.utcnow()
    rows = {
        "pending": {"state": "pending"},
        "approved": {"state": "approved", "expires_at": now + timedelta(days=1)},
        "expired": {"state": "approved", "expires_at": now - timedelta(seconds=1)},
        "revoked": {"state": "approved", "expires_at": now + timedelta(days=1), "revoked_at": now},
        "rejected": {"state": "rejected", "expires_at": now + timedelta(days=1)},
    }
    for index, (name, fields) in enumerate(rows.items()):
        package_id = KINDS[index].name
        session.add(
            models.DataApplication(
                id=name,
                package_id=package_id,
                applicant_id="u-grantee",
                purpose="p",
                applicant_organization="o",
                intended_use="u",
                agreement_accepted_at=now,
                **fields,
            )
        )
    session.flush()
    assert policy.grants_of(session, "u-grantee") == {KINDS[1].name}
    assert policy.grants_of(session, None) == frozenset()
    assert policy.grants_of(session, "u-outsider") == frozenset()
    assert policy.grants_of(session, "u-nobody") == frozenset()
    for role in ROLES:
        who = principal(role)
        found = set(
            session.scalars(
                sa.select(models.DataApplication.id)
                .join(models.Package, models.Package.id == models.DataApplication.package_id)
                .where(policy.readable_applications(who))
            )
        )
        expected = {
            row.id
            for row in session.scalars(sa.select(models.DataApplication))
            if policy.can(who, Action.READ, policy.Application.of(row))
        }
        assert found == expected, role
    session.rollback()
