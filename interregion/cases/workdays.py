"""Working days (Monday to Friday) for the promised time limits.

Public holidays and the swapped working weekends of the Chinese calendar
are not modelled: a time limit ends on the n-th weekday after acceptance.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
SATURDAY = 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The end (23:59:59 China time) of the ``days``-th working day after ``start``'s day."""
    local = start.astimezone(CHINA)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < SATURDAY:
            remaining -= 1
    end = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=CHINA)
    return end.astimezone(start.tzinfo)


def working_days_between(start: datetime, end: datetime) -> float:
    """Elapsed working time in days (weekends do not count), for handling-time statistics."""
    if end <= start:
        return 0.0
    total = 0.0
    cursor = start.astimezone(CHINA)
    stop = end.astimezone(CHINA)
    while cursor < stop:
        next_midnight = datetime(cursor.year, cursor.month, cursor.day, tzinfo=CHINA) + timedelta(
            days=1
        )
        segment_end = min(next_midnight, stop)
        if cursor.weekday() < SATURDAY:
            total += (segment_end - cursor).total_seconds() / 86400
        cursor = segment_end
    return total
