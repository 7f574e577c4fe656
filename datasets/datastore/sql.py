"""``datastore_search_sql``: one SELECT over DataStore tables, parsed and checked first.

The statement is parsed with sqlglot and refused unless it is a single
SELECT (or a UNION of them) whose tables are all DataStore resources the
caller may read (named by resource id, as in CKAN), whose functions are all
on an allow-list, and which neither writes (SELECT INTO) nor locks rows
(FOR UPDATE). The checked tree, with resource ids swapped for the physical
table names, is what runs, on a connection that cannot read anything but
DataStore tables (sql_exec).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from delta.errors import ValidationFailed

MAX_SQL_CHARS = 20_000
_FUNCTIONS = (
    exp.Abs, exp.Avg, exp.Case, exp.Cast, exp.Ceil, exp.Coalesce, exp.Concat, exp.Count,
    exp.CurrentDate, exp.Date, exp.DateTrunc, exp.Extract, exp.FirstValue, exp.Floor,
    exp.Greatest, exp.GroupConcat, exp.If, exp.Lag, exp.Lead, exp.Least, exp.Left,
    exp.Length, exp.Ln, exp.Lower, exp.Max, exp.Min, exp.Nullif, exp.Pow, exp.Rank,
    exp.DenseRank, exp.Replace, exp.Right, exp.Round, exp.RowNumber, exp.Sign, exp.SplitPart,
    exp.Sqrt, exp.StartsWith, exp.Stddev, exp.StrPosition, exp.Substring, exp.Sum,
    exp.TimestampTrunc, exp.TimeToStr, exp.Trim, exp.Upper, exp.Variance, exp.Exp,
    exp.LastValue, exp.Mod, exp.ArrayAgg, exp.RegexpReplace, exp.Format,
)  # fmt: skip
_NAMED_FUNCTIONS = frozenset(
    {"strftime", "julianday", "substr", "ifnull", "char_length", "string_agg", "date_part",
     "to_char", "instr", "printf", "format"}
)  # fmt: skip
_CAST_TYPES = frozenset(
    {"TEXT", "VARCHAR", "CHAR", "INT", "BIGINT", "SMALLINT", "DECIMAL", "DOUBLE", "FLOAT",
     "BOOLEAN", "DATE", "TIMESTAMP", "TIME", "NUMERIC", "REAL"}
)  # fmt: skip
_DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite"}


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed.on("sql", message)


def prepare(sql: str, *, dialect: str, resolve: Callable[[str], str]) -> tuple[str, dict[str, str]]:
    """The statement to run and the physical -> resource id names (for error messages)."""
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("Missing value")
    if len(sql) > MAX_SQL_CHARS:
        raise _refuse(f"The statement is longer than {MAX_SQL_CHARS} characters")
    flavour = _DIALECTS.get(dialect, "postgres")
    try:
        statements = [s for s in sqlglot.parse(sql, read=flavour) if s is not None]
    except ParseError as exc:
        raise _refuse(f"Cannot parse the statement: {str(exc).splitlines()[0][:200]}") from None
    if len(statements) != 1:
        raise _refuse("Only one statement is allowed")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise _refuse("Only SELECT statements are allowed")
    _check_nodes(tree)
    names = _swap_tables(tree, resolve, flavour)
    return tree.sql(dialect=flavour), names


def _check_nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Into | exp.Lock):
            raise _refuse("SELECT INTO and row locks are not allowed")
        if isinstance(node, exp.Anonymous):
            if node.name.lower() not in _NAMED_FUNCTIONS:
                raise _refuse(f"Function {node.name[:60]} is not allowed")
        elif isinstance(node, exp.Func) and not isinstance(node, _FUNCTIONS):
            raise _refuse(f"Function {node.sql_name()} is not allowed")
        if isinstance(node, exp.Cast) and _type_name(node) not in _CAST_TYPES:
            raise _refuse(f"Casting to {node.to.sql()[:40]} is not allowed")
        if isinstance(node, exp.Command | exp.DDL | exp.DML):
            raise _refuse("Only SELECT statements are allowed")


def _type_name(cast: exp.Cast) -> str:
    kind = cast.to.this
    return str(getattr(kind, "name", kind)).upper()


def _key(identifier: exp.Expression, flavour: str) -> str:
    """How the database itself compares a name: PostgreSQL folds unquoted ones to
    lower case, SQLite ignores case altogether."""
    name = identifier.name
    quoted = isinstance(identifier, exp.Identifier) and identifier.quoted
    return name if quoted and flavour == "postgres" else name.lower()


def _swap_tables(
    tree: exp.Expression, resolve: Callable[[str], str], flavour: str
) -> dict[str, str]:
    # A CTE name only shadows a table inside its own WITH scope; allowing WITH only on
    # the whole statement makes "is this name a CTE?" the same question everywhere.
    top = tree.args.get("with_")
    ctes = {_key(cte.args["alias"].this, flavour) for cte in top.expressions} if top else set()
    if any(w is not top for w in tree.find_all(exp.With)):
        raise _refuse("WITH is allowed only at the start of the statement")
    names: dict[str, str] = {}
    for table in list(tree.find_all(exp.Table)):
        if table.args.get("db") or table.args.get("catalog"):
            raise _refuse("Tables are DataStore resource ids, without a schema")
        if not table.name:
            raise _refuse("Only DataStore tables can be queried")
        if _key(table.this, flavour) in ctes:
            continue
        physical = resolve(table.name)
        names[physical] = table.name
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name, quoted=True)))
        table.set("this", exp.to_identifier(physical, quoted=True))
    if not names:
        raise _refuse("The statement reads no DataStore table")
    return names
