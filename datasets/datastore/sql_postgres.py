"""User SQL on PostgreSQL: its own connection, as a role that may only read DataStore tables.

The connection's *session* user is the restricted login role (not the
portal's user switching with ``SET ROLE``, which ``RESET ROLE`` or
``set_config('role', ...)`` could undo): it is a member of no role, owns
nothing and is granted SELECT on each DataStore table as the table is
created (DROP TABLE takes the grant with it). Every statement runs in a READ
ONLY transaction with ``statement_timeout``, ``lock_timeout`` and ``work_mem``
set, through the extended protocol (one statement, no ``;`` stacking), and
wrapped so the server stops once the rows so far exceed the byte cap
(``datastore_sql_result_fits``, migration 0005) -- before the row that
crosses it reaches the portal -- or the row cap. Rows are read through a
server-side cursor, a batch at a time, and counted again as they arrive.

The role may read every DataStore table; which of them this caller may read
is the parser's decision -- and PostgreSQL's plan of the statement confirms
it: the statement runs only if every table the plan scans is one it was
checked against (core functions that run SQL text of their own, like
``query_to_xml``, are revoked from PUBLIC so no scan hides inside a call).

Roles are cluster-wide while grants are per database: every portal database
on a server (and every throw-away test database) shares the role, creates it
if missing (a concurrent creation by another database counts as success) and
grants only its own tables.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from datasets.datastore import tables
from datasets.datastore.sql_exec import (
    Refused,
    Rows,
    SqlLimits,
    TimedOut,
    TooLarge,
    Unavailable,
    collect_rows,
)

log = logging.getLogger(__name__)

TOO_LARGE = "DS001"  # the SQLSTATE datastore_sql_result_fits raises
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('delta.datastore_sql'))"
# Views and functions PUBLIC may use that would show one reader's SQL (or signal the
# backend) to another anonymous reader sharing the role; kept for monitoring roles.
_PUBLIC_REVOKES = (
    ("SELECT", "TABLE pg_catalog.pg_stat_activity", "pg_read_all_stats"),
    ("EXECUTE", "FUNCTION pg_catalog.pg_stat_get_activity(integer)", "pg_read_all_stats"),
    ("EXECUTE", "FUNCTION pg_catalog.pg_stat_get_backend_activity(integer)", "pg_read_all_stats"),
    ("EXECUTE", "FUNCTION pg_catalog.pg_cancel_backend(integer)", "pg_signal_backend"),
    ("EXECUTE", "FUNCTION pg_catalog.pg_terminate_backend(integer, bigint)", "pg_signal_backend"),
)
# Core functions that run a query given as text (or read a table given by name).
_RUNS_SQL_TEXT = (
    "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml",
    "cursor_to_xmlschema", "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema",
    "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema", "database_to_xml",
    "database_to_xmlschema", "database_to_xml_and_xmlschema", "ts_stat", "ts_rewrite",
)  # fmt: skip
_SESSION = """
SELECT NOT (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication
            OR r.rolbypassrls)
       AND session_user = current_user
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_auth_members m WHERE m.member = r.oid),
       pg_catalog.set_config('search_path', 'public', true),
       pg_catalog.set_config('statement_timeout', %(timeout)s, true),
       pg_catalog.set_config('lock_timeout', %(timeout)s, true),
       pg_catalog.set_config('work_mem', %(work_mem)s, true)
