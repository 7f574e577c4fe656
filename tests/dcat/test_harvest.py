"""Harvesting between real portal processes: ours -> ours through the CKAN API and DCAT,
the official DCAT-AP examples from a file, re-runs, changes, deletions and failures.

One source portal (the samples, 10 datasets a catalogue page) and one target portal
(its scheduler polling every half second) serve the whole module; harvests run as
``delta harvest run`` in the target's home, or through the target's CKAN actions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import URIRef

from datasets.harvest import sources
from datasets.policy import Principal
from delta import migrations
from open_portal.runtime import Portal
from standards import rdf_formats
from standards import vocabularies as v
from tests.dcat.harvest_support import (
    KillingProxy,
    examples_catalogue,
    harvest,
    portal_of,
    run_harvest,
    start_source,
    token_for,
)
from tests.support.ckan import Api
from tests.support.postgres import temporary_database
from tests.support.processes import PortalServer, free_port, start_portal

pytestmark = pytest.mark.slow

CONDITIONAL = "sh-public-parking-lots"
CLOSED = ("hefei-gas-pipeline-monitoring", "pudong-flood-control-points")
TRANSPORT_USCC = "11310000DELTA00027"  # shanghai-transport's, in organizations.json


@dataclass
class World:
    source: PortalServer
    source_api: Api
    target: PortalServer
    target_api: Api
    orgs: dict[str, str]
    # The target portal opened in this process too: most harvests run here, as
    # ``delta harvest run`` runs them (the first one goes through the real command).
    portal: Portal

    def add_source(self, name: str, url: str, source_type: str, **extra: Any) -> None:
        with self.portal.unit_of_work() as unit:
            sources.create_source(
                unit.session,
                actor=Principal(user_id="tests", name="tests", sysadmin=True),
                data={"name": name, "url": url, "source_type": source_type,
                      "owner_org": "target-default", **extra},
                allow_files=True,
            )  # fmt: skip

    def public_at_source(self) -> set[str]:
        return set(Api(self.source.url).get("package_list").result)

    def public_at_target(self) -> set[str]:
        return set(Api(self.target.url).get("package_list").result)

    def harvested_from(self, source_name: str, by: str = "name") -> Any:
        """Target datasets harvested from a source, by their original name there
        (``by="uri"``: as a list)."""
        found = self.target_api.get(
            "package_search", q="*:*", rows=1000, include_private="true", include_deleted="true"
        ).result["results"]
        mine = [p for p in found if p.get("harvest") and p["harvest"]["source_name"] == source_name]
        if by == "uri":
            return mine
        return {p["harvest"]["original_name"]: p for p in mine}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    source, source_api = start_source(
        tmp_path_factory.mktemp("harvest-source"),
        samples=True,
        DELTA_DCAT_DATASETS_PER_PAGE="10",
    )
    target = start_portal(tmp_path_factory.mktemp("harvest-target"),
                          DELTA_HARVEST_POLL_SECONDS="0.5")  # fmt: skip
    try:
        with portal_of(target) as portal:
            api = Api(target.url, token_for(portal, "boss", sysadmin=True))
            orgs = {}
            for name, title, extra in (
                ("target-default", "目标平台默认机构", {}),
                ("hu-transport-here", "上海交通（本平台）", {"uscc": TRANSPORT_USCC}),
                ("zj-stats-here", "浙江统计（本平台）", {}),
            ):
                created = api.post("organization_create", {"name": name, "title": title, **extra})
                orgs[name] = created.result["id"]
            yield World(source, source_api, target, api, orgs, portal)
    finally:
        target.stop()
        source.stop()


def test_ckan_harvest_brings_every_public_dataset_once(world: World) -> None:
    world.target.cli(
        "harvest", "source", "add", "delta-source", "--type", "ckan", "--url", world.source.url,
        "--org", "target-default", "--title", "样例平台",
        "--config", '{"rows": 10, "organizations": {"zhejiang-statistics": "zj-stats-here"}}',
    )  # fmt: skip
    code, job = run_harvest(world.target, "delta-source")
    public = world.public_at_source()
    assert code == 0 and job["status"] == "Finished", job
    assert job["stats"]["added"] == len(public) == 35
    harvested = world.harvested_from("delta-source")
    assert set(harvested) == public and not set(CLOSED) & set(harvested)
    # Provenance: where from, the original id and URI, when.
    sample = harvested["ah-credit-commitments"]
    original = world.source_api.get("package_show", id="ah-credit-commitments").result
    assert sample["harvest"]["original_id"] == original["id"]
    assert sample["harvest"]["original_uri"] == f"{world.source.url}/dataset/{original['id']}"
    assert sample["harvest"]["harvested_at"] and sample["harvest"]["source_title"] == "样例平台"
    assert sample["region_code"] == "340000" and sample["theme"] == "信用服务"
    assert sample["resources"][0]["size"] == original["resources"][0]["size"]
    # Organisations: the same USCC, the source's mapping, else the source's own.
    owners = {name: p["owner_org"] for name, p in harvested.items()}
    assert owners[CONDITIONAL] == world.orgs["hu-transport-here"]
    assert owners["zj-resident-population-by-city"] == world.orgs["zj-stats-here"]
    assert owners["ah-credit-commitments"] == world.orgs["target-default"]


def test_open_classes_survive_the_harvest(world: World) -> None:
    copy = world.harvested_from("delta-source")[CONDITIONAL]
    assert copy["open_class"] == "conditional"
    assert all(r["access_requires_application"] for r in copy["resources"])
    graph = rdf_formats.parse(
        httpx.get(f"{world.target.url}/dataset/{copy['name']}.ttl").content, rdf_formats.TURTLE
    )
    dataset = URIRef(f"{world.target.url}/dataset/{copy['id']}")
    assert graph.value(dataset, v.DCTERMS.accessRights) == v.EU_ACCESS_RIGHT.RESTRICTED
    assert not list(graph.triples((None, v.DCAT.downloadURL, None)))
    for name in CLOSED:
        assert not world.target_api.get("package_search", q=f"name:{name}").result["count"]


def test_second_run_changes_nothing(world: World) -> None:
    before = world.harvested_from("delta-source")
    activity = world.target_api.get(
        "package_activity_list", id=before["sh-air-quality-daily"]["id"]
    )
    code, job = run_harvest(world.target, "delta-source")
    assert code == 0 and job["stats"]["added"] == job["stats"]["updated"] == 0
    assert job["stats"]["gathered"] < 35  # incremental: only what changed since last time
    after = world.harvested_from("delta-source")
    assert {n: p["metadata_modified"] for n, p in after.items()} == {
        n: p["metadata_modified"] for n, p in before.items()
    }
    again = world.target_api.get("package_activity_list", id=before["sh-air-quality-daily"]["id"])
    assert len(again.result) == len(activity.result)


def test_changes_and_deletions_at_the_source_arrive(world: World) -> None:
    api = world.source_api
    assert api.post(
        "package_patch", {"id": "sh-air-quality-daily", "title": "空气质量日报（新）"}
    ).ok
    assert api.post("package_delete", {"id": "zj-gdp-by-city"}).ok
    assert api.post("package_patch", {"id": "hangzhou-libraries-museums", "private": True}).ok
    job = harvest(world.portal, "delta-source")
    assert job["status"] == "Finished", job
    assert job["stats"]["updated"] == 1 and job["stats"]["deleted"] == 2, job
    harvested = world.harvested_from("delta-source")
    assert harvested["sh-air-quality-daily"]["title"] == "空气质量日报（新）"
    public = world.public_at_target()
    for gone in ("zj-gdp-by-city", "hangzhou-libraries-museums"):
        assert harvested[gone]["state"] == "deleted"
        assert harvested[gone]["harvest"]["state"] == "withdrawn"
        assert harvested[gone]["name"] not in public


def _wait_for_job(api: Api, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get("harvest_job_show", id=job_id).result
        if job["status"] in ("Finished", "Failed"):
            return dict(job)
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not end within {timeout}s")


def test_dcat_harvest_of_the_portal_catalogue_through_the_actions(world: World) -> None:
    api = world.target_api
    source = api.post("harvest_source_create", {
        "name": "delta-dcat", "url": f"{world.source.url}/catalog.ttl", "source_type": "dcat",
        "owner_org": "target-default",
    }).result  # fmt: skip
    queued = api.post("harvest_job_create", {"source_id": source["id"]}).result
    assert queued["status"] == "New"
    job = _wait_for_job(api, queued["id"])  # the target's scheduler thread runs it
    public = world.public_at_source()
    assert job["status"] == "Finished" and job["pages"] == 4, job
    assert job["stats"]["added"] == len(public)
    harvested = world.harvested_from("delta-dcat")
    assert set(harvested) == public
    copy = harvested["ah-credit-commitments"]
    assert copy["harvest"]["original_uri"].startswith(f"{world.source.url}/dataset/")
    assert copy["title_en"] and copy["region_code"] == "340000" and copy["license_id"]
    assert copy["resources"][0]["hash"] and copy["resources"][0]["size"]
    assert harvested[CONDITIONAL]["open_class"] == "conditional"
    again = harvest(world.portal, "delta-dcat")
    assert again["stats"]["not modified"] == len(public), again
    assert world.source_api.post("package_delete", {"id": "ah-credit-commitments"}).ok
    after = harvest(world.portal, "delta-dcat")
    assert after["stats"]["deleted"] == 1, after
    assert after["stats"]["not modified"] == len(public) - 1, after
    listing = api.get("harvest_job_list", source_id="delta-dcat").result
    assert [j["status"] for j in listing] == ["Finished"] * 3


BROKEN = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://data.gov.gr/id/dataset/BrokenDates> a dcat:Dataset ;
    dct:title "Broken dates"@en ;
    dct:temporal [ dcat:startDate "2024-99-99" ] .
[] a dcat:Dataset ; dct:description "no title, no identity"@en .
"""


