"""docker/: what the image and compose file promise each other, checked without a
Docker engine (there is none on the development machines): the image's health check
is a path both the portal and the nodes serve on the port they listen on; every named
volume mounts on a folder the image creates for its user; nothing starts before what
it needs is healthy; every DELTA_ variable is a real setting."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from delta.settings import Settings
from tests.support.docs import ROOT

DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text("utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text("utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
OURS = {name: s for name, s in SERVICES.items() if "build" in s}  # built from the Dockerfile


def final_stage() -> str:
    return DOCKERFILE.rsplit("\nFROM ", 1)[1]


def instruction(name: str) -> str:
    found = re.findall(rf"^{name} (.+)$", final_stage(), re.MULTILINE)
    assert len(found) == 1, (name, found)
    return str(found[0])


def health_url() -> tuple[int, str]:
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/\S*)", instruction("HEALTHCHECK"))
    assert match, instruction("HEALTHCHECK")
    return int(match.group(1)), match.group(2)


def listening_port(service: dict[str, Any]) -> int:
    words = service.get("command") or shlex.split(instruction("CMD").replace('"', ""))
    words = [w.strip("[],") for w in words]
    return int(words[words.index("--port") + 1])


def test_the_compose_file_is_read() -> None:
    assert {"migrate", "portal-a", "portal-b", "node-310000", "node-340000"} <= set(OURS)


@pytest.mark.parametrize("app", ["portal_app", "node_app"])
def test_the_health_check_is_served_by_the_portal_and_the_nodes(
    request: pytest.FixtureRequest, app: str
) -> None:
    _, path = health_url()
    client: TestClient = request.getfixturevalue(app)
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "ok"


def test_every_service_listens_where_its_health_check_looks() -> None:
    port, _ = health_url()
    assert f"EXPOSE {port}" in final_stage()
    for name, service in OURS.items():
        if name == "migrate":
            assert service["healthcheck"] == {"disable": True}  # runs once and exits
            continue
        assert "healthcheck" not in service, name
        assert listening_port(service) == port, name


def created_folders() -> dict[str, str]:
    """Folders the final stage creates, mapped to the user they are chown'ed to."""
    run = " ".join(re.findall(r"^RUN (.+?)(?<!\\)$", final_stage(), re.MULTILINE | re.DOTALL))
    run = run.replace("\\\n", " ")
    made = {p for m in re.finditer(r"mkdir -p ((?:/\S+\s*)+)", run) for p in m.group(1).split()}
    owners = {path: user for user, path in re.findall(r"chown -R (\w+):\w+ (/\S+)", run)}
    return {
        folder: next((user for root, user in owners.items() if folder.startswith(root)), "root")
        for folder in made
    }


def test_every_named_volume_mounts_on_a_folder_the_image_gives_its_user() -> None:
    user = instruction("USER")
    folders = created_folders()
    assert folders, "the final stage creates no folders"
    mounts = [
        (name, target)
        for name, service in OURS.items()
        for volume in service.get("volumes", [])
        for source, target in [volume.split(":")[:2]]
        if source in COMPOSE["volumes"]
    ]
    assert mounts
    for name, target in mounts:
        assert folders.get(target) == user, f"{name}: {target} is not created for {user}"


def test_nothing_starts_before_what_it_needs_is_healthy() -> None:
    migrate = SERVICES["migrate"]["depends_on"]
    for needed in ("postgres", "elasticsearch"):
        assert migrate[needed]["condition"] == "service_healthy"
    for name, service in SERVICES.items():
        needs = service.get("depends_on") or {}
        for needed in needs:  # a list, or a mapping of service -> {condition}
            rule = needs[needed] if isinstance(needs, dict) else {}
            condition = rule.get("condition", "service_started")
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[needed], f"{name} waits on {needed}"
    assert SERVICES["portal-a"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def test_every_delta_variable_is_a_setting() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    used = {
        key.removeprefix("DELTA_")
        for service in SERVICES.values()
        for key in (service.get("environment") or {})
        if key.startswith("DELTA_")
    }
    assert used and used <= fields | {"ASSETS_DIR"}, used - fields
    image = set(re.findall(r"DELTA_([A-Z_]+)=", DOCKERFILE))
    assert image <= fields | {"ASSETS_DIR"}, image - fields