FROM pg_catalog.pg_roles r WHERE r.rolname = session_user
"""


def reader_url(portal_url: str, *, role: str, configured: str | None) -> tuple[str, str]:
    """(libpq URL, role) for user SQL: the configured URL, or the portal's with ``role``
    as its user and no password (a local server with trust authentication)."""
    if configured:
        url = make_url(configured).set(drivername="postgresql")
    else:
        base = make_url(portal_url)
        url = URL.create(
            "postgresql",
            username=role,
            host=base.host,
            port=base.port,
            database=base.database,
            query=base.query,
        )
    return url.render_as_string(hide_password=False), str(url.username or "")


def check_role_name(role: str, *, portal_url: str) -> None:
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError(f"The DataStore SQL role {role!r} must be a plain lower-case name")
    if role == make_url(portal_url).username:
        raise ValueError("The DataStore SQL role must not be the portal's own database user")


class PostgresRunner:
    def __init__(self, url: str) -> None:
        self.url = url

    def fetch(self, sql: str, tables: frozenset[str], limits: SqlLimits) -> tuple[list[str], Rows]:
        try:
            connection = psycopg.connect(
                self.url, connect_timeout=5, application_name="delta-datastore-sql"
            )
        except psycopg.Error as exc:
            raise Unavailable(f"cannot connect as the DataStore SQL role: {exc}") from None
        try:
            connection.read_only = True
            with connection.cursor() as cursor:
                cursor.execute(
                    _SESSION,
                    {"timeout": str(int(limits.timeout_ms)), "work_mem": f"{limits.work_mem_kb}kB"},
                )
                safe = cursor.fetchone()
                if not safe or safe[0] is not True:
                    raise Unavailable("its role may do more than read DataStore tables")
                statement = wrap(sql, limits)
                # prepare=True: the extended protocol, which takes exactly one statement.
                cursor.execute(f"EXPLAIN (FORMAT JSON, VERBOSE) {statement}", prepare=True)
                _check_plan(cursor.fetchone(), tables)
            with connection.cursor(name="datastore_sql") as rows:
                rows.execute(statement)  # DECLARE ... CURSOR FOR: the extended protocol too
                columns = [d.name for d in rows.description or []]
                return columns, collect_rows(rows.fetchmany, limits)
        except (psycopg.errors.QueryCanceled, psycopg.errors.LockNotAvailable):
            raise TimedOut from None
        except psycopg.Error as exc:
            if exc.sqlstate == TOO_LARGE:
                raise TooLarge from None
            raise Refused(exc.diag.message_primary or str(exc)) from None
        finally:
            _close(connection)


def _check_plan(row: Any, tables: frozenset[str]) -> None:
    """Refuse a plan that scans any table but ``tables`` (PostgreSQL's own reading)."""
    stack = [entry["Plan"] for entry in row[0]] if row else []
    while stack:
        node = stack.pop()
        relation = node.get("Relation Name")
        if relation is not None and (relation not in tables or node.get("Schema") != "public"):
            raise Refused(f"the statement may not read {relation}")
        stack.extend(node.get("Plans", []))


def wrap(sql: str, limits: SqlLimits) -> str:
    """``sql`` with its rows' sizes added up and checked server-side, and the row cap.

    ``sql`` is the checked statement and runs as the restricted role anyway.
    """
    cap = int(limits.max_result_bytes)
    return (
        f"SELECT q.* FROM (\n{sql}\n) AS q "  # noqa: S608
        f"WHERE public.datastore_sql_result_fits(pg_catalog.pg_column_size(q.*), {cap}) "
        f"LIMIT {int(limits.max_rows) + 1}"
    )


def _close(connection: psycopg.Connection[Any]) -> None:
    with contextlib.suppress(psycopg.Error):
        connection.rollback()
    connection.close()


# --- provisioning ---------------------------------------------------------------------------


def provision(engine: sa.Engine, *, role: str, limits: SqlLimits, temp_file_limit_kb: int) -> bool:
    """Make ``role`` able to read this database's DataStore tables and nothing else.

    Idempotent and safe to run from several processes and databases at once.
    Returns False (and logs why) when the role does not exist and cannot be created.
    """
    if not _ensure_role(engine, role):
        return False
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as connection:
        connection.execute(sa.text(_LOCK))  # one provisioning per database at a time
        for name in _ungranted_tables(connection, role):
            tables.grant_select(connection, name, role)
        database = connection.execute(sa.text("SELECT current_database()")).scalar_one()
        defaults = {
            "default_transaction_read_only": "on",
            "statement_timeout": str(int(limits.timeout_ms)),
            "work_mem": f"{int(limits.work_mem_kb)}kB",
            "temp_file_limit": f"{int(temp_file_limit_kb)}kB",
        }
        for name, value in defaults.items():
            _optional(
                connection,
                f"ALTER ROLE {quote(role)} IN DATABASE {quote(database)} SET {name} = '{value}'",
            )
        for privilege, target, keeper in _PUBLIC_REVOKES:
            if _optional(connection, f"REVOKE {privilege} ON {target} FROM PUBLIC"):
                _optional(connection, f"GRANT {privilege} ON {target} TO {keeper}")
        runs_sql = connection.execute(
            sa.text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.proname = ANY(:names) "
                "AND p.pronamespace = 'pg_catalog'::regnamespace"
            ),
            {"names": list(_RUNS_SQL_TEXT)},
        ).scalars()
        for function in list(runs_sql):
            _optional(connection, f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")
    return True


def _ensure_role(engine: sa.Engine, role: str) -> bool:
    with engine.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}
        ).first()
    if exists:
        return True
    quote = engine.dialect.identifier_preparer.quote
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text(f"CREATE ROLE {quote(role)} LOGIN NOINHERIT"))
    except sa.exc.DBAPIError as exc:
        state = getattr(exc.orig, "sqlstate", None)
        if state in ("42710", "23505"):  # created by another database or process just now
            return True
        log.warning(
            "datastore_search_sql: role %s does not exist and cannot be created (%s); "
            "create it as a login role without privileges",
            role,
            str(exc.orig).splitlines()[0],
        )
        return False
    return True


def _ungranted_tables(connection: sa.Connection, role: str) -> list[str]:
    return list(
        connection.execute(
            sa.text(
                "SELECT d.table_name FROM datastore_table d JOIN pg_class c "
                "ON c.relname = d.table_name AND pg_table_is_visible(c.oid) "
                "WHERE NOT has_table_privilege(:role, c.oid, 'SELECT')"
            ),
            {"role": role},
        ).scalars()
    )


def _optional(connection: sa.Connection, statement: str) -> bool:
    """Run a hardening step the portal's database user may not be allowed to take."""
    try:
        with connection.begin_nested():
            connection.execute(sa.text(statement))
    except sa.exc.DBAPIError as exc:
        log.info("datastore_search_sql hardening skipped (%s): %s", statement, exc.orig)
        return False
    return True
