"""The mixed-workload runner end to end on a tiny catalogue: a real portal process
(embedded shape, SQLite), a real locust run, every kind of request answered 2xx."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from loadtests import mixed_workload

pytestmark = pytest.mark.slow


def test_runner_drives_every_task_without_failures(tmp_path: Path) -> None:
    code = mixed_workload.main([
        "--shape", "embedded", "--size", "100", "--users", "5", "--seconds", "10",
        "--wait", "0,0", "--html-users", "5", "--tables", "1", "--table-rows", "200",
        "--out", str(tmp_path / "out"), "--var", str(tmp_path / "var"),
    ])  # fmt: skip
    assert code == 0
    result = json.loads((tmp_path / "out" / "mixed-embedded.json").read_text("utf-8"))
    assert result["datasets"] == 100
    (step,) = result["steps"]
    assert step["failures"] == 0, step["failure_samples"]
    assert set(step["tasks"]) == set(mixed_workload.TASKS)
    for name, task in step["tasks"].items():
        assert task["requests"] > 0 and task["failures"] == 0, name
    assert step["p50_ms"] <= step["p95_ms"] <= step["p99_ms"]
    assert (tmp_path / "out" / "mixed-embedded-5users.html").stat().st_size > 10_000
    if importlib.util.find_spec("matplotlib"):  # the optional 'bench' extra
        png = tmp_path / "out" / "mixed-latency-vs-users-embedded.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_crossing_interpolates_between_steps() -> None:
    steps: list[dict[str, Any]] = [{"users": 10, "p99_ms": 200.0}, {"users": 50, "p99_ms": 600.0},
             {"users": 100, "p99_ms": 1600.0}]  # fmt: skip
    assert mixed_workload.crossing(steps) == {"users": 100, "interpolated": 70, "below": 50}
    assert mixed_workload.crossing(steps[:2]) is None
    assert mixed_workload.crossing(steps[2:]) == {"users": 100, "interpolated": None, "below": None}
    # No request completed within the step: over 1 s, nothing to interpolate.
    stalled: list[dict[str, Any]] = [*steps[:2], {"users": 75, "p99_ms": None}]
    assert mixed_workload.crossing(stalled) == {"users": 75, "interpolated": None, "below": 50}
