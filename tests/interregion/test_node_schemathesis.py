"""schemathesis against a node's own OpenAPI document: any input gets 2xx, 3xx or a structured 4xx.

One node app (320000) of an in-process federation (tests/interregion/inprocess.py),
so the routes that ask another node reach a real peer over routed HTTP. Each
operation is called with inputs its document allows and inputs it does not,
anonymously and with a staff and a department bearer token where the route wants
one. Bounded for ``make test``: a few examples per operation, generation only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy import select

from interregion.licences import service as licence_service
from interregion.licences.models import Department
from tests.interregion.cases_support import demo_username, token_for
from tests.interregion.inprocess import InProcessFederation, in_process_federation

NODE = "320000"
# A few per operation for `make test`; DELTA_FUZZ_EXAMPLES=50 for a deeper run by hand.
EXAMPLES_PER_OPERATION = int(os.environ.get("DELTA_FUZZ_EXAMPLES", "4"))
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with in_process_federation(tmp_path_factory.mktemp("node-fuzz")) as federation:
        yield federation


def without_lifespan(app: Any) -> Any:
    """The app for schemathesis's own calls: the lifespan (which closes the node at shutdown)
    stays with the federation's TestClient that started it (as in tests/portal/test_openapi.py)."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
            await send({"type": "lifespan.startup.complete"})

    return asgi


@pytest.fixture(scope="module")
def api_schema(fed: InProcessFederation) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", without_lifespan(fed.apps[NODE]))


@pytest.fixture(scope="module")
def bearers(fed: InProcessFederation) -> dict[str, str]:
    node = fed.node(NODE)
    with node.transaction() as session:
        uscc = session.scalars(select(Department.uscc).limit(1)).one()
        department = licence_service.new_department_token(session, uscc)
    return {
        "/cases/api/": f"Bearer {token_for(node, demo_username(NODE, 'supervisor'))}",
        "/api/licences": f"Bearer {department}",
    }


def header(response: Any, name: str) -> str:
    value = response.headers.get(name, "")
    return str(value[0] if isinstance(value, list) and value else value)


@schemathesis.check
def structured_refusal(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """A 4xx says why: problem+json with its status and title, or a page naming its reason."""
    if not 400 <= response.status_code < 500:
        return None
    kind = header(response, "content-type")
    body = response.content.decode("utf-8", "replace")
    if kind.startswith((PROBLEM, "application/json")):
        document = json.loads(body)
        assert isinstance(document, dict), body[:300]
        assert document.get("status") == response.status_code, body[:300]
        assert document.get("title"), body[:300]
        return True
    if kind.startswith("text/html"):
        assert 'id="reason"' in body or 'role="alert"' in body, body[:600]
        return True
    raise AssertionError(f"{response.status_code} as {kind!r}: {body[:300]}")


CHECKS = [not_a_server_error, structured_refusal]


def fuzz(operation: Any, headers: dict[str, str]) -> None:
    """Inputs the document allows and inputs it does not: each gets 2xx, 3xx or a clear 4xx."""
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        database=None,
    )
    @given(case=cases)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_no_input_gets_a_server_error_or_an_unexplained_refusal(
    api_schema: Any, bearers: dict[str, str]
) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    failures: list[str] = []
    for operation in operations:
        prefix = next((p for p in bearers if operation.path.startswith(p)), None)
        headers = {"Authorization": bearers[prefix]} if prefix else {}
        try:
            fuzz(operation, headers)
        except (Exception, BaseExceptionGroup) as error:  # collect all: one run names each
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:2000])
    assert failures == [], "\n\n".join(failures)


def test_a_region_outside_the_federation_is_a_404_not_an_outage(
    fed: InProcessFederation, bearers: dict[str, str]
) -> None:
    # Found by the fuzz above: this was a 503 "matter-list-unavailable".
    answer = fed.client(NODE).get(
        "/cases/api/matters",
        params={"region": "000000"},
        headers={"Authorization": bearers["/cases/api/"]},
    )
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["reason"] == "unknown-region"