def test_official_examples_from_a_file_with_broken_records(world: World, tmp_path: Path) -> None:
    catalogue = examples_catalogue(tmp_path / "examples.ttl", extra_turtle=BROKEN)
    world.add_source("dcat-ap-examples", str(catalogue), "dcat")
    job = harvest(world.portal, "dcat-ap-examples")
    assert job["status"] == "Finished", job
    assert job["stats"]["added"] == 7 and job["stats"]["errored"] == 2, job
    messages = " ".join(e["message"] for e in job["object_error_summary"])
    assert "temporal_start" in messages and "without a URI" in messages
    by_uri = {
        p["harvest"]["original_uri"]: p for p in world.harvested_from("dcat-ap-examples", by="uri")
    }
    assert len(by_uri) == 7
    bees = by_uri["https://data.gov.gr/id/dataset/BeePopulation2023"]
    # Two example files title it differently; of several titles the first (sorted) is taken.
    assert bees["title"] == "Bee population 2023"
    assert len(bees["resources"]) == 2
    # One example spells the same dataset with http://: a second dataset, named apart.
    other = by_uri["http://data.gov.gr/id/dataset/BeePopulation2023"]
    assert {bees["name"], other["name"]} == {"beepopulation2023", "beepopulation2023-2"}
    again = harvest(world.portal, "dcat-ap-examples")
    assert again["stats"]["not modified"] == 7 and again["stats"]["added"] == 0, again


