"""How often sources run: ckanext-harvest's frequencies, as intervals."""

from __future__ import annotations

from datetime import datetime, timedelta

INTERVALS: dict[str, timedelta | None] = {
    "MANUAL": None,
    "ALWAYS": timedelta(0),  # every time the scheduler looks
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
    "BIWEEKLY": timedelta(weeks=2),
    "MONTHLY": timedelta(days=30),
}
FREQUENCIES = tuple(INTERVALS)
# A Running job whose heartbeat is older than this died with its process.
STALE_AFTER = timedelta(minutes=10)


def next_run(frequency: str, after: datetime | None) -> datetime | None:
    """When a source runs next after a run that ended at ``after`` (None: only by hand)."""
    interval = INTERVALS.get(frequency)
    if interval is None or after is None:
        return None
    return after + interval
