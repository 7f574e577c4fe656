"""The command line as scripts use it: results on stdout, problems on stderr, exit codes."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import BIN, base_env, delta, free_base_port

SAMPLES = Path(__file__).resolve().parents[2] / "datasets" / "samples"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return base_env(tmp_path / "home")


def test_db_upgrade_is_idempotent(env: dict[str, str]) -> None:
    assert delta("db", "upgrade", env=env).strip() == "ok"
    assert delta("db", "upgrade", env=env).strip() == "ok"


def test_user_and_token_commands(env: dict[str, str]) -> None:
    delta("db", "upgrade", env=env)  # they refuse to make a database of their own
    user_id = delta(
        "user", "create", "alice", "--email", "a@example.org", "--password", "s3cret-pass", env=env
    )
    assert re.fullmatch(r"[0-9a-f-]{36}\n", user_id)
    token = delta("token", "create", "alice", "--name", "ci", env=env).strip()
    assert token.startswith("dlt_")
    assert len(token) > 40
    listed = [json.loads(line) for line in delta("token", "list", "alice", env=env).splitlines()]
    assert [t["name"] for t in listed] == ["ci"]
    assert token not in json.dumps(listed)
    assert delta("token", "revoke", "alice", "--name", "ci", env=env).strip() == "1"
    duplicate = subprocess.run(
        [
            str(BIN / "delta"),
            "user",
            "create",
            "alice",
            "--email",
            "x@example.org",
            "--password",
            "another-pw",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert duplicate.returncode == 1
    assert duplicate.stdout == ""
    assert "not available" in duplicate.stderr
    short = subprocess.run(
        [
            str(BIN / "delta"),
            "user",
            "create",
            "bob",
            "--email",
            "b@example.org",
            "--password",
            "short",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert short.returncode == 1
    assert "password" in short.stderr
    missing = subprocess.run(
        [str(BIN / "delta"), "token", "create", "nobody", "--name", "x"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stdout == ""


def test_demo_secret_refused_outside_development(env: dict[str, str]) -> None:
    production = {**env, "DELTA_ENV": "production"}
    production.pop("DELTA_SECRET_KEY")
    done = subprocess.run(
        [str(BIN / "delta"), "db", "upgrade"],
        env=production,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "demo secret" in done.stderr


@pytest.mark.skipif(
    not (SAMPLES / "organizations.json").exists(), reason="sample catalog not generated"
)
def test_demo_load_is_idempotent(env: dict[str, str]) -> None:
    with_password = ("--admin-password", "demo-admin-password")
    first = json.loads(delta("demo", "load", *with_password, env=env))
    packages = sorted(p.name for p in SAMPLES.iterdir() if (p / "datapackage.json").exists())
    assert first["datasets"] == len(packages) >= 30
    assert first["groups"] == 12
    second = json.loads(delta("demo", "load", *with_password, env=env))
    assert second == {"organizations": 0, "groups": 0, "datasets": 0, "skipped": len(packages)}


# `delta demo serve`'s first start, URLs and token: tests/portal/test_new_user_path.py


def test_demo_serve_names_a_busy_port_before_starting_anything(tmp_path: Path) -> None:
    """Five ports in a row: one already taken is a one-line error, not a node dying
    halfway through start-up after the catalogue was loaded."""
    home = tmp_path / "home"
    base = free_base_port()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base + 2))
        squatter.listen()
        finished = subprocess.run(
            [str(BIN / "delta"), "demo", "serve", "--base-port", str(base)],
            env={**base_env(home), "DELTA_ENV": "development"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert finished.returncode == 1
    assert finished.stdout == ""
    assert f"port {base + 2} on 127.0.0.1 is in use" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert not any(home.glob("**/*.db")), "nothing is created before the ports are known"
