"""Soak: 1,000 cases between two real node processes while both are SIGKILLed and restarted.

The sending node (310000) takes the cases in (``delta demo cases``, a separate process writing
its database), the deciding node (320000) accepts, asks for 补正 and decides them through its
staff API, the window sends the 补正 materials back -- and every few seconds one of the two
nodes is killed outright and started again. Afterwards every case exists once on each side,
every message was applied once and in order, both outboxes are empty and both audit logs
verify. Fast settings (short backoff and lease, EC keys) keep it to about a minute.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from interregion.clock import utcnow
from signing.keystore import KeyDirectory
from tests.interregion.cases_support import cluster_token, pdf_bytes
from tests.interregion.cluster import Cluster, new_cluster
from tests.support.processes import BIN, wait_until_up

pytestmark = pytest.mark.slow
A, B = "310000", "320000"
CASES = 1000
KILLS_EACH = 3
DEADLINE_SECONDS = 240


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    home = tmp_path_factory.mktemp("soak")
    KeyDirectory(home).init_demo(now=utcnow(), kind="ec-p256")  # fast signatures for a soak
    cluster = new_cluster(
        home,
        DELTA_CASE_DELIVERY_POLL_SECONDS="0.1",
        DELTA_CASE_RETRY_BASE_SECONDS="0.1",
        DELTA_CASE_RETRY_MAX_SECONDS="1.0",
        DELTA_CASE_DELIVERY_LEASE_SECONDS="3",
        DELTA_CASE_DELIVERY_BATCH="100",
        DELTA_NODE_EXCHANGE_RATE_PER_MINUTE="100000",
    )
    cluster.env["DELTA_LOG_LEVEL"] = "WARNING"  # a thousand cases' worth of request lines
    try:
        cluster.start((A, B))
        yield cluster
    finally:
        cluster.stop()


def restart(cluster: Cluster, code: str) -> None:
    """SIGKILL the node (no shutdown at all), then start it again on the same port."""
    process = cluster.processes[code]
    process.send_signal(signal.SIGKILL)
    process.wait()
    log = cluster.log_path(code).open("ab")
    cluster.processes[code] = subprocess.Popen(
        [str(BIN / "delta"), "node", "serve", "--region", code],
        env=cluster.env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_until_up(f"{cluster.url(code)}/healthz", cluster.processes[code], timeout=60)


class Staff:
    """Drives one node's staff API, waiting out the node's restarts."""

    def __init__(self, cluster: Cluster, code: str, role: str) -> None:
        self.base = f"{cluster.url(code)}/cases/api"
        self.headers = {"Authorization": f"Bearer {cluster_token(cluster, code, role)}"}
        self.client = httpx.Client(timeout=10)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        try:
            return self.client.request(method, self.base + path, headers=self.headers, **kwargs)
        except httpx.HTTPError:
            return None  # the node is down right now: the caller tries again later

    def numbers(self, status: str) -> list[str]:
        answer = self.call("GET", f"/cases?status={status}")
        if answer is None or answer.status_code != 200:
            return []
        return [c["number"] for c in answer.json()["cases"]]


def wants_correction(number: str) -> bool:
    return sum(map(ord, number)) % 20 == 0  # about one case in twenty


def review(staff: Staff, stop: threading.Event, share: int, of: int) -> None:
    asked: set[str] = set()
    while not stop.is_set():
        did = 0
        for number in staff.numbers("submitted"):
            if sum(map(ord, number)) % of != share:
                continue
            if wants_correction(number) and number not in asked:
                body = {"materials": ["M90"], "note": "身份证明不清晰 / unreadable"}
                answer = staff.call("POST", f"/cases/{number}/correction", json=body)
                if answer is not None and answer.status_code == 200:
                    asked.add(number)
            else:
                staff.call("POST", f"/cases/{number}/accept")
            did += 1
        for number in staff.numbers("accepted"):
            if sum(map(ord, number)) % of != share:
                continue
            outcome = "approved" if sum(map(ord, number)) % 3 else "refused"
            staff.call("POST", f"/cases/{number}/decision", json={"outcome": outcome, "note": ""})
            did += 1
        if not did:
            stop.wait(0.3)


def supplement(staff: Staff, stop: threading.Event) -> None:
    while not stop.is_set():
        numbers = staff.numbers("correction")
        for number in numbers:
            # A fresh scan each time: a second 补正 round must not meet the first round's bytes.
            scan = pdf_bytes(f"{number} {time.time_ns()}")
            files = {"file": ("id.pdf", scan, "application/pdf")}
            staff.call("POST", f"/cases/{number}/materials", data={"material": "M90"}, files=files)
            staff.call("POST", f"/cases/{number}/supplement", json={"note": "已补正"})
        if not numbers:
            stop.wait(0.3)


def chaos(cluster: Cluster, stop: threading.Event, kills: dict[str, int]) -> None:
    rng = random.Random(12)
    # The intake command reads 320000's matter list first: start killing once cases exist.
    while not stop.wait(0.5):
        try:
            if rows(cluster, A, "SELECT count(*) FROM case_file")[0][0]:
                break
        except Exception:  # the table is being created: look again
            pass
    for code in [B, A] * KILLS_EACH:
        if stop.wait(rng.uniform(2.0, 4.0)):
            return
        restart(cluster, code)
        kills[code] += 1


def rows(cluster: Cluster, code: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return cluster.query(code, sql, *params)


def settled(cluster: Cluster) -> bool:
    try:
        for code, side in ((A, "accepting"), (B, "deciding")):
            final = rows(
                cluster,
                code,
                "SELECT count(*) FROM case_file WHERE side = ? AND status IN "
                "('approved', 'refused', 'not-accepted')",
                side,
            )[0][0]
            waiting = rows(
                cluster, code, "SELECT count(*) FROM case_outbox WHERE delivered_at IS NULL"
            )
            if final < CASES or waiting[0][0]:
                return False
    except Exception:  # a database being recovered after a kill: look again
        return False
    return True


def test_a_thousand_cases_survive_sigkills_of_both_nodes(soak: Cluster) -> None:
    started = time.monotonic()
    kills: dict[str, int] = defaultdict(int)
    stop = threading.Event()
    reviewer, clerk = Staff(soak, B, "reviewer"), Staff(soak, A, "clerk")
    creator = subprocess.Popen(
        [str(BIN / "delta"), "demo", "cases", "--region", A, "--count", str(CASES), "--to", B],
        env=soak.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    workers = [
        threading.Thread(target=review, args=(reviewer, stop, 0, 2), daemon=True),
        threading.Thread(target=review, args=(Staff(soak, B, "reviewer"), stop, 1, 2), daemon=True),
        threading.Thread(target=supplement, args=(clerk, stop), daemon=True),
    ]
    killer = threading.Thread(target=chaos, args=(soak, stop, kills), daemon=True)
    for thread in (*workers, killer):
        thread.start()
    _, err = creator.communicate(timeout=DEADLINE_SECONDS)
    assert creator.returncode == 0, err.decode()[-2000:]
    created_after = time.monotonic() - started
    killer.join(timeout=DEADLINE_SECONDS)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not settled(soak) and time.monotonic() < deadline:
        time.sleep(0.5)
    stop.set()
    for thread in workers:
        thread.join(timeout=15)
    elapsed = time.monotonic() - started
    assert settled(soak), (
        f"not settled after {elapsed:.0f} s:\n{soak.log(A)[-3000:]}\n{soak.log(B)[-3000:]}"
    )
    assert kills[A] >= KILLS_EACH and kills[B] >= KILLS_EACH

    # Every case exactly once on each side, in the same final state.
    at_a = dict(rows(soak, A, "SELECT number, status FROM case_file WHERE side = 'accepting'"))
    at_b = dict(rows(soak, B, "SELECT number, status FROM case_file WHERE side = 'deciding'"))
    assert len(at_a) == CASES and at_a == at_b
    # Every message applied once, in order: inboxes mirror the other side's outbox exactly.
    for sender, receiver in ((A, B), (B, A)):
        sent = rows(soak, sender, "SELECT id, case_number, seq, kind FROM case_outbox")
        applied = rows(
            soak,
            receiver,
            "SELECT id, case_number, seq, kind FROM case_inbox WHERE sender = ?",
            sender,
        )
        assert sorted(sent) == sorted(applied), f"{sender} -> {receiver}"
        last_sent = dict(rows(soak, sender, "SELECT number, seq_out FROM case_file"))
        last_applied = dict(rows(soak, receiver, "SELECT number, seq_in FROM case_file"))
        assert last_sent == last_applied
    # The window saw the deciding region's steps once each and in order.
    timeline: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for number, seq, kind in rows(
        soak, A, "SELECT case_number, seq, kind FROM case_event WHERE seq > 0 ORDER BY id"
    ):
        timeline[number].append((seq, kind))
    sent_by_b: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for number, seq, kind in rows(
        soak, B, "SELECT case_number, seq, kind FROM case_outbox ORDER BY seq"
    ):
        sent_by_b[number].append((seq, kind.removeprefix("case.")))
    assert timeline == sent_by_b
    corrected = sum(1 for steps in timeline.values() if steps[0][1] == "correction-requested")
    assert corrected > 10
    # Both audit logs verify after all of it.
    for code in (A, B):
        report = json.loads(soak.cli("audit", "verify", "--region", code))
        assert report["ok"], report
    figures = {
        "cases": CASES,
        "kills": dict(kills),
        "seconds_total": round(elapsed, 1),
        "seconds_to_take_in": round(created_after, 1),
        "corrections": corrected,
        "messages_a_to_b": len(rows(soak, A, "SELECT id FROM case_outbox")),
        "messages_b_to_a": len(rows(soak, B, "SELECT id FROM case_outbox")),
    }
    print(f"\nsoak figures: {json.dumps(figures)}")
    (soak.home / "soak-figures.json").write_text(json.dumps(figures))
