"""``datastore_search_sql`` as an attacker tries it, on SQLite and PostgreSQL (issue 10).

Two lines of defence, each tested on its own: the parser check (every attempt
below goes through the CKAN action, anonymously or as an outsider) and the
database (the same kind of statements sent straight to the execution layer,
bypassing the parser: the restricted role or the authorizer refuses). The
portal runs in this process with small limits so caps are cheap to reach.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from datasets.datastore import tables
from tests.publishing.inprocess import InProcessPortal, database, running
from tests.support.ckan import Answer

KiB = 1024
LIMITS = {
    "datastore_search_sql_enabled": True,
    "datastore_sql_timeout_ms": 2000,
    "datastore_sql_max_result_bytes": 256 * KiB,
    "datastore_sql_max_value_bytes": 64 * KiB,
    "datastore_max_limit": 1000,
}
CITIES = ["上海", "南京", "杭州", "合肥"]
PRIVATE_MARKER = "PRIVATE-ROW-MARKER"
REFUSED = (403, 404, 409)


@dataclass
class World:
    site: InProcessPortal
    public: str  # resource ids
    private: str
    public_table: str  # physical names
    private_table: str
    secrets: list[str] = field(default_factory=list)

    @property
    def executor(self) -> Any:
        executor = self.site.portal.datastore_sql
        assert executor is not None
        return executor

    def sql(self, statement: str, role: str | None = None) -> Answer:
        return self.site.post("datastore_search_sql", {"sql": statement}, role)

    def fill(self, template: str) -> str:
        return (
            template.replace("{pub}", self.public)
            .replace("{priv}", self.private)
            .replace("{pubtab}", self.public_table)
            .replace("{privtab}", self.private_table)
        )

    def leaks(self, answer: Answer) -> list[str]:
        text = json.dumps(answer.body, ensure_ascii=False)
        return [secret for secret in self.secrets if secret in text]

    def scalar(self, statement: str, **params: Any) -> Any:
        with self.site.portal.engine.connect() as connection:
            return connection.execute(sa.text(statement), params).scalar()


def _new_resource(site: InProcessPortal, name: str, *, private: bool = False) -> str:
    package = site.post(
        "package_create",
        {"name": name, "title": "SQL 测试", "owner_org": "sql-org", "private": private,
         "resources": [{"url": "https://example.org/t.csv", "name": "t"}]},
        "sql-admin",
    ).result  # fmt: skip
    return str(package["resources"][0]["id"])


def _table(site: InProcessPortal, *, private: bool, records: list[dict[str, Any]]) -> str:
    resource_id = _new_resource(site, f"sql-{'private' if private else 'public'}", private=private)
    created = site.post(
        "datastore_create", {"resource_id": resource_id, "records": records}, "sql-editor"
    )
    assert created.ok, created.body
    return resource_id


def _physical(site: InProcessPortal, resource_id: str) -> str:
    with site.portal.sessions() as session:
        entry = tables.entry(session, resource_id)
        assert entry is not None
        return entry.table_name


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    backend = request.param
    home: Path = tmp_path_factory.mktemp(f"datastore-sql-{backend}")
    with database(backend, home) as url, running(backend, url, home, **LIMITS) as site:
        site.add_user("sql-admin", sysadmin=True)
        site.add_user("sql-editor")
        site.add_user("sql-outsider")
        site.post("organization_create", {"name": "sql-org", "title": "SQL 测试局"}, "sql-admin")
        assert site.post(
            "organization_member_create",
            {"id": "sql-org", "username": "sql-editor", "role": "editor"},
            "sql-admin",
        ).ok
        rows = [{"城市": CITIES[n % 4], "人口": n} for n in range(50)]
        public = _table(site, private=False, records=rows)
        private = _table(site, private=True, records=[{"秘密": PRIVATE_MARKER}])
        world = World(
            site=site,
            public=public,
            private=private,
            public_table=_physical(site, public),
            private_table=_physical(site, private),
        )
        with site.portal.engine.connect() as connection:
            hashes = connection.execute(sa.text("SELECT token_hash FROM api_token")).scalars()
            passwords = connection.execute(sa.text("SELECT password_hash FROM portal_user"))
            world.secrets = [
                PRIVATE_MARKER, *site.emails.values(), *hashes, *passwords.scalars()
            ]  # fmt: skip
        yield world


def test_a_plain_query_still_works(world: World) -> None:
    grouped = world.sql(
        f'SELECT "城市", count(*) AS n FROM "{world.public}" GROUP BY "城市" ORDER BY "城市"'
    ).result
    assert sorted(r["城市"] for r in grouped["records"]) == sorted(CITIES)
    assert sum(r["n"] for r in grouped["records"]) == 50
    counted = world.sql(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) "
        f'SELECT count(*) AS k FROM c, "{world.public}"'
    ).result
    assert counted["records"] == [{"k": 250}]


# --- finding 1: a CTE named like a table read the table ------------------------------------


FINDING_1 = [
    "WITH portal_user AS (SELECT name, email, password_hash FROM portal_user) "
    'SELECT u.* FROM "{pub}" d, portal_user u',
    'WITH api_token AS (SELECT token_hash FROM api_token) SELECT * FROM "{pub}", api_token',
    'WITH "{privtab}" AS (SELECT * FROM "{privtab}") SELECT * FROM "{pub}", "{privtab}"',
]


@pytest.mark.parametrize("template", FINDING_1)
def test_a_cte_cannot_read_the_table_it_is_named_after(world: World, template: str) -> None:
    for role in (None, "sql-outsider"):
        answer = world.sql(world.fill(template), role)
        assert answer.status in REFUSED, answer.body
        assert world.leaks(answer) == []


def test_a_cte_cannot_read_the_catalog_it_is_named_after(world: World) -> None:
    catalog = "pg_authid" if world.site.backend == "postgresql" else "sqlite_master"
    column = "rolpassword" if world.site.backend == "postgresql" else "sql"
    answer = world.sql(
        f'WITH {catalog} AS (SELECT {column} FROM {catalog}) SELECT * FROM "{world.public}", '
        f"{catalog}"
    )
    assert answer.status in REFUSED, answer.body
    assert "SCRAM" not in json.dumps(answer.body) and "CREATE TABLE" not in json.dumps(answer.body)


# --- finding 2: one query took the SQLite portal down ---------------------------------------


def test_one_query_cannot_build_gigabytes(world: World) -> None:
    """The issue's query (SQLite: printf; PostgreSQL has format with a width): each call is
    bounded (SQLITE_LIMIT_LENGTH), and so is the result (the byte cap, server-side on PG)."""
    builder = "printf('%.*c', 100000000, 'x')"
    if world.site.backend == "postgresql":
        builder = "format('%2000000s', 'x')"  # 2 MB, x 10 by replace: far past the cap
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    answer = world.sql(f"SELECT replace({builder}, 'x', 'yyyyyyyyyy') AS v FROM \"{world.public}\"")
    elapsed = time.monotonic() - started
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert elapsed < 10
    assert grown_mib < 200
    assert len(json.dumps(answer.body)) < 64 * KiB
    if answer.status == 200:  # SQLite: a value past the length limit is NULL
        assert {r["v"] for r in answer.body["result"]["records"]} == {None}
    else:
        assert answer.status == 409, answer.body
        assert "larger than" in answer.error["sql"][0]


def test_results_are_capped(world: World) -> None:
    answer = world.sql(f"SELECT printf('%.*c', 20000, 'x') AS v FROM \"{world.public}\"")
    if world.site.backend == "postgresql":
        answer = world.sql(f"SELECT format('%20000s', 'x') AS v FROM \"{world.public}\"")
    assert answer.status == 409, str(answer.body)[:300]
    assert answer.error["sql"] == [
        f"The result is larger than {256 * KiB} bytes; select fewer rows or fields"
    ]
    fits = world.sql(f"SELECT format('%1000s', 'x') AS v FROM \"{world.public}\"")
    assert len(fits.result["records"]) == 50


def test_a_row_of_many_big_values_stops_at_the_cap(world: World) -> None:
    """One value repeated: a short statement, a wide row (100 x 60 KB, past the 256 KiB
    cap); the cap must hold while the row becomes Python strings, not after."""
    builder = "printf('%.*c', 60000, 'x')"
    if world.site.backend == "postgresql":
        builder = "format('%60000s', 'x')"
    columns = ", ".join(["v"] * 100)
    answer = world.sql(
        f'WITH b AS (SELECT {builder} AS v) SELECT {columns} FROM b, "{world.public}"'
    )
    assert answer.status == 409, str(answer.body)[:300]
    assert "larger than" in answer.error["sql"][0]


def test_cells_past_the_value_limit_are_refused_on_sqlite(world: World) -> None:
    rid = _new_resource(world.site, "sql-wide-cell")
    big = {"a": "长" * 30_000}  # 90,000 bytes of UTF-8: past the 64 KiB limit
    assert world.site.post(
        "datastore_create", {"resource_id": rid, "records": [big]}, "sql-editor"
    ).ok
    answer = world.sql(f'SELECT length(a) AS n FROM "{rid}"')
    if world.site.backend == "postgresql":
        assert answer.result["records"] == [{"n": 30_000}]
    else:
        assert answer.status == 409, answer.body
        assert answer.error["sql"] == [
            f"The database refused the query: a value or a row is longer than {64 * KiB} bytes"
        ]


def test_the_deadline_holds_inside_the_database(world: World) -> None:
    started = time.monotonic()
    answer = world.sql(
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) "
        f'SELECT count(*) FROM c, "{world.public}"'
    )
    assert answer.status == 409, answer.body
    assert answer.error["sql"] == ["The query took longer than 2000 ms"]
    assert time.monotonic() - started < 8


def test_rows_beyond_the_limit_are_truncated(world: World) -> None:
    many = world.sql(
        f'SELECT a."人口" FROM "{world.public}" a, "{world.public}" b ORDER BY 1'
    ).result
    assert len(many["records"]) == 1000
    assert many["records_truncated"] is True


def test_non_finite_numbers_are_null(world: World) -> None:
    values = "1e999999 AS a, -1e999999 AS b, 1e999999 - 1e999999 AS c"
    if world.site.backend == "postgresql":  # PostgreSQL refuses 1e999999 itself
        values = (
            "CAST('-Infinity' AS NUMERIC) AS a, CAST('Infinity' AS DOUBLE) AS b, "
            "CAST('NaN' AS DOUBLE) AS c"
        )
    response = world.site.client.post(
        "/api/3/action/datastore_search_sql",
        json={"sql": f'SELECT {values} FROM "{world.public}" LIMIT 1'},
    )
    assert response.status_code == 200, response.text

    def strict(constant: str) -> None:
        raise AssertionError(f"not JSON: {constant}")

    body = json.loads(response.text, parse_constant=strict)
    assert body["result"]["records"] == [{"a": None, "b": None, "c": None}]


# --- the database refuses, even what the parser wrongly allowed -----------------------------

BYPASS_BOTH = [
    "SELECT email, password_hash FROM portal_user",
    "SELECT token_hash FROM api_token",
    "WITH portal_user AS (SELECT email FROM portal_user) SELECT * FROM portal_user",
    "SELECT version_num FROM alembic_version",
    'SELECT * FROM "{privtab}"',
    'WITH x AS (SELECT 1 AS one) SELECT * FROM x, "{privtab}"',
]
BYPASS_POSTGRESQL = [
    "SELECT rolpassword FROM pg_authid",
    "SELECT query_to_xml('SELECT email FROM portal_user', true, true, '')",
    "SELECT set_config('role', 'postgres', false)",
    "SELECT set_config('session_authorization', 'postgres', false)",
    "SELECT 1 AS x) AS q) AS w; RESET ROLE; SELECT email FROM portal_user; "
    "SELECT * FROM (SELECT * FROM (SELECT 1 AS x",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT * FROM pg_ls_dir('.')",
    "SELECT current_setting('data_directory')",
    "SELECT query FROM pg_stat_activity",
    "SELECT pg_stat_get_backend_activity(1)",
    "SELECT pg_terminate_backend(pg_backend_pid())",
    "SELECT lo_get({lob})",
    "SELECT * FROM dblink('dbname={db} user=postgres host=127.0.0.1', "
    "'SELECT email FROM portal_user') AS t(e text)",
    "SELECT nextval('\"{pubtab}__id_seq\"')",
    'WITH d AS (DELETE FROM "{pubtab}" RETURNING *) SELECT * FROM d',
    "SELECT * FROM public.portal_user",
    'WITH "{privtab}" AS (SELECT * FROM "{privtab}") SELECT * FROM "{privtab}"',
    "SELECT query_to_xml('SELECT * FROM \"{privtab}\"', true, true, '')",
    "SELECT table_to_xml('\"{privtab}\"', true, true, '')",
    "SELECT ts_stat('SELECT to_tsvector(email) FROM portal_user')",
]
BYPASS_SQLITE = [
    "SELECT * FROM sqlite_master",
    "SELECT * FROM sqlite_schema",
    "SELECT * FROM pragma_table_info('portal_user')",
    "SELECT '0005' IN alembic_version",
    "SELECT load_extension('/nonexistent')",
    "SELECT randomblob(100)",
    "SELECT sqlite_version()",
    "SELECT * FROM json_each('[1]')",
    "ATTACH DATABASE ':memory:' AS x",
    "PRAGMA table_info(portal_user)",
    'DELETE FROM "{pubtab}"',
    'SELECT 1 FROM "{pubtab}"; SELECT email FROM portal_user',
    "SELECT * FROM main.portal_user",
]


@pytest.fixture(scope="module")
def bypass_params(world: World) -> dict[str, str]:
    """A large object owned by the portal's user and dblink, on PostgreSQL."""
    if world.site.backend != "postgresql":
        return {}
    with world.site.portal.engine.begin() as connection:
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS dblink"))
        lob = connection.execute(sa.text("SELECT lo_from_bytea(0, 'large secret')")).scalar()
        db = connection.execute(sa.text("SELECT current_database()")).scalar()
    return {"{lob}": str(lob), "{db}": str(db)}


