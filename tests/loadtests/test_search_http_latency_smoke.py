"""The search latency harness end to end on a tiny catalogue: real portal processes
(cold and warm), the bare raw-query endpoint, every line of the report printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loadtests import search_http_latency

pytestmark = pytest.mark.slow


def test_harness_reports_portal_in_process_raw_and_bare_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = search_http_latency.main([
        "--size", "300", "--rounds", "1", "--clients", "2", "--port", "18291",
        "--home", str(tmp_path / "home"),
    ])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    for label in (
        "package_search HTTP, cold",
        "package_search HTTP, warm cache",
        "search() in-process, cold",
        "raw engine query",
        "raw query, bare FastAPI, HTTP",
    ):
        line = next(line for line in out.splitlines() if line.startswith(label))
        p50, p99 = (float(x) for x in line[len(label) :].split()[:2])
        assert 0 < p50 <= p99, line
    assert re.search(r"cold [\d.]+x / [\d.]+x, warm [\d.]+x / [\d.]+x", out)


def test_the_harness_leaves_this_process_environment_alone(tmp_path: Path) -> None:
    """It runs in the test process: settings it reads for the portal must not leak into
    later tests (DELTA_LOG_LEVEL=WARNING silenced another file's access-log checks)."""
    import os

    before = dict(os.environ)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DELTA_")}
    env.update(DELTA_HOME=str(tmp_path), DELTA_ENV="development", DELTA_LOG_LEVEL="WARNING")
    assert search_http_latency.portal_catalogue(env)
    assert dict(os.environ) == before
