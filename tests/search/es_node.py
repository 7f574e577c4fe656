"""Starting and stopping the Elasticsearch test node (scripts/elasticsearch-test-node)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "elasticsearch-test-node"
UNAVAILABLE = 3  # the script's exit code when npm or the network is missing


class NodeUnavailable(RuntimeError):
    """The node cannot be provisioned here (no npm, no network): skip, don't fail."""


class NodeFailed(RuntimeError):
    """Provisioning should have worked but did not: a real error."""


@dataclass
class TestNode:
    url: str
    run_dir: str | None  # None: an existing node we did not start
    startup_seconds: float = 0.0

    def stop(self) -> None:
        if self.run_dir:
            subprocess.run([str(SCRIPT), "stop", self.run_dir], check=False, timeout=120)
            self.run_dir = None


def start_test_node(timeout: float = 900) -> TestNode:
    """A node for this process: DELTA_TEST_ES_URL if set, else a fresh one.

    The script's watchdog stops the node if this process dies without stopping it.
    """
    existing = os.environ.get("DELTA_TEST_ES_URL")
    if existing:
        return TestNode(existing.rstrip("/"), None)
    started = time.monotonic()
    try:
        completed = subprocess.run(
            [str(SCRIPT), "start", "--parent-pid", str(os.getpid())],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NodeFailed(f"{SCRIPT.name} did not complete: {exc}") from exc
    message = completed.stderr.strip().splitlines()[-1:] or ["(no output)"]
    if completed.returncode == UNAVAILABLE:
        raise NodeUnavailable(message[0])
    if completed.returncode != 0:
        raise NodeFailed(
            f"{SCRIPT.name} failed ({completed.returncode}): {completed.stderr[-2000:]}"
        )
    info = json.loads(completed.stdout.strip().splitlines()[-1])
    return TestNode(info["url"], info["run_dir"], time.monotonic() - started)
