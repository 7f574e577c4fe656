"""How `make test` spreads the suite over pytest-xdist workers: the longest work first.

xdist's `--dist loadfile` sends whole files to workers, largest test count first, so
a file with a few slow tests (a corpus load, a cluster of node processes) starts last
and the run ends waiting for it on one worker while the others idle. Here a unit of
work is a file, or one database's half of a file whose tests run on both SQLite and
PostgreSQL (each half has its own portal), and units go out longest first by the
seconds measured in tests/durations.json (longest-processing-time scheduling).
A unit that file does not know yet weighs its test count times the mean seconds per
test of the units it knows. `scripts/test-durations` rewrites the file from the
`--durations=0` report of a run.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

DURATIONS = Path(__file__).resolve().parents[1] / "durations.json"
BACKENDS = ("sqlite", "postgresql")


def work_unit(nodeid: str) -> str:
    """The file of a test, with its database when the test is parametrized by one."""
    path = nodeid.split("::", 1)[0]
    params = nodeid.rsplit("[", 1)[1].rstrip("]") if nodeid.endswith("]") else ""
    backends = [b for b in BACKENDS if b in params.split("-")]
    return f"{path}[{backends[0]}]" if len(backends) == 1 else path


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    try:
        return {unit: float(s) for unit, s in json.loads(path.read_text()).items()}
    except (OSError, ValueError):
        return {}


class LongestFirstQueue(OrderedDict[str, dict[str, bool]]):
    """xdist's work queue, handing out the heaviest unit when a worker asks for one."""

    def __init__(self, durations: dict[str, float]) -> None:
        super().__init__()
        self.durations = durations
        self.per_test: float | None = None

    def weight(self, unit: str) -> float:
        if unit in self.durations:
            return self.durations[unit]
        if self.per_test is None:  # the mean over the units measured, once all are queued
            known = [u for u in self if u in self.durations]
            tests = sum(len(self[u]) for u in known)
            self.per_test = sum(self.durations[u] for u in known) / tests if tests else 1.0
        return len(self[unit]) * self.per_test

    def popitem(self, last: bool = True) -> tuple[str, dict[str, bool]]:
        unit = max(self, key=self.weight)
        return unit, self.pop(unit)


def longest_first_scheduler(config: Any, log: Any) -> Any:
    """xdist's file scheduling with the units above (xdist imported here: only the
    controller of an xdist run needs it, not scripts/test-durations)."""
    from xdist.scheduler import LoadScopeScheduling

    class LongestFirstScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    scheduler = LongestFirstScheduling(config, log)
    scheduler.workqueue = LongestFirstQueue(load_durations())
    return scheduler
