"""The CKAN / Solr ``q`` and ``fq`` syntax, parsed into a small AST.

Supported: ``field:value``, ``field:"quoted phrase"``, ``field:(a OR b)``,
``AND`` / ``OR`` / ``NOT`` / ``&&`` / ``||`` / ``!``, ``+required`` and
``-prohibited`` clauses, parentheses, ``*:*`` (and a bare ``*``), ranges
``[a TO b]`` / ``{a TO b}`` with ``*`` and Solr date math on the date fields.
Juxtaposed clauses are AND-ed, as in CKAN's Solr schema (``defaultOperator="AND"``);
a query of nothing but bare words is kept recognisable (``is_free_text``) so
the planner can rank it like CKAN's dismax free-text search.

The parser is the only place user syntax is interpreted: the backends build
their queries from the AST, never from the raw string. Anything it does not
understand raises ``SearchQueryError`` with a message fit for the API caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from search.datemath import parse_date_expression, request_now
from search.errors import SearchQueryError
from search.fields import DATE_FIELDS, DEFAULT_FIELD, kind_of, searchable_fields
from search.limits import DEFAULT_LIMITS, SearchLimits


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class Term:
    field: str
    value: str
    phrase: bool = False
    bare: bool = False  # typed without a field: searches the default text field


@dataclass(frozen=True)
class Range:
    field: str
    lower: str | None  # canonical timestamp, None for an open end
    upper: str | None
    include_lower: bool = True
    include_upper: bool = True


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]
    implicit: bool = False  # only juxtaposition, no explicit AND / + / -


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = MatchAll | Term | Range | And | Or | Not

_FIELD_PREFIX = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*|\*):")
_OPERATORS = {"AND", "OR", "NOT", "&&", "||"}
_WORD_STOP = set(' \t\r\n\f\v\u3000()"')
_RANGE_STOP = set(" \t\r\n\f\v\u3000]}")
_FORBIDDEN_IN_WORD = {
    "[": "'[' is only allowed in a range such as metadata_modified:[NOW-1DAY TO NOW]",
    "]": "unbalanced ']'",
    "{": "'{' is only allowed in a range such as metadata_modified:{* TO NOW}",
    "}": "unbalanced '}'",
    "^": "boosts (^) are not supported",
    "~": "fuzzy and proximity searches (~) are not supported",
}


def parse(
    q: str | None,
    *,
    limits: SearchLimits = DEFAULT_LIMITS,
    now: datetime | None = None,
    what: str = "q",
) -> Node:
    """Parse one q or fq string. Empty input matches everything."""
    if q is None:
        return MatchAll()
    if not isinstance(q, str):
        raise SearchQueryError(f"{what} must be a string")
    if len(q) > limits.max_query_chars:
        raise SearchQueryError(
            f"{what} is too long ({len(q)} characters, at most {limits.max_query_chars})"
        )
    if not q.strip():
        return MatchAll()
    return _Parser(q, limits=limits, now=now or request_now(), what=what).parse()


def parse_filters(
    fq: Sequence[str], *, limits: SearchLimits = DEFAULT_LIMITS, now: datetime | None = None
) -> list[Node]:
    if len(fq) > limits.max_fq:
        raise SearchQueryError(f"Too many filter queries ({len(fq)}, at most {limits.max_fq})")
    return [parse(one, limits=limits, now=now, what="fq") for one in fq]


def count_clauses(node: Node) -> int:
    if isinstance(node, And | Or):
        return sum(count_clauses(child) for child in node.children)
    if isinstance(node, Not):
        return count_clauses(node.child)
    return 1


def is_free_text(node: Node) -> bool:
    """Bare words and phrases only, juxtaposed: rank it, don't demand every word."""
    if isinstance(node, Term):
        return node.bare
    if isinstance(node, And):
        return node.implicit and all(
            isinstance(child, Term) and child.bare for child in node.children
        )
    return False


