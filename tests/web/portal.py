"""A real portal process with the sample catalogue, users in every role of the journeys."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.ckan import Api
from tests.support.processes import PortalServer, start_portal

PASSWORD = "correct-horse-battery"
CONDITIONAL = "hefei-construction-dust-monitoring"


@dataclass
class Site:
    server: PortalServer
    admin_token: str
    conditional_org: str

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, token: str | None = None) -> Api:
        return Api(self.url, token)

    def verification_link(self, email: str, timeout: float = 10) -> str:
        """The link the log mailer wrote for ``email`` (the newest one)."""
        pattern = re.compile(
            rf"mail to {re.escape(email)}:.*?(http\S+/user/verify\?token=\S+)", re.S
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = pattern.findall(self.server.log())
            if found:
                return str(found[-1])
            time.sleep(0.1)
        raise AssertionError(f"no verification mail for {email}")

    def wait_for_datastore(self, names: list[str], timeout: float = 60) -> None:
        api = self.api()
        deadline = time.monotonic() + timeout
        pending = set(names)
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                resources = api.get("package_show", id=name).result["resources"]
                if all(r["datastore_active"] for r in resources if r["format"] == "CSV"):
                    pending.discard(name)
            time.sleep(0.3)
        api.close()
        assert not pending, f"DataStore not loaded for {pending}"


def start_site(home: Path) -> Site:
    server = start_portal(home, DELTA_LOG_LEVEL="INFO")
    server.cli("demo", "load", "--admin-password", PASSWORD)
    token = server.cli("token", "create", "admin", "--name", "journeys").strip()
    api = Api(server.url, token)
    org = api.get("package_show", id=CONDITIONAL).result["organization"]["name"]
    for name, capacity in (("editor", "editor"), ("reviewer", "editor")):
        server.cli("user", "create", name, "--email", f"{name}@example.org", "--password", PASSWORD)
        assert api.post(
            "organization_member_create", {"id": org, "username": name, "role": capacity}
        ).ok
    api.close()
    return Site(server=server, admin_token=token, conditional_org=org)
