"""Every CKAN action's parameters, fuzzed with hypothesis, on SQLite and PostgreSQL:
whatever a caller sends, the answer is a success or a CKAN-shaped 4xx -- never a 5xx.

Values mix what the action expects (names and ids of real objects, so calls reach
deep into the services) with what it does not (wrong types, huge and negative
numbers, query syntax, control and non-BMP characters, long text, nested
structures). Bounded for ``make test``: a fixed number of examples per action
and method, no deadline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from open_portal.ckan import openapi, registry
from tests.support.inprocess import LocalPortal, backend_portal
from tests.support.strategies import QUERIES

EXAMPLES = {"sqlite": 15, "postgresql": 6}
# package_search takes a whole query language: it gets more.
RICH = {"package_search": 4}
ERROR_TYPES = {
    "Bad Request",
    "Authorization Error",
    "Not Found Error",
    "Validation Error",
    "Search Query Error",
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def portal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalPortal]:
    with backend_portal(
        request, tmp_path_factory, "fuzz", datastore_search_sql_enabled=True
    ) as portal:
        portal.add_user("fuzz-user")
        admin = portal.api("sysadmin")
        assert admin.post("organization_create", {"name": "fuzz-org"}).ok
        assert admin.post("group_create", {"name": "fuzz-group"}).ok
        for name, extra in (("fuzz-open", {}), ("fuzz-conditional", {"open_class": "conditional"})):
            created = admin.post(
                "package_create",
                {"name": name, "owner_org": "fuzz-org", "tags": [{"name": "交通"}],
                 "resources": [{"url": "https://example.org/a.csv", "name": "a"}], **extra},
            )  # fmt: skip
            assert created.ok, created.body
            resource_id = created.result["resources"][0]["id"]
            assert admin.post(
                "datastore_create",
                {"resource_id": resource_id, "records": [{"区县": "徐汇区", "人口": 1}]},
            ).ok
        yield portal


def real_refs(portal: LocalPortal) -> list[str]:
    """Names and ids of objects that exist, so generated calls find something."""
    admin = portal.api("sysadmin")
    refs = ["fuzz-org", "fuzz-group", "fuzz-open", "fuzz-conditional", "fuzz-user", "fuzz-admin"]
    for name in ("fuzz-open", "fuzz-conditional"):
        shown = admin.post("package_show", {"id": name})
        if shown.ok:
            refs += [shown.result["id"], *(r["id"] for r in shown.result["resources"])]
    return refs


# fmt: off
NASTY = [
    "", " ", "(", "a (", "*:*", "tags:交通", "region_code:310000", "name asc",
    "'; DROP TABLE package; --", "../../etc/passwd", "javascript:alert(1)",
    "\u202e", "\U0001f600", "x" * 5000, "1e999", "NaN", "-1", "true", "[]", "{}",
    "approve", "reject", "package", "user", "admin", "editor", "member", "upsert",
]
# fmt: on
TEXT = st.one_of(st.text(max_size=20), st.sampled_from(NASTY))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


NUMBERS = st.one_of(
    st.integers(min_value=-5, max_value=2000),
    st.sampled_from([100_000, 10**9, 2**31, 2**63, -(2**63), 10**30]),
    st.sampled_from(["10", "-1", "1e5", "100000", "0x10", " 7 ", "一"]),
    VALUES,
)
# What a parameter of this name usually holds, then anything at all.
COUNTS = (
    "rows", "start", "limit", "offset", "page", "facet.limit", "facet.mincount",
    "expires_in", "grant_days",
)  # fmt: skip
TYPICAL = {
    **dict.fromkeys(("q", "fq", "query"), QUERIES),
    "fq_list": st.lists(QUERIES, max_size=3),
    "sort": st.one_of(
        st.sampled_from(["name asc", "score desc, metadata_modified desc", "title_string"]),
        QUERIES,
    ),
    **dict.fromkeys(COUNTS, NUMBERS),
}
REF_KEYS = ("id", "name", "package_id", "resource_id", "object", "user", "username", "owner_org")


def action_data(action: str, refs: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts of the action's documented keys, each there or not (and a few others),
    with typical values, real names and ids, or anything at all."""
    spec = registry.all_actions()[action]
    keys = [name for name, _ in openapi.documented_parameters(spec)]
    model = openapi.BODY_MODELS.get(action)
    if model is not None:
        keys += list(model.model_fields)
    keys += ["id", "name", "package_id", "resource_id", "extras", "resources", "callback"]
    ref = st.sampled_from(refs)

    def value_for(key: str) -> st.SearchStrategy[Any]:
        if key in TYPICAL:
            return st.one_of(TYPICAL[key], TYPICAL[key], VALUES)
        return st.one_of(ref, VALUES) if key in REF_KEYS else st.one_of(VALUES, ref)

    known = st.fixed_dictionaries({}, optional={k: value_for(k) for k in sorted(set(keys))})
    unknown = st.dictionaries(TEXT, VALUES, max_size=2)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


def as_query(data: dict[str, Any]) -> dict[str, str]:
    return {
        str(key): value if isinstance(value, str) else json.dumps(value)
        for key, value in data.items()
    }


OPERATIONS = [
    (name, method)
    for name, spec in sorted(registry.all_actions().items())
    for method in (("GET", "POST") if spec.side_effect_free else ("POST",))
]


@pytest.mark.parametrize(("action", "method"), OPERATIONS, ids=[f"{a}-{m}" for a, m in OPERATIONS])
def test_any_parameters_get_a_ckan_answer(portal: LocalPortal, action: str, method: str) -> None:
    refs = real_refs(portal)
    headers = {"Authorization": portal.tokens["sysadmin"]}

    @settings(
        max_examples=EXAMPLES[portal.backend] * RICH.get(action, 1),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(data=action_data(action, refs), anonymous=st.booleans())
    def call(data: dict[str, Any], anonymous: bool) -> None:
        sent = {} if anonymous else headers
        if method == "GET":
            response = portal.client.get(
                f"/api/3/action/{action}", params=as_query(data), headers=sent
            )
        else:
            response = portal.client.post(f"/api/3/action/{action}", json=data, headers=sent)
        assert response.status_code < 500, (response.status_code, response.text[:2000])
        body = response.json()
        assert body["success"] is (response.status_code == 200), body
        if response.status_code != 200:
            assert body["error"]["__type"] in ERROR_TYPES, body

    call()