def _bypass_cases() -> list[Any]:
    both = [pytest.param(s, None, id=f"both-{n}") for n, s in enumerate(BYPASS_BOTH)]
    pg = [pytest.param(s, "postgresql", id=f"pg-{n}") for n, s in enumerate(BYPASS_POSTGRESQL)]
    lite = [pytest.param(s, "sqlite", id=f"sqlite-{n}") for n, s in enumerate(BYPASS_SQLITE)]
    return both + pg + lite


@pytest.mark.parametrize(("template", "only"), _bypass_cases())
def test_the_database_refuses_what_the_parser_let_through(
    world: World, bypass_params: dict[str, str], template: str, only: str | None
) -> None:
    if only and only != world.site.backend:
        pytest.skip(f"{only} only")
    statement = world.fill(template)
    for key, value in bypass_params.items():
        statement = statement.replace(key, value)
    from datasets.datastore.sql_exec import Refused

    executor = world.executor
    with pytest.raises(Refused):
        executor.runner.fetch(statement, frozenset({world.public_table}), executor.limits)
    assert world.scalar(f'SELECT count(*) FROM "{world.public_table}"') == 50


# --- the PostgreSQL role: what it is, and grants as tables come and go ----------------------


def _postgresql(world: World) -> None:
    if world.site.backend != "postgresql":
        pytest.skip("PostgreSQL roles")


