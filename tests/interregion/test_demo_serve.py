"""``delta demo serve``: the portal and four nodes from one command; all stop together."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.processes import BIN, base_env, free_base_port

pytestmark = pytest.mark.slow


def children_of(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_demo_serve_starts_and_stops_everything(tmp_path: Path) -> None:
    base = free_base_port()
    log = (tmp_path / "demo.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "delta"), "demo", "serve", "--base-port", str(base)],
        env=base_env(tmp_path, DELTA_ENV="development", DELTA_SECRET_KEY="x" * 40),
        stdout=subprocess.PIPE,
        stderr=log,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 240
        while not any(line.startswith("Demo accounts") for line in lines):
            assert time.monotonic() < deadline, "demo serve did not finish starting"
            line = process.stdout.readline().decode()
            assert line or process.poll() is None, (tmp_path / "demo.log").read_text()[-3000:]
            lines.append(line)
        text = "".join(lines)
        for offset, code in enumerate(("310000", "320000", "330000", "340000"), start=1):
            url = f"http://127.0.0.1:{base + offset}"
            assert f"Node {code}:" in text and url in text
            assert httpx.get(f"{url}/healthz", timeout=10).json()["region"] == code
        portal = f"http://127.0.0.1:{base}"
        for _ in range(100):
            try:
                if httpx.get(f"{portal}/api/3/action/site_read", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        nodes = children_of(process.pid)
        assert len(nodes) == 4
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        for pid in nodes:
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)
            assert not Path(f"/proc/{pid}").exists(), f"node process {pid} outlived demo serve"
    finally:
        if process.poll() is None:
            process.kill()
        for pid in children_of(process.pid):
            os.kill(pid, signal.SIGKILL)
