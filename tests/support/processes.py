"""Real server processes for end-to-end tests."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_base_port(count: int = 5) -> int:
    """A port P with P..P+count-1 all free (``delta demo serve`` takes five in a row)."""
    for _ in range(50):
        base = free_port()
        if base + count - 1 > 65535:
            continue
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return base
    raise RuntimeError(f"no {count} free ports in a row")


def base_env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DELTA_")}
    env.update(
        DELTA_HOME=str(home),
        DELTA_ENV="test",
        DELTA_SECRET_KEY=secrets.token_urlsafe(32),
        DELTA_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def delta(*args: str, env: Mapping[str, str], check: bool = True, timeout: float = 300) -> str:
    """Run the real ``delta`` command; returns its stdout."""
    result = subprocess.run(
        [str(BIN / "delta"), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"delta {' '.join(args)} failed ({result.returncode}): {result.stderr}"
        )
    return result.stdout


def wait_until_up(url: str, process: subprocess.Popen[bytes], *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not come up within {timeout}s")


@dataclass
class PortalServer:
    home: Path
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)
    workers: int = 1

    def __post_init__(self) -> None:
        self.log_path = self.home / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.launch()
        self.wait()

    def launch(self) -> None:
        """Start the process without waiting (to start several at once)."""
        self.home.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "delta"), "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 60) -> None:
        assert self.process is not None
        try:
            wait_until_up(f"{self.url}/api/3/action/site_read", self.process, timeout=timeout)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}; server log:\n{self.log()[-4000:]}") from None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def cli(self, *args: str, check: bool = True) -> str:
        return delta(*args, env=self.env, check=check)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_portal(home: Path, *, database_url: str | None = None, **env: str) -> PortalServer:
    port = free_port()
    extra = {"DELTA_SITE_URL": f"http://127.0.0.1:{port}", **env}
    if database_url:
        extra["DELTA_DATABASE_URL"] = database_url
    server = PortalServer(home=home, env=base_env(home, **extra), port=port)
    server.start()
    return server