def test_the_role_is_a_plain_login_role(world: World) -> None:
    _postgresql(world)
    role = world.executor.grant_role
    attributes = world.scalar(
        "SELECT row(rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, "
        "rolinherit, rolcanlogin)::text FROM pg_roles WHERE rolname = :role",
        role=role,
    )
    assert attributes == "(f,f,f,f,f,f,t)"
    assert (
        world.scalar(
            "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
            "WHERE r.rolname = :role",
            role=role,
        )
        == 0
    )

    def may(check: str, target: str, privilege: str) -> bool:
        return bool(world.scalar(f"SELECT {check}(:role, :target, :p)", role=role,
                                 target=target, p=privilege))  # fmt: skip

    assert may("has_table_privilege", world.public_table, "SELECT")
    assert not may("has_table_privilege", world.public_table, "INSERT")
    for table in ("portal_user", "api_token", "datastore_table", "pg_catalog.pg_stat_activity"):
        assert not may("has_table_privilege", table, "SELECT"), table
    for function in ("pg_catalog.pg_terminate_backend(integer, bigint)",
                     "pg_catalog.pg_stat_get_backend_activity(integer)",
                     "pg_catalog.query_to_xml(text, boolean, boolean, text)"):  # fmt: skip
        assert not may("has_function_privilege", function, "EXECUTE"), function
    settings = world.scalar(
        "SELECT s.setconfig::text FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
        "WHERE r.rolname = :role AND s.setdatabase = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())",
        role=role,
    )
    assert "default_transaction_read_only=on" in settings
    assert "statement_timeout=2000" in settings


