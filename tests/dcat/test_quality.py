"""Metadata quality in package_show, as a search sort on both engines; on-time update rates."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from datasets import link_check, timeliness
from datasets.models import utcnow
from search.protocol import PUBLIC_LABEL, IndexDoc, SearchQuery
from standards.update_frequency import UpdateFrequency
from tests.dcat.conftest import InProcessPortal
from tests.search.catalog import package as catalog_package
from tests.search.conftest import empty_backend  # noqa: F401  (a fixture, used by name)
from tests.support.processes import BIN


def scores(found: list[dict[str, Any]]) -> list[int]:
    return [p["metadata_quality"]["score"] for p in found]


def test_package_show_scores_the_dataset_with_reasons(sample_portal: InProcessPortal) -> None:
    shown = sample_portal.client.get("/api/3/action/package_show?id=ah-credit-commitments")
    found = shown.json()["result"]["metadata_quality"]
    assert found["max"] == 100 and 0 < found["score"] <= 100
    assert [c["criterion"] for c in found["criteria"]] == [
        "description", "tags", "licence", "temporal", "spatial", "frequency", "timeliness",
        "resources", "schema",
    ]  # fmt: skip
    assert found["score"] == sum(c["points"] for c in found["criteria"])
    assert all(c["message"] and c["message_en"] for c in found["criteria"])


def test_search_sorts_by_quality(sample_portal: InProcessPortal) -> None:
    poor = sample_portal.create(
        name=f"poor-{sample_portal.backend}", owner_org="shanghai-transport"
    )
    best_first = sample_portal.client.get(
        "/api/3/action/package_search", params={"sort": "metadata_quality desc", "rows": 100}
    ).json()["result"]
    assert best_first["sort"] == "metadata_quality desc"
    ranked = scores(best_first["results"])
    assert ranked == sorted(ranked, reverse=True) and len(set(ranked)) > 1
    assert best_first["results"][-1]["name"] == poor["name"]
    worst_first = sample_portal.client.get(
        "/api/3/action/package_search", params={"sort": "metadata_quality asc, name asc"}
    ).json()["result"]
    assert worst_first["results"][0]["name"] == poor["name"]


def _quality_doc(name: str, score: int | None) -> IndexDoc:
    package = catalog_package(name, name, org="sh-eco", region="310000", theme="资源环境",
                              modified="2024-03-01T00:00:00.000000")  # fmt: skip
    if score is not None:
        package["metadata_quality"] = {"score": score, "max": 100}
    return IndexDoc(package=package, permission_labels=[PUBLIC_LABEL])


def test_both_search_engines_sort_by_the_score(empty_backend) -> None:  # noqa: F811
    for name, score in (("q-mid", 60), ("q-top", 95), ("q-low", 20), ("q-none", None)):
        empty_backend.index(_quality_doc(name, score))
    desc = empty_backend.search(SearchQuery(q="", rows=10, sort="metadata_quality desc"))
    assert [p["name"] for p in desc.results] == ["q-top", "q-mid", "q-low", "q-none"]
    asc = empty_backend.search(SearchQuery(q="", rows=10, sort="metadata_quality asc"))
    assert [p["name"] for p in asc.results] == ["q-none", "q-low", "q-mid", "q-top"]


def test_on_time_rate_counts_kept_periods() -> None:
    now = utcnow()
    created = now - timedelta(days=100)
    monthly = [created + timedelta(days=d) for d in (5, 35, 95)]  # kept 3 of 3 months
    record = timeliness.dataset_record("m", UpdateFrequency.MONTHLY, created, monthly,
                                       now=now, window=timedelta(days=365))  # fmt: skip
    assert record is not None and (record.expected, record.kept) == (3, 2) and not record.overdue
    weekly = timeliness.dataset_record("w", UpdateFrequency.WEEKLY, created, [],
                                       now=now, window=timedelta(days=365))  # fmt: skip
    assert weekly is not None and weekly.kept == 0 and weekly.expected == 14 and weekly.overdue
    young = timeliness.dataset_record("y", UpdateFrequency.YEARLY, created, [],
                                      now=now, window=timedelta(days=365))  # fmt: skip
    assert young is None  # owes nothing yet


def _history(portal: InProcessPortal) -> str:
    """An organisation whose daily dataset is ten days old and was updated on three of
    those days (last five days ago), and whose yearly dataset owes nothing yet."""
    from sqlalchemy import update

    from datasets import groups
    from datasets.models import Activity, Package

    name = f"timely-{portal.backend}"
    with portal.portal.unit_of_work() as unit:
        groups.create_group(unit, actor=portal.admin, organization=True,
                            data={"name": name, "title": "按时更新测试"})  # fmt: skip
    daily = portal.create(name=f"{name}-daily", owner_org=name, update_frequency="daily")
    portal.create(name=f"{name}-yearly", owner_org=name, update_frequency="yearly")
    now = utcnow()
    with portal.portal.unit_of_work() as unit:
        unit.session.execute(
            update(Package)
            .where(Package.id == daily["id"])
            .values(metadata_created=now - timedelta(days=10, hours=1))
        )
        unit.session.execute(
            update(Activity).where(Activity.object_id == daily["id"])
            .values(timestamp=now - timedelta(days=10))
        )  # fmt: skip
        for days in (9, 8, 5):
            moment = now - timedelta(days=days, hours=1)
            unit.session.add(
                Activity(object_id=daily["id"], activity_type="changed package",
                         timestamp=moment, data={})
            )  # fmt: skip
    return name


def test_organization_show_and_the_report_command(sample_portal: InProcessPortal) -> None:
    org = _history(sample_portal)
    shown = sample_portal.client.get(f"/api/3/action/organization_show?id={org}").json()
    rate = shown["result"]["update_timeliness"]
    assert rate["window_days"] == 365 and rate["datasets_assessed"] == 1
    assert (rate["expected_updates"], rate["on_time_updates"]) == (10, 4)  # created + 3 updates
    assert rate["rate"] == 0.4
    assert rate["overdue"] == [f"{org}-daily"]
    if sample_portal.backend != "sqlite":
        return  # the command below reads the SQLite home; the action covered PostgreSQL
    settings = sample_portal.portal.settings
    env = {"DELTA_HOME": str(settings.home), "DELTA_ENV": "test", "PATH": "/usr/bin:/bin",
           "DELTA_SECRET_KEY": settings.secret_key.get_secret_value()}  # fmt: skip
    done = subprocess.run([str(BIN / "delta"), "quality", "report"], env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    by_org = {row["organization"]: row for row in rows}
    assert by_org[org]["rate"] == 0.4 and by_org[org]["overdue_count"] == 1
    rated = [row["rate"] for row in rows if row["rate"] is not None]
    assert rated == sorted(rated)  # worst first


class _Links(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(200 if self.path.startswith("/ok") else 404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


def test_link_checks_move_the_resource_score(sample_portal: InProcessPortal) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Links)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        created = sample_portal.create(
            name=f"links-{sample_portal.backend}", owner_org="shanghai-transport",
            resources=[{"url": f"{base}/ok.csv", "format": "CSV", "name": "ok"},
                       {"url": f"{base}/gone.csv", "format": "CSV", "name": "gone"}],
        )  # fmt: skip
        portal = sample_portal.portal
        with portal.sessions() as session:
            targets = [t for t in link_check.link_targets(session) if t.package_id == created["id"]]
        # Loopback is not a public address: not requested unless allowed.
        refused = link_check.check(targets, timeout=5)
        assert [r.ok for r in refused] == [None, None]
        results = link_check.check(targets, timeout=5, allow_private=True)
        with portal.unit_of_work() as unit:
            unit.changed_packages.update(link_check.store(unit.session, results))
    finally:
        server.shutdown()
    shown = sample_portal.client.get(f"/api/3/action/package_show?id={created['id']}").json()
    resources = next(c for c in shown["result"]["metadata_quality"]["criteria"]
                     if c["criterion"] == "resources")  # fmt: skip
    assert resources["points"] == 8 and "gone: unreachable" in resources["message_en"]
    found = sample_portal.client.get(
        "/api/3/action/package_search", params={"q": f"name:{created['name']}"}
    ).json()["result"]["results"][0]
    assert found["metadata_quality"]["score"] == shown["result"]["metadata_quality"]["score"]
