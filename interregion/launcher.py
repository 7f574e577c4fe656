"""``delta demo serve``'s nodes: four ``delta node serve`` child processes next to the portal.

Separate processes rather than four servers in one: each node is its own
deployment in real life, with its own keys, database, replay cache and
registry view, and separate processes keep that honest (nothing shared by
accident in memory, a crash in one node leaves the others up), at the cost
of some memory. Children die with the parent: they are terminated on a normal
exit or a signal, and on Linux the kernel sends them SIGTERM if the parent
is killed outright (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

from delta.settings import Settings
from interregion.clock import utcnow
from interregion.federation.members import demo_base_urls
from interregion.federation.provisioning import provision

STARTUP_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 20
RESIGN_CHECK = timedelta(hours=1)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel for SIGTERM when the parent dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: normal shutdown still stops the children


def delta_command() -> list[str]:
    """The ``delta`` entry point of this interpreter's environment."""
    script = Path(sys.executable).with_name("delta")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from delta.cli import main; main()"]


@dataclass
class RegionNodes:
    """The four node processes of a demo, started and stopped together."""

    host: str
    base_port: int
    env: Mapping[str, str] | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def urls(self) -> dict[str, str]:
        return demo_base_urls(self.host, self.base_port)

    def provision(self, settings: Settings) -> None:
        provision(settings.ensure_home(), base_urls=self.urls, now=utcnow())

    def start(self) -> None:
        for code, url in self.urls.items():
            port = url.rsplit(":", 1)[1]
            self.processes[code] = subprocess.Popen(  # noqa: S603  (our own entry point)
                [*delta_command(), "node", "serve", "--region", code, "--port", port],
                env={
                    **(self.env if self.env is not None else os.environ),
                    "DELTA_NODE_HOST": self.host,
                },
                preexec_fn=_die_with_parent,  # noqa: PLW1509  (only prctl, no locks taken)
            )

    def wait_until_up(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        for code, url in self.urls.items():
            while True:
                process = self.processes[code]
                if process.poll() is not None:
                    raise RuntimeError(f"node {code} exited with code {process.returncode}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"node {code} did not come up at {url}")
                time.sleep(0.2)

    def keep_registry_fresh(self, settings: Settings) -> None:
        """Act as the demo authority while we run: re-sign the registry before it goes stale."""

        def run() -> None:
            while not self._stop.wait(RESIGN_CHECK.total_seconds()):
                try:
                    self.provision(settings)
                except Exception as error:  # keep the demo running; nodes use their last copy
                    print(f"registry re-signing failed: {error}", file=sys.stderr)

        threading.Thread(target=run, name="registry-resign", daemon=True).start()

    def seed_demo_cases(self, settings: Settings) -> None:
        """Window cases: on a first start, a few demo cases per region in different states
        (in the background: they travel between the nodes while the demo starts)."""

        def run() -> None:
            from interregion.cases.demo import seed_demo_cases

            try:
                seed_demo_cases(settings)
            except Exception as error:  # the demo runs without them
                print(f"demo cases were not created: {error}", file=sys.stderr)

        threading.Thread(target=run, name="demo-cases", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