def test_grants_follow_tables(world: World) -> None:
    editor = "sql-editor"
    rid = _new_resource(world.site, "sql-come-and-go")
    assert world.site.post(
        "datastore_create", {"resource_id": rid, "records": [{"a": "1"}]}, editor
    ).ok
    assert world.sql(f'SELECT a FROM "{rid}"').result["records"] == [{"a": "1"}]
    physical = _physical(world.site, rid)
    assert world.site.post("datastore_delete", {"resource_id": rid}, editor).ok
    assert world.sql(f'SELECT a FROM "{rid}"').status == 404
    if world.site.backend == "postgresql":
        assert world.scalar("SELECT to_regclass(:t) IS NULL", t=physical)


def test_uploaded_tables_are_readable_by_sql(world: World) -> None:
    package = world.site.post(
        "package_create", {"name": "sql-upload", "owner_org": "sql-org"}, "sql-admin"
    ).result
    response = world.site.client.post(
        "/api/3/action/resource_create",
        data={"package_id": package["id"], "name": "上传"},
        files={"upload": ("上传.csv", "编号,名称\n1,上海\n2,南京\n".encode())},
        headers={"Authorization": world.site.tokens["sql-editor"]},
    )
    assert response.status_code == 200, response.text
    rid = response.json()["result"]["id"]
    assert world.site.portal.ingest.run_once()
    answer = world.sql(f'SELECT "名称" FROM "{rid}" ORDER BY "编号"')
    assert answer.result["records"] == [{"名称": "上海"}, {"名称": "南京"}]


