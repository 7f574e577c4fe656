"""/api/openapi.json lists every CKAN action with its parameters, and schemathesis
finds no input that the portal answers with a 5xx or outside its own document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from open_portal.ckan import registry
from tests.support.inprocess import LocalPortal, local_portal


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPortal]:
    home: Path = tmp_path_factory.mktemp("openapi")
    with local_portal(home, "sqlite") as portal:
        yield portal


@pytest.fixture(scope="module")
def document(portal: LocalPortal) -> dict[str, Any]:
    response = portal.client.get("/api/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_every_action_is_listed_under_its_name(document: dict[str, Any]) -> None:
    paths = document["paths"]
    actions = registry.all_actions()
    assert len(actions) > 40
    for name, spec in actions.items():
        item = paths[f"/api/3/action/{name}"]
        methods = {"get", "post"} if spec.side_effect_free else {"post"}
        assert set(item) == methods, name
        for operation in item.values():
            assert operation["summary"] and operation["description"] == spec.doc
            assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])


def test_parameters_are_listed_with_types(document: dict[str, Any]) -> None:
    search = document["paths"]["/api/3/action/package_search"]["get"]
    parameters = {p["name"]: p for p in search["parameters"]}
    assert {"q", "fq", "rows", "start", "sort", "facet.field", "include_private"} <= set(parameters)
    assert parameters["rows"]["schema"]["type"] == "integer"
    assert parameters["include_private"]["schema"]["type"] == "boolean"
    assert parameters["q"]["required"] is False
    show = document["paths"]["/api/3/action/package_show"]
    assert [p["name"] for p in show["get"]["parameters"]] == ["id"]
    assert show["get"]["parameters"][0]["required"] is True
    body = show["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["id"]
    # Actions taking a whole dataset are described by the schema that validates it.
    create = document["paths"]["/api/3/action/package_create"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    model = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert {"name", "owner_org", "title", "resources", "tags", "region_code"} <= set(
        model["properties"]
    )
    assert "/api/3/action/package_create" in document["paths"]
    assert "get" not in document["paths"]["/api/3/action/package_create"]


# -- schemathesis: every operation of the document, fuzzed ------------------------------------

# Bounded for `make test`: examples per operation (each method of each action), no
# deadline (a shared 2-core machine), the generation phases only (shrinking runs only
# when something fails).
EXAMPLES_PER_OPERATION = 8


@pytest.fixture(scope="module")
def api_schema(portal: LocalPortal) -> Any:
    portal.tokens["sysadmin"] = portal.add_user("fuzz-admin", sysadmin=True)
    return schemathesis.openapi.from_asgi("/api/openapi.json", without_lifespan(portal.app))


def without_lifespan(app: Any) -> Any:
    """The app for calls made outside the portal's TestClient: its lifespan (which
    closes the portal at shutdown) stays with the TestClient that started it."""

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


OPERATIONS = [
    (name, method)
    for name, spec in sorted(registry.all_actions().items())
    for method in (("GET", "POST") if spec.side_effect_free else ("POST",))
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize(("action", "method"), OPERATIONS, ids=[f"{a}-{m}" for a, m in OPERATIONS])
def test_no_input_gets_a_server_error(
    api_schema: Any, portal: LocalPortal, action: str, method: str
) -> None:
    operation = api_schema[f"/api/3/action/{action}"][method]
    headers = {"Authorization": portal.tokens["sysadmin"]}

    # Inputs the document allows and inputs it does not: both get 2xx or a CKAN 4xx.
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=cases)
    def fuzz(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
