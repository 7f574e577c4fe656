"""Window cases on PostgreSQL: one schema per node, the round trip, the database's own checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.interregion.cases_support import (
    Api,
    applicant_code,
    demo_username,
    take_in,
    token_for,
    wait_for,
)
from tests.interregion.inprocess import InProcessFederation, in_process_federation
from tests.support.postgres import temporary_database

pytestmark = pytest.mark.postgres
A, B, HOME = "310000", "320000", "330000"


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with (
        temporary_database("delta_cases") as url,
        in_process_federation(
            tmp_path_factory.mktemp("cases-pg"), database_url=url, case_delivery_poll_seconds=0.05
        ) as federation,
    ):
        for app in federation.apps.values():
            app.state.case_desk.worker.use_transport(federation.routed())
        yield federation


def test_a_case_there_and_back_on_postgresql(fed: InProcessFederation) -> None:
    clerk = Api(fed.client(A), token_for(fed.node(A), demo_username(A, "clerk")))
    reviewer = Api(fed.client(B), token_for(fed.node(B), demo_username(B, "reviewer")))
    number = take_in(clerk, code=applicant_code(fed.node(HOME), window_region=A), home=HOME)[
        "number"
    ]
    wait_for(lambda: reviewer.get(f"/cases/{number}").status_code == 200, what="case at B")
    reviewer.ok("post", f"/cases/{number}/accept")
    reviewer.ok("post", f"/cases/{number}/decision", json={"outcome": "approved", "note": ""})
    wait_for(lambda: clerk.ok("get", f"/cases/{number}")["status"] == "approved", what="办结 at A")
    with fed.node(A).engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar()
    assert schema == f"node_{A}"


def test_the_database_refuses_unknown_statuses_and_media_types(fed: InProcessFederation) -> None:
    engine = fed.node(B).engine
    with engine.connect() as connection:
        number = connection.execute(text("SELECT number FROM case_file LIMIT 1")).scalar()
    for statement in (
        "UPDATE case_file SET status = 'lost' WHERE number = :n",
        "UPDATE case_material SET media_type = 'text/html' WHERE case_number = :n",
        "UPDATE case_material SET size = 0 WHERE case_number = :n",
    ):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text(statement), {"n": number})