def test_tables_from_before_are_granted_on_start(world: World) -> None:
    """A table made while SQL search was off (no grant) is granted at the next start."""
    _postgresql(world)
    from datasets.datastore import service, sql_postgres
    from datasets.models import Resource

    rid = _new_resource(world.site, "sql-before")
    with world.site.portal.unit_of_work() as unit:
        resource = unit.session.get(Resource, rid)
        assert resource is not None
        service.create(unit.session, resource=resource, fields=None, records=[{"a": "1"}],
                       primary_key=None, indexes=None, sql_reader=None)  # fmt: skip
    role = world.executor.grant_role
    grant = "SELECT has_table_privilege(:role, :t, 'SELECT')"
    name = _physical(world.site, rid)
    assert not world.scalar(grant, role=role, t=name)
    ready = sql_postgres.provision(
        world.site.portal.engine, role=role, limits=world.executor.limits, temp_file_limit_kb=1024
    )
    assert ready and world.scalar(grant, role=role, t=name)
    assert world.sql(f'SELECT a FROM "{rid}"').result["records"] == [{"a": "1"}]


def test_provisioning_is_race_safe(world: World) -> None:
    """Roles are cluster-wide: portals and test databases starting at once all create the
    same role; whoever loses the race to CREATE ROLE still succeeds."""
    _postgresql(world)
    import threading
    import uuid

    from datasets.datastore import sql_postgres

    role = f"delta_ds_race_{uuid.uuid4().hex[:8]}"
    engine = world.site.portal.engine
    start = threading.Barrier(4)
    results: list[bool] = []

    def provision() -> None:
        start.wait()
        results.append(
            sql_postgres.provision(
                engine, role=role, limits=world.executor.limits, temp_file_limit_kb=1024
            )
        )

    threads = [threading.Thread(target=provision) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results == [True] * 4
        assert world.scalar("SELECT count(*) FROM pg_roles WHERE rolname = :r", r=role) == 1
        assert world.scalar(
            "SELECT has_table_privilege(:r, :t, 'SELECT')", r=role, t=world.public_table
        )
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text(f'DROP OWNED BY "{role}"'))
            connection.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))