def test_unreachable_source_fails_the_job_not_the_portal(world: World) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    world.add_source("nobody-home", dead, "ckan")
    code, job = run_harvest(world.target, "nobody-home")  # the command, for its exit code
    assert code == 1 and job["status"] == "Failed"
    assert dead in job["gather_error_summary"][0]["message"]
    assert Api(world.target.url).get("site_read").result is True


def test_source_going_down_mid_run_leaves_a_failed_job_and_nothing_half_written(
    world: World, tmp_path: Path
) -> None:
    source, api = start_source(tmp_path / "fragile", samples=False)
    try:
        assert api.post("organization_create", {"name": "fragile-org", "title": "易碎"}).ok
        for number in range(12):
            assert api.post("package_create", {
                "name": f"fragile-{number}", "title": f"数据{number}", "owner_org": "fragile-org",
                "resources": [{"url": f"https://files.example/{number}.csv", "format": "CSV"}],
            }).ok  # fmt: skip
        with KillingProxy(source.url, when="package_search", after=1, kill=source.kill) as proxy:
            world.add_source("fragile", proxy.url, "ckan", config={"rows": 5})
            before = world.public_at_target()
            job = harvest(world.portal, "fragile")
            assert proxy.killed
    finally:
        source.stop()
    assert job["status"] == "Failed", job
    assert "502" in job["gather_error_summary"][0]["message"]
    assert job["stats"]["added"] == 0
    assert world.public_at_target() == before
    assert not world.harvested_from("fragile")
    listed = world.target_api.get("harvest_job_report", id=job["id"]).result
    assert listed["gather_errors"] and listed["job"]["status"] == "Failed"


