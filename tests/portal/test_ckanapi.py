"""The real ``ckanapi`` client, unchanged, against a real server process."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ckanapi
import pytest

from loadtests.search_quality import corpus_dir
from tests.portal.conftest import Deployment
from tests.support.processes import BIN, PortalServer, start_portal

CORPUS = corpus_dir()
FIRST_CLASS = ("region_code", "open_class", "update_frequency", "theme", "title_en", "notes_en")
# Values the server sets itself; they legitimately differ between two portals.
VOLATILE = {"metadata_created", "metadata_modified", "created", "creator_user_id", "last_modified"}
# The whole corpus goes in once per backend; the reload and the second portal take every
# tenth dumped dataset (200 of 1,999, every organisation and open class among them):
# what they test is the behaviour of a load, not its size (loadtests/es_load_bench times that).
SLICE_STEP = 10


def ckanapi_cli(*args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    # ckanapi starts its worker processes as plain `ckanapi`, found on PATH.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(BIN / "ckanapi"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def load(kind: str, source: Path, url: str, token: str) -> None:
    done = ckanapi_cli("load", kind, "-I", str(source), "-r", url, "-a", token, "-p", "3", "-q")
    assert done.returncode == 0, done.stderr[-3000:]


def dump_datasets(url: str, token: str, out: Path) -> list[dict[str, Any]]:
    done = ckanapi_cli(
        "dump",
        "datasets",
        "--all",
        "--include-private",
        "-r",
        url,
        "-a",
        token,
        "-O",
        str(out),
        "-p",
        "3",
        "-q",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return read_jsonl(out)


@pytest.fixture(scope="module")
def loaded(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The search corpus (519 organisations, 1,999 datasets) loaded with `ckanapi load`."""
    token = deployment.tokens["sysadmin"]
    load("organizations", CORPUS / "organizations.jsonl", deployment.url, token)
    load("datasets", CORPUS / "datasets.jsonl", deployment.url, token)
    out = tmp_path_factory.mktemp("dump") / "datasets.jsonl"
    dump = dump_datasets(deployment.url, token, out)
    part = sorted(dump, key=lambda record: record["name"])[::SLICE_STEP]
    part_path = out.with_name("part.jsonl")
    part_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), "utf-8")
    return {"dump": dump, "part": part, "part_path": part_path}


def normalised_source(record: dict[str, Any]) -> dict[str, Any]:
    extras = {e["key"]: e["value"] for e in record.get("extras", [])}
    return {
        "name": record["name"],
        "title": record["title"],
        "notes": record["notes"],
        "organization": record["owner_org"],
        "license_id": record["license_id"],
        "private": record["private"],
        "tags": sorted(t["name"] for t in record["tags"]),
        "extras": sorted((k, v) for k, v in extras.items() if k not in FIRST_CLASS),
        "resources": [
            (r["name"], r["format"], r["url"], r["description"]) for r in record["resources"]
        ],
        **{key: extras.get(key) for key in FIRST_CLASS},
    }


def normalised_dump(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": record["name"],
        "title": record["title"],
        "notes": record["notes"],
        "organization": record["organization"]["name"],
        "license_id": record["license_id"],
        "private": record["private"],
        "tags": sorted(t["name"] for t in record["tags"]),
        "extras": sorted((e["key"], e["value"]) for e in record["extras"]),
        "resources": [
            (r["name"], r["format"], r["url"], r["description"]) for r in record["resources"]
        ],
        **{key: record.get(key) for key in FIRST_CLASS},
    }


def test_dump_round_trips_the_corpus(loaded: dict[str, Any]) -> None:
    source = {
        json.loads(line)["name"]: json.loads(line) for line in (CORPUS / "datasets.jsonl").open()
    }
    dumped = {record["name"]: record for record in loaded["dump"]}
    assert set(source) <= set(dumped)
    for name, record in source.items():
        assert normalised_dump(dumped[name]) == normalised_source(record), name


def test_loading_again_updates_in_place(deployment: Deployment, loaded: dict[str, Any]) -> None:
    """A second `ckanapi load` finds every record and updates it: no duplicates, no errors."""
    before = deployment.api().post("package_list", {}).result
    load("datasets", loaded["part_path"], deployment.url, deployment.tokens["sysadmin"])
    assert deployment.api().post("package_list", {}).result == before
    for record in loaded["part"][:20]:
        shown = deployment.api("sysadmin").post("package_show", {"id": record["id"]}).result
        assert strip_volatile(shown) == strip_volatile(record), record["name"]