def test_a_privileged_session_user_is_refused(world: World) -> None:
    """Configured with a URL whose user may do more than read DataStore tables (here the
    superuser the tests connect as), the portal refuses to run user SQL at all."""
    _postgresql(world)
    from datasets.datastore import sql_postgres
    from datasets.datastore.sql_exec import SqlExecutor
    from delta.errors import NotAuthorized

    superuser, _ = sql_postgres.reader_url(world.site.database_url, role="x", configured=(
        world.site.database_url))  # fmt: skip
    executor = SqlExecutor(
        runner=sql_postgres.PostgresRunner(superuser), limits=world.executor.limits
    )
    with pytest.raises(NotAuthorized):
        executor.run("SELECT email FROM portal_user", {})


def test_the_reader_url() -> None:
    from datasets.datastore import sql_postgres

    portal = "postgresql+psycopg://portal:secret@db.internal:5433/delta?sslmode=require"
    assert sql_postgres.reader_url(portal, role="delta_datastore_sql", configured=None) == (
        "postgresql://delta_datastore_sql@db.internal:5433/delta?sslmode=require",
        "delta_datastore_sql",
    )
    configured = "postgresql://reader:pw@db.internal/delta"
    assert sql_postgres.reader_url(portal, role="ignored", configured=configured) == (
        configured,
        "reader",
    )
    for bad in ("portal", "Robert'); DROP", ""):
        with pytest.raises(ValueError, match="DataStore SQL role"):
            sql_postgres.check_role_name(bad, portal_url=portal)


# --- the parser: scopes, parse errors, IN a table (findings 1 and 5) ----------------------


def test_ctes_nest_as_sql_scopes_them(world: World) -> None:
    scoped = world.sql(
        f'WITH t AS (SELECT "人口" FROM "{world.public}"), u AS (SELECT * FROM t) '
        'SELECT max("人口") AS m FROM (WITH v AS (SELECT * FROM u) SELECT * FROM v) s'
    ).result
    assert scoped["records"] == [{"m": 49}]


TOKENIZER_ERRORS = [
    'SELECT \'x FROM "{pub}"',
    'SELECT 1 /* x FROM "{pub}"',
    "SELECT x'zz' FROM \"{pub}\"",
    'SELECT "unterminated FROM "{pub}',
    "SELECT " + "(" * 5000 + "1" + ")" * 5000 + ' FROM "{pub}"',
    "SELECT " + "NOT " * 3000 + ' 1 FROM "{pub}"',
    'SELECT $$x FROM "{pub}"',
]


@pytest.mark.parametrize("template", TOKENIZER_ERRORS, ids=range(len(TOKENIZER_ERRORS)))
def test_statements_that_do_not_parse_are_validation_errors(world: World, template: str) -> None:
    answer = world.sql(world.fill(template))
    assert answer.status == 409, answer.body
    assert answer.error["__type"] == "Validation Error"
    assert answer.error["sql"]


def test_in_a_table_name_is_refused(world: World) -> None:
    answer = world.sql(f"SELECT count(*) FROM \"{world.public}\" WHERE '0005' IN alembic_version")
    assert answer.status == 409, answer.body
    assert answer.error["sql"] == ["IN takes a list of values or a subquery"]


