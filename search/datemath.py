"""Solr date syntax for ranges on metadata_modified / metadata_created.

Accepts ``NOW``, ISO 8601 timestamps (``2024-03-01T08:00:00Z``, fractions,
with or without ``Z``, or a bare date) and Solr date math after either:
``NOW-1DAY``, ``NOW/DAY``, ``NOW-7DAYS/DAY+1HOUR``, ``2024-01-01T00:00:00Z+1MONTH``.
Everything is UTC and comes out in the one canonical form the index stores,
so ranges compare as strings in both backends.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from search.errors import SearchQueryError

CANONICAL_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_ANCHOR = re.compile(
    r"(?P<now>NOW)|(?P<date>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?Z?)"
)
_OP = re.compile(r"(?P<sign>[+-])(?P<amount>\d{1,6})(?P<unit>[A-Z]+)|/(?P<round>[A-Z]+)")

_UNITS = {
    "YEAR": "year",
    "YEARS": "year",
    "MONTH": "month",
    "MONTHS": "month",
    "DAY": "day",
    "DAYS": "day",
    "DATE": "day",
    "HOUR": "hour",
    "HOURS": "hour",
    "MINUTE": "minute",
    "MINUTES": "minute",
    "SECOND": "second",
    "SECONDS": "second",
    "MILLI": "milli",
    "MILLIS": "milli",
    "MILLISECOND": "milli",
    "MILLISECONDS": "milli",
}


def request_now() -> datetime:
    """NOW for one search request: the current UTC time rounded *up* to the second.

    A whole second makes answers of ``NOW`` ranges reusable by the result cache
    for the rest of that second. Up, not down: ``[* TO NOW]`` still finds a
    dataset written earlier in this second (no dataset is stamped in the
    future), while a lower bound such as ``NOW-1YEAR`` may sit up to one second
    later than the exact time."""
    moment = datetime.now(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def canonical(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime(CANONICAL_FORMAT)


def canonical_timestamp(value: object) -> str:
    """The stored form of a package timestamp; "" when it is missing or unreadable."""
    if isinstance(value, datetime):
        return canonical(value)
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value.strip().replace("Z", "+00:00")
    try:
        return canonical(datetime.fromisoformat(text))
    except ValueError:
        return ""


def parse_date_expression(expression: str, *, now: datetime) -> str:
    """Resolve a Solr date (with optional math) to the canonical string."""
    match = _ANCHOR.match(expression)
    if not match:
        raise SearchQueryError(f"Invalid date '{expression}': use NOW or 2024-01-31T00:00:00Z")
    if match.group("now"):
        moment = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    else:
        moment = _parse_iso(match.group("date"), expression)
    position = match.end()
    while position < len(expression):
        op = _OP.match(expression, position)
        if not op:
            raise SearchQueryError(f"Invalid date math in '{expression}'")
        moment = _apply(op, moment, expression)
        position = op.end()
    return canonical(moment)


def _parse_iso(text: str, expression: str) -> datetime:
    text = text.rstrip("Z")
    if "." in text:  # Python accepts at most 6 fraction digits
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:6].ljust(6, '0')}"
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise SearchQueryError(f"Invalid date '{expression}'") from exc


def _apply(op: re.Match[str], moment: datetime, expression: str) -> datetime:
    unit_name = op.group("round") or op.group("unit")
    unit = _UNITS.get(unit_name)
    if unit is None:
        raise SearchQueryError(f"Unknown date math unit '{unit_name}' in '{expression}'")
    if op.group("round"):
        return _round_down(moment, unit)
    amount = int(op.group("amount")) * (1 if op.group("sign") == "+" else -1)
    try:
        return _shift(moment, unit, amount)
    except (OverflowError, ValueError) as exc:
        raise SearchQueryError(f"Date out of range in '{expression}'") from exc


def _shift(moment: datetime, unit: str, amount: int) -> datetime:
    if unit in ("year", "month"):
        months = moment.month - 1 + amount * (12 if unit == "year" else 1)
        year = moment.year + months // 12
        month = months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        return moment.replace(year=year, month=month, day=day)
    seconds = {"day": 86400, "hour": 3600, "minute": 60, "second": 1}
    if unit == "milli":
        return moment + timedelta(milliseconds=amount)
    return moment + timedelta(seconds=amount * seconds[unit])


_ROUNDING = {
    "year": {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0},
    "month": {"day": 1, "hour": 0, "minute": 0, "second": 0, "microsecond": 0},
    "day": {"hour": 0, "minute": 0, "second": 0, "microsecond": 0},
    "hour": {"minute": 0, "second": 0, "microsecond": 0},
    "minute": {"second": 0, "microsecond": 0},
    "second": {"microsecond": 0},
}


def _round_down(moment: datetime, unit: str) -> datetime:
    if unit == "milli":
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return moment.replace(**_ROUNDING[unit])  # type: ignore[arg-type]
