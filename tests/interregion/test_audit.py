"""The audit log: append-only, hash-chained, signed; ``delta audit verify`` finds any change,
deletion or reordering; full ID numbers never appear in audit records or logs."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from interregion.audit.service import record_hash
from interregion.identity.demo_people import demo_people
from standards.regions import DELTA_PROVINCES
from tests.interregion.browser import Browser
from tests.interregion.cluster import Cluster, new_cluster
from tests.interregion.flows import full_login, person
from tests.support.processes import BIN, base_env, delta

CODE = "320000"
CITIZEN_ID = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def busy_cluster(cluster: Cluster) -> Cluster:
    """Make sure every node has some history: logins in both directions."""
    for sp, home in (("310000", CODE), (CODE, "330000"), ("340000", CODE)):
        browser = Browser()  # a new person each time: no single sign-on shortcut
        try:
            full_login(browser, cluster, sp=sp, who=person(home, "resident"), home=home,
                       share_full_id=True)  # fmt: skip
        finally:
            browser.close()
    return cluster


def verify(home: Path, code: str = CODE) -> tuple[int, dict, str]:
    result = subprocess.run(
        [str(BIN / "delta"), "audit", "verify", "--region", code],
        env=base_env(home), capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    return result.returncode, json.loads(result.stdout or "{}"), result.stderr


@pytest.mark.parametrize("code", DELTA_PROVINCES)
def test_the_live_chains_verify(busy_cluster: Cluster, code: str) -> None:
    returncode, report, stderr = verify(busy_cluster.home, code)
    assert returncode == 0, stderr
    assert report["ok"] is True and report["records"] > 0


def copy_of(cluster: Cluster, target: Path) -> Path:
    """A consistent copy of node 320000's state and the keys (the live node keeps running)."""
    shutil.copytree(cluster.home / "keys", target / "keys")
    node = target / "nodes" / CODE
    node.mkdir(parents=True)
    shutil.copy(cluster.home / "nodes" / CODE / "audit.head", node / "audit.head")
    with (
        sqlite3.connect(cluster.db_path(CODE)) as source,
        sqlite3.connect(node / "node.db") as copy,
    ):
        source.backup(copy)
    return target


def tamper(home: Path, *statements: str) -> None:
    with sqlite3.connect(home / "nodes" / CODE / "node.db") as db:
        db.execute("DROP TRIGGER audit_record_no_update")  # the attacker owns the database
        db.execute("DROP TRIGGER audit_record_no_delete")
        for statement in statements:
            db.execute(statement)


def rechain_from(home: Path, seq: int) -> None:
    """Change record ``seq`` and recompute every hash after it, as an attacker without the
    node's private key would have to: the signatures then no longer match."""
    with sqlite3.connect(home / "nodes" / CODE / "node.db") as db:
        db.execute("DROP TRIGGER audit_record_no_update")
        rows = db.execute(
            "SELECT seq, at, event, outcome, reason, actor, peer, detail, prev_hash"
            " FROM audit_record WHERE seq >= ? ORDER BY seq", (seq - 1,),
        ).fetchall()  # fmt: skip
        previous = rows[0][8] if rows[0][0] == seq else None
        for row in rows:
            number, at, event, outcome, reason, actor, peer, detail, _ = row
            if number == seq - 1:
                previous = db.execute(
                    "SELECT hash FROM audit_record WHERE seq = ?", (number,)
                ).fetchone()[0]
                continue
            if number == seq:
                actor = "someone-else"
            fields = {
                "seq": number, "at": _iso(at), "event": event, "outcome": outcome,
                "reason": reason, "actor": actor, "peer": peer, "detail": json.loads(detail),
                "prev_hash": previous,
            }  # fmt: skip
            digest = record_hash(fields)
            db.execute(
                "UPDATE audit_record SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                (actor, previous, digest, number),
            )
            previous = digest


def _iso(stored: str) -> str:
    moment = datetime.fromisoformat(stored)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def last_seq(home: Path) -> int:
    with sqlite3.connect(home / "nodes" / CODE / "node.db") as db:
        return int(db.execute("SELECT max(seq) FROM audit_record").fetchone()[0])