def test_case_folding_follows_the_database(world: World) -> None:
    """PostgreSQL keeps "PORTAL_USER" and portal_user apart (so portal_user is the table,
    refused); SQLite does not (so it is the CTE, harmless)."""
    answer = world.sql(
        f'WITH "PORTAL_USER" AS (SELECT 1 AS x FROM "{world.public}") SELECT * FROM portal_user'
    )
    assert world.leaks(answer) == []
    if world.site.backend == "postgresql":
        assert answer.status == 404, answer.body
    else:
        assert answer.result["records"] == [{"x": 1}] * 50


# --- datastore_search: limits on sort keys and filter values (finding 5) ------------------


@pytest.mark.parametrize("keys", [10_000, 100_000])
def test_too_many_sort_keys_are_refused_cheaply(world: World, keys: int) -> None:
    started = time.monotonic()
    answer = world.site.post(
        "datastore_search", {"resource_id": world.public, "sort": ",".join(["城市"] * keys)}
    )
    assert answer.status == 409, str(answer.body)[:300]
    assert answer.error["sort"] == ["Sort by at most 20 fields"]
    assert time.monotonic() - started < 2


def test_too_many_filter_values_are_refused(world: World) -> None:
    values = [str(n) for n in range(100_000)]
    answer = world.site.post(
        "datastore_search", {"resource_id": world.public, "filters": {"城市": values}}
    )
    assert answer.status == 409, str(answer.body)[:300]
    assert answer.error["filters"] == ["Filter by at most 10000 values in all"]


# --- smuggling: variants an attacker would try next -----------------------------------------