class _Parser:
    def __init__(self, text: str, *, limits: SearchLimits, now: datetime, what: str) -> None:
        self.text = text
        self.pos = 0
        self.limits = limits
        self.now = now
        self.what = what
        self.depth = 0
        self.clauses = 0

    # -- entry ---------------------------------------------------------------
    def parse(self) -> Node:
        node = self._query(None)
        self._skip_ws()
        if self.pos < len(self.text):
            if self.text[self.pos] == ")":
                self._fail("unbalanced ')'")
            self._fail(f"unexpected '{self.text[self.pos]}'")
        return node

    # -- grammar ---------------------------------------------------------------
    def _query(self, field: str | None) -> Node:
        parts = [self._conjunction(field)]
        while self._accept_operator("OR", "||"):
            parts.append(self._conjunction(field))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _conjunction(self, field: str | None) -> Node:
        clauses: list[Node] = []
        implicit = True
        clause, plain = self._clause(field)
        clauses.append(clause)
        implicit = implicit and plain
        while True:
            self._skip_ws()
            if self._at_end() or self._peek() == ")" or self._at_operator("OR", "||"):
                break
            if self._accept_operator("AND", "&&"):
                implicit = False
            clause, plain = self._clause(field)
            clauses.append(clause)
            implicit = implicit and plain
        if len(clauses) == 1:
            return clauses[0]
        return And(tuple(clauses), implicit=implicit)

    def _clause(self, field: str | None) -> tuple[Node, bool]:
        """One clause with its prefix; the flag says whether it had none."""
        self._skip_ws()
        if self._at_end():
            self._fail("expected a search term")
        char = self._peek()
        if char in "+-!":
            self.pos += 1
            if self._at_end() or self._peek() in _WORD_STOP - {'"', "("}:
                self._fail(f"'{char}' must be followed by a term")
            node = self._primary(field)
            return (node if char == "+" else Not(node)), False
        if self._accept_operator("NOT"):
            self._skip_ws()
            return Not(self._primary(field)), False
        for operator in ("AND", "OR", "&&", "||"):
            if self._at_operator(operator):
                self._fail(f"'{operator}' needs a term on both sides")
        return self._primary(field), True

    def _primary(self, field: str | None) -> Node:
        self._skip_ws()
        if self._at_end():
            self._fail("expected a search term")
        char = self._peek()
        if char == "(":
            return self._group(field)
        if char == ")":
            self._fail("unbalanced ')'")
        if char == '"':
            return self._leaf(Term(field or DEFAULT_FIELD, self._quoted(), True, field is None))
        if char in "[]{}":
            self._fail(_FORBIDDEN_IN_WORD[char])
        prefix = _FIELD_PREFIX.match(self.text, self.pos)
        if prefix:
            return self._fielded(prefix)
        word = self._word()
        if word == "*" and field is None:
            return self._leaf(MatchAll())
        return self._term(field, word)

    def _fielded(self, prefix: re.Match[str]) -> Node:
        name = prefix.group(1)
        self.pos = prefix.end()
        if name == "*":
            if self.text.startswith("*", self.pos) and self._boundary(self.pos + 1):
                self.pos += 1
                return self._leaf(MatchAll())
            self._fail("only *:* may use '*' as a field name")
        if kind_of(name) is None:
            self._fail(
                f"unknown field '{name}'; searchable fields are: {', '.join(searchable_fields())}"
            )
        self._skip_ws()
        if self._at_end():
            self._fail(f"missing value after '{name}:'")
        char = self._peek()
        if char == "(":
            return self._group(name)
        if char == '"':
            return self._leaf(self._coerce(Term(name, self._quoted(), phrase=True)))
        if char in "[{":
            return self._leaf(self._range(name))
        if char in ")]}":
            self._fail(f"missing value after '{name}:'")
        return self._term(name, self._word())

    def _term(self, field: str | None, word: str) -> Node:
        if field is not None and _has_wildcard(word):
            self._fail("wildcard searches (* and ?) are not supported; use *:* to match all")
        return self._leaf(self._coerce(Term(field or DEFAULT_FIELD, word, bare=field is None)))

    def _coerce(self, term: Term) -> Node:
        """A single value on a date field is the range [value TO value]."""
        if term.field in DATE_FIELDS:
            moment = parse_date_expression(term.value, now=self.now)
            return Range(term.field, moment, moment)
        return term

    def _group(self, field: str | None) -> Node:
        self.pos += 1  # "("
        self.depth += 1
        if self.depth > self.limits.max_depth:
            self._fail("too deeply nested")
        self._skip_ws()
        if self._at_end():
            self._fail("unbalanced '(': missing ')'")
        if self._peek() == ")":
            self._fail("empty parentheses")
        node = self._query(field)
        self._skip_ws()
        if self._at_end() or self._peek() != ")":
            self._fail("unbalanced '(': missing ')'")
        self.pos += 1
        self.depth -= 1
        return node

    def _range(self, field: str) -> Range:
        if field not in DATE_FIELDS:
            self._fail(f"ranges are only supported on {' and '.join(DATE_FIELDS)}, not '{field}'")
        include_lower = self.text[self.pos] == "["
        self.pos += 1
        lower = self._range_bound()
        self._skip_ws()
        if not (self.text.startswith("TO", self.pos) and self._boundary(self.pos + 2)):
            self._fail("a range needs the form [lower TO upper]")
        self.pos += 2
        upper = self._range_bound()
        self._skip_ws()
        if self._at_end() or self._peek() not in "]}":
            self._fail("unbalanced range: missing ']' or '}'")
        include_upper = self._peek() == "]"
        self.pos += 1
        return Range(
            field,
            None if lower == "*" else parse_date_expression(lower, now=self.now),
            None if upper == "*" else parse_date_expression(upper, now=self.now),
            include_lower,
            include_upper,
        )

    def _range_bound(self) -> str:
        self._skip_ws()
        if self._at_end():
            self._fail("unbalanced range: missing ']' or '}'")
        if self._peek() == '"':
            return self._quoted()
        start = self.pos
        while not self._at_end() and self._peek() not in _RANGE_STOP:
            self.pos += 1
        if start == self.pos:
            self._fail("a range needs the form [lower TO upper]")
        return self.text[start : self.pos]

    # -- lexing ----------------------------------------------------------------
    def _word(self) -> str:
        out: list[str] = []
        while not self._at_end():
            char = self._peek()
            if char in _WORD_STOP:
                break
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    self._fail("a backslash at the end escapes nothing")
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char in _FORBIDDEN_IN_WORD:
                self._fail(_FORBIDDEN_IN_WORD[char])
            out.append(char)
            self.pos += 1
        if not out:
            self._fail("expected a search term")
        word = "".join(out)
        if word in _OPERATORS:
            self._fail(f"'{word}' needs a term on both sides")
        return word

    def _quoted(self) -> str:
        start = self.pos
        self.pos += 1  # opening quote
        out: list[str] = []
        while True:
            if self._at_end():
                self.pos = start
                self._fail('unbalanced quotes: a phrase is missing its closing "')
            char = self._peek()
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            self.pos += 1
            if char == '"':
                break
            out.append(char)
        if not self._at_end() and self._peek() in "~^":
            self._fail(_FORBIDDEN_IN_WORD[self._peek()])
        return "".join(out)

    def _leaf(self, node: Node) -> Node:
        self.clauses += 1
        if self.clauses > self.limits.max_clauses:
            self._fail(f"too many clauses (at most {self.limits.max_clauses})")
        return node

    def _accept_operator(self, *names: str) -> bool:
        self._skip_ws()
        for name in names:
            if self._at_operator(name):
                self.pos += len(name)
                return True
        return False

    def _at_operator(self, *names: str) -> bool:
        return any(
            self.text.startswith(name, self.pos) and self._boundary(self.pos + len(name))
            for name in names
        )

    def _boundary(self, position: int, extra: str = "") -> bool:
        return (
            position >= len(self.text)
            or self.text[position] in _WORD_STOP
            or (self.text[position] in extra)
        )

    def _skip_ws(self) -> None:
        while not self._at_end() and self._peek() in _WORD_STOP - {"(", ")", '"'}:
            self.pos += 1

    def _peek(self) -> str:
        return self.text[self.pos]

    def _at_end(self) -> bool:
        return self.pos >= len(self.text)

    def _fail(self, message: str) -> NoReturn:
        raise SearchQueryError(f"Invalid {self.what} at position {self.pos + 1}: {message}")


def _has_wildcard(word: str) -> bool:
    return "*" in word or "?" in word
