"""The window-case commands, as the issue spells them, against the real nodes' databases."""

from __future__ import annotations

import json

import pyotp

from interregion.staff.demo import demo_staff
from tests.interregion.cluster import Cluster

A = "310000"


def test_matter_list_prints_the_regions_matters(cluster: Cluster) -> None:
    matters = json.loads(cluster.cli("matter", "list", "--region", "320000"))
    assert len(matters) >= 30
    first = matters[0]
    for key in ("code", "name", "name_en", "deciding_department", "materials", "time_limit_days"):
        assert key in first
    assert first["deciding_department"]["name"].startswith("江苏省")
    wrong = cluster.run_cli("matter", "list", "--region", "110000")
    assert wrong.returncode == 1 and "unknown region" in wrong.stderr


def test_demo_staff_prints_username_password_role_window(cluster: Cluster) -> None:
    listed = json.loads(cluster.cli("demo", "staff", "--region", A))
    assert {s["role"] for s in listed} == {"clerk", "reviewer", "supervisor"}
    for entry in listed:
        assert {"username", "password", "role", "window"} <= set(entry)
    assert listed == [s.as_json() for s in demo_staff(A)]


def test_staff_create_list_disable(cluster: Cluster) -> None:
    made = json.loads(cluster.cli(
        "staff", "create", "--region", A, "--username", "putuo-clerk-cli", "--role", "clerk",
        "--window", "310107-ZC01", "--name", "普陀窗口",
    ))  # fmt: skip
    assert made["username"] == "putuo-clerk-cli" and len(made["password"]) >= 12
    assert pyotp.TOTP(made["totp_secret"]).now().isdigit()
    assert made["totp_uri"].startswith("otpauth://totp/")
    listed = {s["username"]: s for s in json.loads(cluster.cli("staff", "list", "--region", A))}
    assert not listed["putuo-clerk-cli"]["disabled"] and "password" not in listed["putuo-clerk-cli"]
    disabled = json.loads(cluster.cli("staff", "disable", "--region", A, "--username",
                                      "putuo-clerk-cli"))  # fmt: skip
    assert disabled["disabled"] is True
    assert cluster.last_audit(A, "staff.disabled")["actor"] == "cli"


def test_case_outbox_prints_the_undelivered_messages(cluster: Cluster) -> None:
    body = json.loads(cluster.cli("case", "outbox", "--region", A))
    assert body["region"] == A and {"undelivered", "stuck", "messages"} <= set(body)
    assert isinstance(body["messages"], list)
