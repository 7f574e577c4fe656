"""Four real region nodes (``delta node serve``) on free ports, sharing one DELTA_HOME."""

from __future__ import annotations

import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from interregion.clock import utcnow
from interregion.federation.provisioning import provision
from signing.keys import SigningKey
from signing.keystore import KeyDirectory
from standards.regions import DELTA_PROVINCES
from tests.support.processes import BIN, base_env, delta, free_port, wait_until_up


@dataclass
class Cluster:
    home: Path
    env: dict[str, str]
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, code: str) -> str:
        return f"http://127.0.0.1:{self.ports[code]}"

    def entity_id(self, code: str) -> str:
        return f"{self.url(code)}/saml/metadata"

    def log_path(self, code: str) -> Path:
        return self.home / f"node-{code}.log"

    def start(self, codes: tuple[str, ...] = DELTA_PROVINCES, *, timeout: float = 60) -> None:
        provision(
            self.home,
            base_urls={code: self.url(code) for code in DELTA_PROVINCES},
            now=utcnow(),
        )
        for code in codes:
            log = self.log_path(code).open("ab")
            self.processes[code] = subprocess.Popen(
                [str(BIN / "delta"), "node", "serve", "--region", code],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for code in codes:
            try:
                wait_until_up(f"{self.url(code)}/healthz", self.processes[code], timeout=timeout)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"{exc}\n{self.log(code)[-4000:]}") from None

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log(self, code: str) -> str:
        path = self.log_path(code)
        return path.read_text(errors="replace") if path.exists() else ""

    def cli(self, *args: str, check: bool = True) -> str:
        return delta(*args, env=self.env, check=check)

    def run_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "delta"), *args], env=self.env, capture_output=True, text=True, check=False
        )

    # -- looking inside a node ------------------------------------------------------------

    def db_path(self, code: str) -> Path:
        return self.home / "nodes" / code / "node.db"

    def query(self, code: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db_path(code)}?mode=ro", uri=True) as connection:
            return connection.execute(sql, params).fetchall()

    def audit_record(self, code: str, seq: int) -> dict[str, Any]:
        rows = self.query(
            code,
            "SELECT seq, event, outcome, reason, actor, peer, detail"
            " FROM audit_record WHERE seq = ?",
            seq,
        )
        assert rows, f"no audit record {seq} at {code}"
        keys = ("seq", "event", "outcome", "reason", "actor", "peer", "detail")
        return dict(zip(keys, rows[0], strict=True))

    def last_audit(self, code: str, event: str) -> dict[str, Any]:
        rows = self.query(code, "SELECT max(seq) FROM audit_record WHERE event = ?", event)
        assert rows and rows[0][0], f"no {event} record at {code}"
        return self.audit_record(code, rows[0][0])

    def signing_key(self, code: str) -> SigningKey:
        directory = KeyDirectory(self.home)
        entry = next(e for e in directory.entries(code) if e.status == "current")
        return directory.region_key(code, entry.kid)

    def metadata(self, code: str) -> bytes:
        return httpx.get(f"{self.url(code)}/saml/metadata", timeout=10).content


def new_cluster(home: Path, **env: str) -> Cluster:
    ports = {code: free_port() for code in DELTA_PROVINCES}
    # Every test talks from 127.0.0.1: a per-client refusal limit would make them interfere
    # (tests/interregion/test_audit_flood.py tests the limit with addresses of its own).
    env = {"DELTA_NODE_REFUSAL_LIMIT": "0", **env}
    return Cluster(home=home, env=base_env(home, DELTA_LOG_LEVEL="INFO", **env), ports=ports)