def strip_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        # Tags are found or created by name, so their ids are each portal's own.
        volatile = VOLATILE | ({"id"} if "vocabulary_id" in value else set())
        return {k: strip_volatile(v) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [strip_volatile(v) for v in value]
    return value


@pytest.fixture(scope="module")
def second_portal(
    deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PortalServer]:
    home = tmp_path_factory.mktemp("second")
    from tests.support.postgres import temporary_database

    if deployment.backend == "postgresql":
        with temporary_database() as url:
            server = start_portal(home, database_url=url)
            yield server
            server.stop()
    else:
        server = start_portal(home)
        yield server
        server.stop()


def test_dump_loads_into_another_portal_identically(
    deployment: Deployment, loaded: dict[str, Any], second_portal: PortalServer, tmp_path: Path
) -> None:
    second_portal.cli(
        "user",
        "create",
        "loader",
        "--email",
        "l@example.org",
        "--password",
        "loader-password",
        "--sysadmin",
    )
    token = second_portal.cli("token", "create", "loader", "--name", "load").strip()
    orgs = tmp_path / "orgs.jsonl"
    done = ckanapi_cli(
        "dump",
        "organizations",
        "--all",
        "-r",
        deployment.url,
        "-a",
        deployment.tokens["sysadmin"],
        "-O",
        str(orgs),
        "-q",
    )
    assert done.returncode == 0, done.stderr
    needed = {record["organization"]["name"] for record in loaded["part"]}
    orgs.write_text(
        "".join(line + "\n" for line in orgs.read_text("utf-8").splitlines()
                if line.strip() and json.loads(line)["name"] in needed),
        "utf-8",
    )  # fmt: skip
    load("organizations", orgs, second_portal.url, token)
    load("datasets", loaded["part_path"], second_portal.url, token)
    again = dump_datasets(second_portal.url, token, tmp_path / "again.jsonl")
    first = {r["id"]: strip_volatile(r) for r in loaded["part"]}
    second = {r["id"]: strip_volatile(r) for r in again}
    assert first.keys() == second.keys()
    for dataset_id, record in first.items():
        expected = json.loads(json.dumps(record).replace(deployment.url, second_portal.url))
        assert second[dataset_id] == expected, dataset_id


def test_cli_package_search(deployment: Deployment, loaded: dict[str, Any]) -> None:
    done = ckanapi_cli("action", "package_search", "q=空气质量", "rows=5", "-r", deployment.url)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["count"] > 0
    assert len(result["results"]) == 5
    assert all(not r["private"] for r in result["results"])


def test_remote_ckan_errors(deployment: Deployment) -> None:
    anonymous = ckanapi.RemoteCKAN(deployment.url)
    editor = ckanapi.RemoteCKAN(deployment.url, apikey=deployment.tokens["editor"])
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_create(name="anon-create", owner_org="perm-org")
    with pytest.raises(ckanapi.ValidationError) as invalid:
        editor.action.package_create(name="Not Valid", owner_org="perm-org")
    assert "name" in invalid.value.error_dict
    with pytest.raises(ckanapi.NotAuthorized):
        editor.action.package_create(name="elsewhere", owner_org="other-org")
    with pytest.raises(ckanapi.SearchQueryError):
        anonymous.action.package_search(q='title:"unbalanced')
    with pytest.raises(ckanapi.CKANAPIError):
        anonymous.call_action("no_such_action")


def test_remote_ckan_round_trip_with_upload(deployment: Deployment, tmp_path: Path) -> None:
    editor = ckanapi.RemoteCKAN(deployment.url, apikey=deployment.tokens["editor"])
    name = deployment.new_name("upload")
    created = editor.action.package_create(
        name=name,
        title="上传测试",
        owner_org="perm-org",
        extras=[{"key": "region_code", "value": "310104"}, {"key": "source", "value": "test"}],
    )
    assert created["region_code"] == "310104"
    assert created["extras"] == [{"key": "source", "value": "test"}]
    data = tmp_path / "停车场.csv"
    data.write_text("编号,名称\n1,徐家汇停车场\n", encoding="utf-8")
    with data.open("rb") as stream:
        resource = editor.call_action(
            "resource_create", {"package_id": name, "name": "停车场"}, files={"upload": stream}
        )
    assert resource["url_type"] == "upload"
    assert resource["format"] == "CSV"
    assert resource["size"] == data.stat().st_size
    import httpx

    downloaded = httpx.get(resource["url"], timeout=30)
    assert downloaded.status_code == 200
    assert downloaded.content == data.read_bytes()
    patched = editor.action.package_patch(id=name, notes="更新")
    assert patched["resources"][0]["id"] == resource["id"]
    assert patched["resources"][0]["url_type"] == "upload"
    editor.action.resource_delete(id=resource["id"])
    assert editor.action.package_show(id=name)["resources"] == []
    activity = editor.action.package_activity_list(id=name)
    assert [a["activity_type"] for a in activity][-1] == "new package"
    assert len(activity) == 4
