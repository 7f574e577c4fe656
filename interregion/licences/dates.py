"""Licence dates are dates in China Standard Time (UTC+8); credentials carry them as
RFC 3339 times: valid from the start of the first day to the end of the last."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def local_today(now: datetime) -> date:
    return now.astimezone(CHINA).date()


def start_of(day: date) -> str:
    return f"{day.isoformat()}T00:00:00+08:00"


def end_of(day: date) -> str:
    return f"{day.isoformat()}T23:59:59+08:00"


def parse_time(value: object) -> datetime:
    """An RFC 3339 time with a zone (credentials never carry naive times)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not a time")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a time without a zone")
    return moment


def iso_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
