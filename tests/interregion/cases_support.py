"""Helpers for the window-case tests: staff tokens, applicants' codes, scans, one case's steps."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from PIL import Image
from pypdf import PdfWriter

from interregion.clock import utcnow
from interregion.identity import attributes
from interregion.identity import repository as accounts
from interregion.identity.levels import Level
from interregion.node import Node
from interregion.staff import service as staff_service
from interregion.staff.demo import demo_staff
from interregion.window.service import issue_code
from tests.interregion.flows import person

# The walkthrough's matter: a housing-fund withdrawal decided in Jiangsu (demo reviewer: GJJ).
MATTER = "320000-GJJ-016"


def pdf_bytes(text: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def png_bytes(seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (seed % 256, (seed // 256) % 256, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def token_for(node: Node, username: str) -> str:
    """A fresh API token of an existing (demo) staff account, made in the node's database."""
    with node.transaction() as session:
        account = staff_service.find(session, username)
        assert account is not None, username
        token, _ = staff_service.issue_token(
            session, account=account, label="test", lifetime=timedelta(hours=1), now=utcnow()
        )
    return token


def demo_username(region: str, role: str) -> str:
    return next(s.username for s in demo_staff(region) if s.role == role)


def applicant_code(
    home: Node, *, window_region: str, who: str = "resident", full_id: bool = False
) -> str:
    """What the applicant's login and consent at home would hand them: a one-time code.

    Made directly in the home node's database; the browser flow that makes
    it is tested in test_window_jwt.py and test_cases_browser.py.
    """
    demo = person(home.region_code, who)
    now = utcnow()
    with home.transaction() as session:
        account = accounts.find_by_username(session, demo.username)
        assert account is not None
        released = [
            attributes.NAME.key,
            attributes.MASKED_ID.key,
            attributes.DATE_OF_BIRTH.key,
            attributes.SUBJECT_KIND.key,
            attributes.HOME_REGION.key,
        ]
        if full_id:
            released.append(attributes.FULL_ID.key)
        if who == "company":
            released += [attributes.USCC.key, attributes.COMPANY_NAME.key, attributes.ROLE.key]
        return issue_code(
            session,
            node=home,
            account=account,
            audience_region=window_region,
            level=Level.SUBSTANTIAL,
            authn_at=now,
            released=released,
            full_id_consented=full_id,
            now=now,
        )


@dataclass
class Api:
    """Calls one node's staff API with a token (any httpx-like client)."""

    client: Any
    token: str

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(f"/cases/api{path}", headers=self._headers(), **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(f"/cases/api{path}", headers=self._headers(), **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        answer = getattr(self, method)(path, **kwargs)
        assert answer.status_code in (200, 201), (
            f"{method} {path}: {answer.status_code} {answer.text}"
        )
        body: dict[str, Any] = answer.json()
        return body


def take_in(
    clerk: Api,
    *,
    code: str,
    home: str,
    matter: str = MATTER,
    files: dict[str, bytes] | None = None,
    contact: str = "13812345678",
) -> dict[str, Any]:
    """A whole intake through the API: draft, identity, consent, materials, submit -> receipt."""
    number = clerk.ok("post", "/cases", json={"matter": matter})["number"]
    clerk.ok("post", f"/cases/{number}/identity", json={"home": home, "code": code})
    clerk.ok(
        "post", f"/cases/{number}/consent", json={"applicant_signed": True, "contact": contact}
    )
    for material, data in (files or default_files(number)).items():
        kind = "application/pdf" if data.startswith(b"%PDF") else "image/png"
        name = "scan.pdf" if kind == "application/pdf" else "scan.png"
        clerk.ok(
            "post",
            f"/cases/{number}/materials",
            data={"material": material},
            files={"file": (name, data, kind)},
        )
    return clerk.ok("post", f"/cases/{number}/submit")


def default_files(number: str) -> dict[str, bytes]:
    """Every required material of MATTER as a scan."""
    return {
        "M01": pdf_bytes(f"form {number}"),
        "M90": png_bytes(hash(number) % 60000),
        "M02": pdf_bytes(f"title {number}"),
        "M04": pdf_bytes(f"invoice {number}"),
    }


def wait_for(condition: Callable[[], Any], *, timeout: float = 20, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


# --- against real node processes (tests/interregion/cluster.py) ----------------------------------

_TOKENS: dict[tuple[str, str, str], str] = {}


def cluster_token(cluster: Any, region: str, role: str) -> str:
    """An API token of the region's demo staff member in ``role`` (``delta staff token``)."""
    key = (str(cluster.home), region, role)
    if key not in _TOKENS:
        out = cluster.cli("staff", "token", "--region", region, "--username",
                          demo_username(region, role))  # fmt: skip
        _TOKENS[key] = json.loads(out)["token"]
    return _TOKENS[key]


def staff_login(
    browser: Any, base_url: str, region: str, role: str, *, next_path: str = "/cases"
) -> Any:
    """Log a tests.interregion.browser.Browser in as the region's demo staff member."""
    who = next(s for s in demo_staff(region) if s.role == role)
    page = browser.get(f"{base_url}/staff/login?next={next_path}")
    page = browser.submit(page, username=who.username, password=who.password)
    assert "/staff/totp" in page.url, page.text[:1000]
    step = int(time.time()) // 30
    for offset in (0, 1, 2):  # a code is good once: another test may have used this step's
        page2 = browser.submit(page, code=pyotp.TOTP(who.totp_secret).at((step + offset) * 30))
        if "/staff/totp" not in page2.url:
            return page2
    raise AssertionError(f"staff login of {who.username} failed:\n{page2.text[:1000]}")
