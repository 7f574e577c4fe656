"""``datastore_search_sql``: one SELECT over DataStore tables, parsed and checked first.

The statement is parsed with sqlglot and refused unless every node of its tree
is of a kind on an allow-list (SELECT and its clauses, set operations, WITH,
subqueries, operators, literals, casts to plain types and the functions on
the allow-list below), and every table it names is a DataStore resource the
caller may read (named by resource id, as in CKAN). A name counts as a CTE
only where SQL scoping makes that CTE visible -- inside its own body a
non-recursive CTE does not see itself, so there the name is a table again
and has to be a resource id. The checked tree, with resource ids swapped for
the physical table names and comments dropped, is generated once more, parsed
and checked again (what runs is what was checked), and then runs on a
connection that cannot read anything but DataStore tables (sql_exec).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from delta.errors import ValidationFailed

MAX_SQL_CHARS = 20_000
MAX_NESTING = 64  # parentheses
_DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite"}

# Node kinds a statement may consist of (functions are listed apart).
_STRUCTURE: tuple[type[exp.Expression], ...] = (
    exp.Select, exp.Union, exp.Except, exp.Intersect, exp.Subquery, exp.From, exp.Join,
    exp.Where, exp.Group, exp.Having, exp.Order, exp.Ordered, exp.Limit, exp.Offset,
    exp.Fetch, exp.Distinct, exp.With, exp.CTE, exp.Table, exp.TableAlias, exp.Alias,
    exp.Column, exp.Identifier, exp.Star, exp.Values, exp.Tuple, exp.Window,
    exp.WindowSpec, exp.Filter, exp.Paren, exp.Literal, exp.Boolean, exp.Null, exp.Var,
    exp.DataType, exp.DataTypeParam, exp.Interval, exp.Escape, exp.Exists,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Neg, exp.Not, exp.And, exp.Or, exp.EQ,
    exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In, exp.Between, exp.Like,
    exp.ILike, exp.Glob, exp.DPipe, exp.NullSafeEQ, exp.NullSafeNEQ, exp.LimitOptions,
    exp.RegexpLike, exp.SimilarTo,
)  # fmt: skip
_FUNCTIONS: tuple[type[exp.Expression], ...] = (
    exp.Abs, exp.Avg, exp.Case, exp.Cast, exp.Ceil, exp.Coalesce, exp.Concat, exp.Count,
    exp.CurrentDate, exp.Date, exp.DateTrunc, exp.Extract, exp.FirstValue, exp.Floor,
    exp.Greatest, exp.GroupConcat, exp.If, exp.Lag, exp.Lead, exp.Least, exp.Left,
    exp.Length, exp.Ln, exp.Lower, exp.Max, exp.Min, exp.Nullif, exp.Pow, exp.Rank,
    exp.DenseRank, exp.Replace, exp.Right, exp.Round, exp.RowNumber, exp.Sign, exp.SplitPart,
    exp.Sqrt, exp.StartsWith, exp.Stddev, exp.StrPosition, exp.Substring, exp.Sum,
    exp.TimestampTrunc, exp.TimeToStr, exp.Trim, exp.Upper, exp.Variance, exp.Exp,
    exp.LastValue, exp.Mod, exp.ArrayAgg, exp.RegexpReplace, exp.Format,
    exp.TsOrDsToTimestamp,
)  # fmt: skip
# Functions sqlglot does not model, by the name both databases know them by.
_NAMED_FUNCTIONS = frozenset(
    {"strftime", "julianday", "substr", "ifnull", "char_length", "string_agg", "date_part",
     "to_char", "instr", "printf", "format", "total", "time", "datetime"}
)  # fmt: skip
_CAST_TYPES = frozenset(
    {"TEXT", "VARCHAR", "CHAR", "INT", "BIGINT", "SMALLINT", "DECIMAL", "DOUBLE", "FLOAT",
     "BOOLEAN", "DATE", "TIMESTAMP", "TIME", "NUMERIC", "REAL"}
)  # fmt: skip
# Where a bare keyword (sqlglot's Var) may stand: units of dates and intervals.
_VAR_PARENTS = (
    exp.Extract, exp.DateTrunc, exp.TimestampTrunc, exp.Interval, exp.DataType, exp.Limit,
)  # fmt: skip
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed.on("sql", message)


def prepare(sql: str, *, dialect: str, resolve: Callable[[str], str]) -> tuple[str, dict[str, str]]:
    """The statement to run and the physical -> resource id names (for error messages).

    ``resolve`` turns a resource id into its physical table name, or raises
    (not found, not authorised).
    """
    if not isinstance(sql, str) or not sql.strip():
        raise _refuse("Missing value")
    if len(sql) > MAX_SQL_CHARS:
        raise _refuse(f"The statement is longer than {MAX_SQL_CHARS} characters")
    flavour = _DIALECTS.get(dialect, "postgres")
    tree = _parse(sql, flavour)
    names: dict[str, str] = {}
    physical_of: dict[str, str] = {}

    def swap(table: exp.Table) -> None:
        resource_id = table.name
        if resource_id not in physical_of:
            physical_of[resource_id] = resolve(resource_id)
            names[physical_of[resource_id]] = resource_id
        if not table.alias:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(resource_id, quoted=True)))
        table.set("this", exp.to_identifier(physical_of[resource_id], quoted=True))

    _check(tree, flavour, swap)
    if not names:
        raise _refuse("The statement reads no DataStore table")
    generated = _generate(tree, flavour)
    # What runs is what was checked: the generated text, parsed again, names no other table.
    _check(_parse(generated, flavour), flavour, lambda table: _known(table, names))
    return generated, names


def _known(table: exp.Table, names: dict[str, str]) -> None:
    if table.name not in names:
        raise _refuse("The statement cannot be checked")


def _parse(sql: str, flavour: str) -> exp.Expression:
    try:
        tokens = sqlglot.Dialect.get_or_raise(flavour).tokenize(sql)
        _check_nesting(tokens)
        statements = [s for s in sqlglot.parse(sql, read=flavour) if s is not None]
    except SqlglotError as exc:
        raise _refuse(f"Cannot parse the statement: {str(exc).splitlines()[0][:200]}") from None
    except RecursionError:
        raise _refuse("The statement is nested too deeply") from None
    if len(statements) != 1:
        raise _refuse("Only one statement is allowed")
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.SetOperation):
        raise _refuse("Only SELECT statements are allowed")
    return tree


def _check_nesting(tokens: list[Any]) -> None:
    depth = 0
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            if depth > MAX_NESTING:
                raise _refuse(f"The statement nests more than {MAX_NESTING} parentheses")
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1


def _generate(tree: exp.Expression, flavour: str) -> str:
    try:
        return tree.sql(dialect=flavour, comments=False)
    except (SqlglotError, RecursionError):
        raise _refuse("The statement cannot be checked") from None


def _check(tree: exp.Expression, flavour: str, on_table: Callable[[exp.Table], None]) -> None:
    """Refuse nodes off the allow-lists; call ``on_table`` for every real table."""
    for node, visible in _scoped_walk(tree, flavour):
        _check_node(node)
        if isinstance(node, exp.Table):
            if _is_cte(node, visible, flavour):
                continue
            _check_table(node)
            on_table(node)


def _scoped_walk(
    tree: exp.Expression, flavour: str
) -> Iterator[tuple[exp.Expression, frozenset[str]]]:
    """Every node with the CTE names visible at it (as the database sees them).

    A non-recursive WITH's body sees the CTEs before it, the rest of the query
    all of them; a recursive WITH's bodies see all of them. Iterative, so deep
    trees cannot exhaust the stack.
    """
    stack: list[tuple[exp.Expression, frozenset[str]]] = [(tree, frozenset())]
    while stack:
        node, visible = stack.pop()
        yield node, visible
        with_ = node.args.get("with_")
        inner = visible
        if isinstance(with_, exp.With):
            yield with_, visible
            ctes = [cte for cte in with_.expressions if isinstance(cte, exp.CTE)]
            if len(ctes) != len(with_.expressions) or _other_parts(with_, "expressions"):
                raise _refuse("Only common table expressions may follow WITH")
            if any(_other_parts(cte, "this", "alias") for cte in ctes):
                raise _refuse("Common table expression options are not allowed")
            every = visible | {_cte_key(cte, flavour) for cte in ctes}
            seen = visible
            for cte in ctes:
                yield cte, seen
                alias = cte.args.get("alias")
                if alias is not None:
                    stack.append((alias, seen))
                stack.append((cte.this, every if with_.args.get("recursive") else seen))
                seen = seen | {_cte_key(cte, flavour)}
            inner = every
        for key, value in node.args.items():
            if key == "with_":
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, exp.Expression):
                    stack.append((child, inner))


def _other_parts(node: exp.Expression, *known: str) -> list[str]:
    """Arguments of ``node`` holding expressions, other than ``known``."""
    return [
        key
        for key, value in node.args.items()
        if key not in known
        and (isinstance(value, exp.Expression) or (isinstance(value, list) and value))
    ]


def _cte_key(cte: exp.CTE, flavour: str) -> str:
    alias = cte.args.get("alias")
    identifier = alias.this if isinstance(alias, exp.TableAlias) else None
    if not isinstance(identifier, exp.Identifier) or not identifier.name:
        raise _refuse("Every common table expression needs a name")
    return _key(identifier, flavour)


def _key(identifier: exp.Identifier, flavour: str) -> str:
    """How the database itself compares a name: PostgreSQL folds unquoted ones to lower
    case, SQLite ignores case; both fold ASCII letters only (Python's lower() folds
    more -- the Kelvin sign becomes "k" -- which would match names the database keeps
    apart)."""
    name = identifier.name
    if identifier.quoted and flavour == "postgres":
        return name
    return name.translate(_ASCII_LOWER)


def _is_cte(table: exp.Table, visible: frozenset[str], flavour: str) -> bool:
    if table.args.get("db") or table.args.get("catalog"):
        return False
    identifier = table.this
    return isinstance(identifier, exp.Identifier) and _key(identifier, flavour) in visible


def _check_table(table: exp.Table) -> None:
    if table.args.get("db") or table.args.get("catalog"):
        raise _refuse("Tables are DataStore resource ids, without a schema")
    if not isinstance(table.this, exp.Identifier) or not table.name:
        raise _refuse("Only DataStore tables can be queried (no table functions)")
    extra = [key for key, value in table.args.items() if value and key not in ("this", "alias")]
    if extra:
        raise _refuse(f"Table options are not allowed: {', '.join(sorted(extra))[:60]}")


def _check_node(node: exp.Expression) -> None:
    if isinstance(node, exp.Anonymous):
        name = node.this if isinstance(node.this, str) else ""
        if name.translate(_ASCII_LOWER) not in _NAMED_FUNCTIONS:
            raise _refuse(f"Function {str(node.name)[:60]} is not allowed")
        return
    if isinstance(node, exp.Func) and not isinstance(node, _FUNCTIONS + _STRUCTURE):
        raise _refuse(f"Function {node.sql_name()} is not allowed")
    if not isinstance(node, _STRUCTURE + _FUNCTIONS):
        raise _refuse(f"{_describe(node)} is not allowed")
    if isinstance(node, exp.Cast) and _type_name(node) not in _CAST_TYPES:
        raise _refuse(f"Casting to {node.to.sql()[:40]} is not allowed")
    if isinstance(node, exp.DataType) and not isinstance(node.parent, exp.Cast):
        raise _refuse("Types are allowed only in casts")
    if isinstance(node, exp.Var) and not isinstance(node.parent, _VAR_PARENTS):
        raise _refuse(f"{str(node.name)[:40]} is not allowed here")
    if isinstance(node, exp.In) and (node.args.get("field") or node.args.get("unnest")):
        raise _refuse("IN takes a list of values or a subquery")
    if isinstance(node, exp.Column) and (node.args.get("db") or node.args.get("catalog")):
        raise _refuse("Columns are named by field, or table alias and field")
    if isinstance(node, exp.Literal | exp.Identifier) and "\x00" in str(node.this):
        raise _refuse("The statement contains a NUL character")


def _describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Select | exp.SetOperation | exp.Subquery):
        return "This kind of query"
    return f"{node.key.upper()[:40]}"


def _type_name(cast: exp.Cast) -> str:
    kind = cast.to.this
    return str(getattr(kind, "name", kind)).upper()
