"""Small pieces on their own: safe redirects, levels, pairwise IDs, release rules, demo data."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from interregion.clock import parse_saml_instant, saml_instant
from interregion.db import node_database_url
from interregion.identity import attributes
from interregion.identity.demo_people import account_listing, demo_people
from interregion.identity.levels import Level, UnknownLevel, parse_level
from interregion.identity.pairwise import pairwise_id
from interregion.web.safe_next import DEFAULT_NEXT, safe_next
from standards.identifiers.citizen_id import parse_citizen_id
from standards.identifiers.uscc import is_valid_uscc
from standards.masking import mask_citizen_id
from standards.regions import DELTA_PROVINCES


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/service", "/service"),
        ("/service?tab=1#x", "/service?tab=1#x"),
        (None, DEFAULT_NEXT),
        ("", DEFAULT_NEXT),
        ("service", DEFAULT_NEXT),
        ("https://evil.example/", DEFAULT_NEXT),
        ("//evil.example", DEFAULT_NEXT),
        ("/\\evil.example", DEFAULT_NEXT),
        ("\\\\evil.example", DEFAULT_NEXT),
        ("/\tevil", DEFAULT_NEXT),
        ("/\r\nSet-Cookie: x=1", DEFAULT_NEXT),
        ("javascript:alert(1)", DEFAULT_NEXT),
        ("/" + "a" * 400, DEFAULT_NEXT),
    ],
)
def test_safe_next(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected


def test_levels_are_ordered_and_named_by_uri() -> None:
    assert Level.HIGH.meets(Level.SUBSTANTIAL) and not Level.LOW.meets(Level.SUBSTANTIAL)
    assert parse_level("urn:delta:loa:high") is Level.HIGH
    assert parse_level("substantial") is Level.SUBSTANTIAL
    for bad in ("urn:delta:loa:ultra", "HIGH", "http://eidas.europa.eu/LoA/high", ""):
        with pytest.raises(UnknownLevel):
            parse_level(bad)


def test_pairwise_ids_are_stable_and_unlinkable() -> None:
    key = b"k" * 32
    a = pairwise_id(key, account_id="p1", relying_entity_id="https://a/md")
    assert a == pairwise_id(key, account_id="p1", relying_entity_id="https://a/md")
    assert a != pairwise_id(key, account_id="p1", relying_entity_id="https://b/md")
    assert a != pairwise_id(b"x" * 32, account_id="p1", relying_entity_id="https://a/md")
    assert "p1" not in a


def test_the_full_id_leaves_only_with_consent() -> None:
    values = {"name": "张明", "citizen-id": "X", "citizen-id-masked": "X***", "uscc": ""}
    requested = ["name", "citizen-id", "citizen-id-masked", "uscc"]
    assert attributes.release(values, requested=requested, full_id_consented=False) == {
        "name": "张明",
        "citizen-id-masked": "X***",
    }
    assert "citizen-id" in attributes.release(values, requested=requested, full_id_consented=True)
    assert attributes.release(values, requested=["name"], full_id_consented=True) == {
        "name": "张明"
    }


@pytest.mark.parametrize("code", DELTA_PROVINCES)
def test_demo_people_are_valid_and_clearly_fake(code: str) -> None:
    people = demo_people(code)
    assert {p.kind for p in people} == {"resident", "company"}
    for who in people:
        parsed = parse_citizen_id(who.citizen_id)
        assert 1900 <= parsed.birth_date.year <= 1910 and parsed.sequence.startswith("99")
        assert parsed.area_code[:2] == code[:2]
        if who.company_uscc:
            assert is_valid_uscc(who.company_uscc) and "DELTA" in who.company_uscc
            assert "示例" in (who.company_name or "")
    listing = account_listing(code)
    assert all({"username", "password", "name", "kind"} <= set(entry) for entry in listing)
    assert not any(p.citizen_id in str(listing) for p in people)


def test_saml_instants_are_utc_and_refuse_naive_times() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert saml_instant(moment) == "2026-01-02T03:04:05Z"
    assert parse_saml_instant("2026-01-02T03:04:05Z") == moment
    assert parse_saml_instant("2026-01-02T11:04:05+08:00") == moment
    with pytest.raises(ValueError, match="zone"):
        parse_saml_instant("2026-01-02T03:04:05")


def test_node_database_urls(tmp_path: Path) -> None:
    folder = tmp_path
    assert node_database_url(shared_url=None, node_dir=folder, region_code="310000").endswith(
        "node.db"
    )
    pg = node_database_url(
        shared_url="postgresql://u:p@db/delta", node_dir=folder, region_code="320000"
    )
    assert pg.startswith("postgresql+psycopg://") and "search_path%3Dnode_320000" in pg
    lite = node_database_url(
        shared_url=f"sqlite:///{folder}/shared.db", node_dir=folder, region_code="330000"
    )
    assert lite.endswith("shared-330000.db")


def test_only_the_cross_site_cookies_relax_samesite_and_only_over_https() -> None:
    from starlette.responses import Response

    from interregion.web.cookies import CookieJar

    def header(jar: CookieJar, *, cross_site: bool) -> str:
        response = Response()
        jar.write(response, "bind", "token", cross_site=cross_site)
        return response.headers["set-cookie"].lower()

    https = CookieJar(key=b"k" * 32, region_code="310000", secure=True)
    http = CookieJar(key=b"k" * 32, region_code="310000", secure=False)
    assert "samesite=none" in header(https, cross_site=True) and "secure" in header(
        https, cross_site=True
    )
    assert "samesite=lax" in header(https, cross_site=False)
    assert "samesite=lax" in header(http, cross_site=True)
    for cookie in (header(https, cross_site=True), header(http, cross_site=False)):
        assert "httponly" in cookie and cookie.startswith("delta_bind_310000=")


def test_node_logs_mask_id_numbers_inside_tracebacks_too() -> None:
    """Database errors quote their statement's parameters (an SP session row holds the
    released identity): the redacting filter must reach the traceback, not only the message.
    Run in a child process, as a node configures its logging exactly like this."""
    citizen_id = demo_people("310000")[0].citizen_id
    script = (
        "import logging\n"
        "from delta.logging import configure_logging\n"
        "configure_logging('INFO')\n"
        "try:\n"
        f"    raise RuntimeError('[parameters: (\\'{{\"citizen-id\": \"{citizen_id}\"}}\\',)]')\n"
        "except RuntimeError:\n"
        "    logging.getLogger('interregion').exception('unhandled error on POST /saml/acs')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "Traceback" in result.stderr and "RuntimeError" in result.stderr
    assert citizen_id not in result.stderr
    assert mask_citizen_id(citizen_id) in result.stderr