# Each must be refused (403/404/409) and show nothing of what it reached for.
SMUGGLING = [
    # CTE scoping
    'WITH x AS (SELECT 1 AS a FROM "{pub}"), portal_user AS (SELECT email FROM portal_user) '
    "SELECT * FROM portal_user",
    'WITH a AS (SELECT email FROM portal_user), portal_user AS (SELECT 1 AS x FROM "{pub}") '
    "SELECT * FROM a",
    'SELECT * FROM (WITH portal_user AS (SELECT 1 AS x FROM "{pub}") SELECT x FROM portal_user)'
    " s, portal_user",
    'WITH API_TO\u212aEN AS (SELECT 1 AS x FROM "{pub}") SELECT * FROM "{pub}", api_token',
    "WITH RECURSIVE portal_user(email) AS (SELECT email FROM portal_user UNION ALL "
    'SELECT email FROM portal_user) SELECT * FROM "{pub}", portal_user',
    'WITH RECURSIVE a AS (SELECT email FROM portal_user) SELECT * FROM "{pub}", a',
    'WITH "{pub}" AS (SELECT * FROM "{privtab}") SELECT * FROM "{pub}"',
    # subqueries
    'SELECT (SELECT email FROM portal_user LIMIT 1) AS e FROM "{pub}"',
    "SELECT * FROM \"{pub}\" WHERE EXISTS (SELECT 1 FROM api_token WHERE token_hash LIKE 'a%')",
    'SELECT * FROM "{pub}" WHERE "城市" IN (SELECT email FROM portal_user)',
    # set operations
    'SELECT "城市" FROM "{pub}" UNION SELECT email FROM portal_user',
    'SELECT "城市" FROM "{pub}" EXCEPT SELECT password_hash FROM portal_user',
    # functions
    "SELECT pg_read_file('/etc/passwd') FROM \"{pub}\"",
    "SELECT query_to_xml('select * from portal_user', true, true, '') FROM \"{pub}\"",
    "SELECT current_setting('data_directory') FROM \"{pub}\"",
    "SELECT set_config('role', 'postgres', false) FROM \"{pub}\"",
    "SELECT load_extension('/tmp/evil') FROM \"{pub}\"",
    'SELECT pg_catalog.pg_sleep(1) FROM "{pub}"',
    'SELECT "pg_read_file"(\'/etc/passwd\') FROM "{pub}"',
    'SELECT lo_get(1) FROM "{pub}"',
    "SELECT dblink('dbname=postgres', 'select 1') FROM \"{pub}\"",
    'SELECT sqlite_version(), randomblob(10) FROM "{pub}"',
    # casts
    "SELECT CAST('portal_user' AS regclass) FROM \"{pub}\"",
    "SELECT '16384'::oid FROM \"{pub}\"",
    # comments and stacking
    'SELECT email FROM portal_user /* FROM "{pub}" */',
    'SELECT * FROM "{pub}"; SELECT * FROM portal_user',
    'SELECT * FROM "{pub}" /* ; */ ; DROP TABLE "{pub}"',
    # quoting
    'SELECT * FROM "portal_user"',
    'SELECT * FROM "{pub}"" UNION SELECT email FROM portal_user --"',
    "SELECT E'\\'', email FROM portal_user",
    "SELECT $q$ $q$, email FROM portal_user",
    'SELECT * FROM U&"portal\\005fuser"',
    # unicode
    "SELECT * FROM \uff50\uff4f\uff52\uff54\uff41\uff4c_user",
    'SELECT * FROM "portal_user\u200b"',
    # identifiers, schemas and catalogs
    "SELECT * FROM public.portal_user",
    "SELECT * FROM main.portal_user",
    "SELECT * FROM pg_catalog.pg_authid",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM sqlite_master",
    "SELECT * FROM PORTAL_USER",
    'SELECT public.portal_user.email FROM "{pub}"',
    # lateral joins, VALUES, table functions
    'SELECT * FROM "{pub}", LATERAL (SELECT email FROM portal_user) x',
    'SELECT * FROM (VALUES (1)) v(a), "{pub}" WHERE a IN (SELECT 1 FROM api_token)',
    'SELECT * FROM generate_series(1, 3), "{pub}"',
    "SELECT * FROM pragma_table_info('portal_user'), \"{pub}\"",
    "SELECT * FROM json_each('[1]'), \"{pub}\"",
    "SELECT * FROM ROWS FROM (pg_ls_dir('.')), \"{pub}\"",
    # writes, COPY and other statements
    "COPY portal_user TO STDOUT",
    'SELECT * INTO stolen FROM "{pub}"',
    'WITH d AS (DELETE FROM "{pub}" RETURNING *) SELECT * FROM d',
    'SELECT * FROM "{pub}" FOR UPDATE',
    "TABLE portal_user",
    "EXPLAIN SELECT * FROM portal_user",
    "SET ROLE postgres",
    "ATTACH DATABASE '/tmp/x.db' AS x",
    # private data
    'SELECT * FROM "{priv}"',
    'SELECT * FROM "{privtab}"',
    'SELECT * FROM "{pub}" WHERE EXISTS (SELECT 1 FROM "{priv}")',
]
# Accepted as written, but harmless: the comment is dropped before the statement runs.
HARMLESS = [
    'SELECT 1 AS one -- */ FROM portal_user\nFROM "{pub}"',
    '/*! SELECT email FROM portal_user */ SELECT 1 AS one FROM "{pub}"',
    "SELECT 'x'' UNION SELECT email FROM portal_user --' AS s FROM \"{pub}\"",
]


@pytest.mark.parametrize("template", SMUGGLING, ids=range(len(SMUGGLING)))
def test_smuggling_is_refused(world: World, template: str) -> None:
    answer = world.sql(world.fill(template), "sql-outsider")
    assert answer.status in REFUSED, answer.body
    assert answer.body["success"] is False
    assert world.leaks(answer) == []


@pytest.mark.parametrize("template", HARMLESS, ids=range(len(HARMLESS)))
def test_comments_and_quotes_stay_inert(world: World, template: str) -> None:
    answer = world.sql(world.fill(template))
    assert answer.ok, answer.body
    assert world.leaks(answer) == []
    assert len(answer.result["records"]) == 50


def test_smuggling_changed_nothing(world: World) -> None:
    count = world.site.post("datastore_info", {"id": world.public}).result["meta"]["count"]
    assert count == 50
    assert world.scalar("SELECT count(*) FROM portal_user") == 3