SCENARIOS: dict[str, Callable[[Path], int]] = {
    "changed": lambda h: (
        tamper(h, "UPDATE audit_record SET reason = 'nothing-to-see' WHERE seq = 3"),
        3,
    )[1],
    "deleted": lambda h: (tamper(h, "DELETE FROM audit_record WHERE seq = 3"), 3)[1],
    "reordered": lambda h: (
        tamper(
            h,
            "UPDATE audit_record SET seq = -1 WHERE seq = 3",
            "UPDATE audit_record SET seq = 3 WHERE seq = 4",
            "UPDATE audit_record SET seq = 4 WHERE seq = -1",
        ),
        3,
    )[1],
    "rechained-without-the-key": lambda h: (rechain_from(h, 3), 3)[1],
    "truncated": lambda h: (
        (n := last_seq(h)),
        tamper(h, f"DELETE FROM audit_record WHERE seq = {n}"),
        n,
    )[2],
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_verify_finds_the_first_bad_record(
    busy_cluster: Cluster, tmp_path: Path, scenario: str
) -> None:
    home = copy_of(busy_cluster, tmp_path)
    assert verify(home)[0] == 0
    first_bad = SCENARIOS[scenario](home)
    returncode, report, stderr = verify(home)
    assert returncode == 1
    assert report["ok"] is False and report["first_bad"] == first_bad, report
    assert f"audit record {first_bad}" in stderr


def test_the_database_refuses_changes_and_deletions(busy_cluster: Cluster, tmp_path: Path) -> None:
    home = copy_of(busy_cluster, tmp_path)
    with sqlite3.connect(home / "nodes" / CODE / "node.db") as db:
        for statement in (
            "UPDATE audit_record SET reason = 'x' WHERE seq = 1",
            "DELETE FROM audit_record WHERE seq = 1",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(statement)


def test_no_full_id_number_in_audit_records_or_logs(busy_cluster: Cluster) -> None:
    ids = {p.citizen_id for code in DELTA_PROVINCES for p in demo_people(code)}
    for code in DELTA_PROVINCES:
        rows = busy_cluster.query(code, "SELECT * FROM audit_record")
        text = json.dumps(rows, ensure_ascii=False)
        assert not any(number in text for number in ids), code
        assert not CITIZEN_ID.search(text.replace('"', " ")), code
        log = busy_cluster.log(code)
        assert log, f"node {code} wrote no log"
        assert not any(number in log for number in ids), code
        assert not CITIZEN_ID.search(log), code


def test_audit_verify_usage_errors(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    assert "unknown region" in _stderr(env, "999999")
    assert "never run" in _stderr(env, "310000")


def _stderr(env: dict[str, str], region: str) -> str:
    try:
        delta("audit", "verify", "--region", region, env=env)
    except AssertionError as failure:
        return str(failure)
    raise AssertionError("expected a failure")


@pytest.fixture(scope="module")
def own_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A node whose database this module may tamper with while it runs."""
    running = new_cluster(tmp_path_factory.mktemp("audit-node"))
    try:
        running.start((CODE,))
        yield running
    finally:
        running.stop()


def audited_request(node: Cluster) -> None:
    """Any request that writes an audit record (a login handle that does not exist)."""
    assert httpx.get(f"{node.url(CODE)}/idp/login?r=nothing", timeout=10).status_code == 404


def test_truncation_stays_evident_after_the_node_appends_again(own_node: Cluster) -> None:
    """Deleting the newest records must not be healed by the next record the node writes:
    the node never moves its head file past records it can no longer find."""
    for _ in range(3):
        audited_request(own_node)
    assert verify(own_node.home)[0] == 0
    newest = last_seq(own_node.home)
    tamper(own_node.home, f"DELETE FROM audit_record WHERE seq = {newest}")
    for _ in range(2):
        audited_request(own_node)  # the node carries on, chaining from record newest - 1
    returncode, report, stderr = verify(own_node.home)
    assert returncode == 1, report
    assert report["first_bad"] == newest and f"audit record {newest}" in stderr


def test_an_unreadable_head_file_is_reported(busy_cluster: Cluster, tmp_path: Path) -> None:
    home = copy_of(busy_cluster, tmp_path)
    (home / "nodes" / CODE / "audit.head").write_text("{not json")
    returncode, _, stderr = verify(home)
    assert returncode == 1 and "audit.head" in stderr and "Traceback" not in stderr