def test_scheduler_runs_a_source_on_its_interval(world: World) -> None:
    api = world.target_api
    source = api.post("harvest_source_create", {
        "name": "always", "url": world.source.url, "source_type": "ckan",
        "owner_org": "target-default", "frequency": "always",
    }).result  # fmt: skip
    assert source["frequency"] == "ALWAYS" and source["next_run"]
    deadline = time.monotonic() + 60
    finished: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(finished) < 2:
        jobs = api.get("harvest_job_list", source_id="always").result
        finished = [j for j in jobs if j["status"] == "Finished"]
        time.sleep(0.3)
    assert api.post("harvest_source_patch", {"id": "always", "frequency": "MANUAL"}).ok
    assert len(finished) >= 2  # it ran, and ran again on its own
    latest = finished[0]["stats"]
    assert latest["added"] == 0 and latest["updated"] == 0  # the second run: nothing new


def test_harvest_actions_are_for_sysadmins(world: World) -> None:
    world.target.cli("user", "create", "plain", "--email", "plain@example.org",
                     "--password", "correct-horse-battery")  # fmt: skip
    plain = Api(
        world.target.url, world.target.cli("token", "create", "plain", "--name", "t").strip()
    )
    for action, data in (
        ("harvest_source_list", {}),
        ("harvest_source_create", {"name": "x", "url": "https://x.example", "source_type": "ckan",
                                   "owner_org": "target-default"}),
        ("harvest_job_create", {"source_id": "delta-source"}),
    ):  # fmt: skip
        answer = plain.post(action, data)
        assert answer.status == 403 and answer.error_type == "Authorization Error", action
    anonymous = Api(world.target.url).post("harvest_source_list")
    assert anonymous.status == 403
    bad = world.target_api.post("harvest_source_create", {
        "name": "files", "url": "/etc/passwd", "source_type": "dcat", "owner_org": "target-default",
    })  # fmt: skip
    assert bad.status == 409 and "url" in bad.error


@pytest.mark.postgres
def test_ckan_harvest_into_postgresql(world: World, tmp_path: Path) -> None:
    """The same harvest with PostgreSQL under the target (savepoints, the partial index)."""
    from datasets import groups

    admin = Principal(user_id="tests", name="tests", sysadmin=True)
    with temporary_database() as database_url:
        migrations.upgrade(database_url, package="open_portal")
        with portal_of(world.target, DELTA_HOME=tmp_path, DELTA_DATABASE_URL=database_url) as pg:
            with pg.unit_of_work() as unit:
                groups.create_group(unit, actor=admin, organization=True,
                                    data={"name": "pg-org", "title": "PG"})  # fmt: skip
                sources.create_source(unit.session, actor=admin, data={
                    "name": "pg-source", "url": world.source.url, "source_type": "ckan",
                    "owner_org": "pg-org",
                })  # fmt: skip
            first = harvest(pg, "pg-source")
            second = harvest(pg, "pg-source")
    public = len(world.public_at_source())
    assert first["status"] == "Finished" and first["stats"]["added"] == public, first
    assert second["stats"]["added"] == second["stats"]["updated"] == 0, second
