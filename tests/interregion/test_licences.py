"""The licence library and cross-region verification, in process: four real node apps (real
SQLite), HTTP routed between them. Every refusal is checked with its reason and the audit
records on both sides; the end-to-end matrix with real processes is test_licence_pairs.py."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from jwcrypto import jwk, jws
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from interregion.audit.models import AuditRecord
from interregion.clock import utcnow
from interregion.licences import service
from interregion.licences.changes import EVENTS
from interregion.licences.consent import issue_consent
from interregion.licences.credentials import sign_credential, status_list_claims
from interregion.licences.models import Licence, StatusAllocation
from interregion.licences.verification import LICENCE_VERIFICATION
from interregion.licences.verifier import StatusListCache, verify_credential
from interregion.node import Node
from signing.jwt import issue_jwt
from signing.keys import Purpose
from standards import status_list
from tests.interregion import forge
from tests.interregion.browser import Browser
from tests.interregion.flows import person
from tests.interregion.inprocess import InProcessFederation, in_process_federation, node_url
from tests.interregion.licence_flows import (
    bearer,
    change,
    consent,
    department,
    form_index,
    holder_login,
    issue,
    verify,
)

A, B = "310000", "320000"  # A asks, B issued


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessFederation]:
    with in_process_federation(tmp_path_factory.mktemp("licences")) as federation:
        yield federation


@pytest.fixture(scope="module")
def tokens(fed: InProcessFederation) -> dict[tuple[str, str], str]:
    made = {}
    for region in (A, B):
        for slug in ("driving-licence", "business-licence", "household-register",
                     "teacher-qualification"):  # fmt: skip
            uscc = department(region, slug)
            if (region, uscc) not in made:
                with fed.node(region).transaction() as session:
                    made[(region, uscc)] = service.new_department_token(session, uscc)
    return made


def token_for(tokens: dict, region: str, slug: str) -> str:
    return str(tokens[(region, department(region, slug))])


def client(fed: InProcessFederation, region: str) -> httpx.Client:
    return fed.client(region)


def base(region: str) -> str:
    return node_url(region)


def new_licence(fed: InProcessFederation, tokens: dict, *, slug: str = "driving-licence",
                kind: str = "resident", region: str = B, **dates: date) -> dict:  # fmt: skip
    return issue(client(fed, region), base(region), token_for(tokens, region, slug),
                 region=region, who=person(region, kind), slug=slug, **dates)  # fmt: skip


def consent_token(
    fed: InProcessFederation, identifier: str, *, to: str = A, scenario: str = "vehicle-services",
    home: str = B, **options: Any,
) -> str:  # fmt: skip
    node = fed.node(home)
    with node.transaction() as session:
        licence = service.find(session, identifier)
        holder = options.pop("holder_code", licence.holder_code)
        return issue_consent(
            node=node, holder_code=holder, requester_region=to, scenarios=[scenario],
            licences=[licence], channel="holder", now=options.pop("now", utcnow()),
        )  # fmt: skip


def audit(node: Node, seq: int) -> AuditRecord:
    with node.sessions() as session:
        record = session.get(AuditRecord, seq)
        assert record is not None, seq
        return record


def ask(
    fed: InProcessFederation, identifier: str, *, requester: str = A, **query: Any
) -> httpx.Response:
    query.setdefault("scenario", "vehicle-services")
    if "consent" not in query:
        query["consent"] = consent_token(fed, identifier, to=requester, scenario=query["scenario"])
    return verify(client(fed, requester), base(requester), licence=identifier, **query)


def refused_both_sides(fed: InProcessFederation, answer: httpx.Response, reason: str) -> None:
    """The requester's problem+json names the reason; both nodes hold a refusal record."""
    assert answer.status_code in {403, 404, 429}, answer.text
    body = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert body["reason"] == reason, body
    ours, theirs = (
        audit(fed.node(A), body["audit_record"]),
        audit(fed.node(B), body["peer_audit_record"]),
    )
    assert (ours.outcome, ours.reason, ours.peer, ours.event) == (
        "refused", reason, B, "licence-verification.refused")  # fmt: skip
    assert (theirs.outcome, theirs.reason, theirs.peer) == ("refused", reason, A)


# --- the library -------------------------------------------------------------------------------


def test_department_api_needs_a_token(fed: InProcessFederation) -> None:
    for headers in ({}, bearer("dlic_wrong"), {"Authorization": "Basic x"}):
        answer = client(fed, B).get("/api/licences", headers=headers)
        assert answer.status_code == 401 and answer.json()["reason"] == "not-authenticated"
        assert audit(fed.node(B), answer.json()["audit_record"]).event == "licence.api-refused"


def test_issue_is_signed_audited_and_listed(fed: InProcessFederation, tokens: dict) -> None:
    issued = new_licence(fed, tokens)
    assert issued["status"] == "valid" and issued["version"] == 1
    who = person(B, "resident")
    assert (issued["holder_name"], issued["holder_code"]) == (who.name, who.citizen_id)
    assert (
        issued["identifier"].startswith("1.2.156.3005.2.") and issued["credential"].count(".") == 2
    )
    record = audit(fed.node(B), issued["audit_record"])
    assert (record.event, record.actor) == (
        "licence.issued",
        f"department:{department(B, 'driving-licence')}",
    )
    assert record.detail["licence"] == issued["identifier"]
    assert "*" in record.detail["holder"]  # masked in the audit log
    listed = client(fed, B).get(
        "/api/licences", params={"holder": issued["holder_code"]},
        headers=bearer(token_for(tokens, B, "driving-licence")),
    ).json()  # fmt: skip
    assert issued["identifier"] in [row["identifier"] for row in listed["licences"]]
    assert all("face_data" not in row for row in listed["licences"])


@pytest.mark.parametrize(
    ("body", "reason", "status"),
    [
        ({"face_data": {"name": "x"}}, "invalid-face-data", 422),
        ({"face_data": {"unknown": 1}}, "invalid-face-data", 422),
        ({"holder_code": "110101190001019990"}, "invalid-holder-code", 422),
        ({"type": "nope"}, "unknown-type", 422),
        ({"valid_from": "2030-01-02", "valid_until": "2030-01-01"}, "invalid-input", 422),
        ({"valid_from": "9999-01-01"}, "invalid-input", 422),
        ({"valid_until": "0001-01-01"}, "invalid-input", 422),
    ],
)
def test_bad_licences_are_refused_and_nothing_is_written(
    fed: InProcessFederation, tokens: dict, body: dict, reason: str, status: int
) -> None:
    good = new_licence(fed, tokens)
    wanted = {"type": good["type"], "holder_name": good["holder_name"],
              "holder_code": good["holder_code"], "face_data": good["face_data"], **body}  # fmt: skip  # noqa: E501
    with fed.node(B).sessions() as session:
        before = len(session.scalars(select(Licence.id)).all())
    answer = client(fed, B).post(
        "/api/licences", json=wanted, headers=bearer(token_for(tokens, B, "driving-licence"))
    )
    assert answer.status_code == status and answer.json()["reason"] == reason, answer.text
    with fed.node(B).sessions() as session:
        assert len(session.scalars(select(Licence.id)).all()) == before


def test_a_department_issues_only_its_types_and_changes_only_its_licences(
    fed: InProcessFederation, tokens: dict
) -> None:
    own = new_licence(fed, tokens)
    other = token_for(tokens, B, "teacher-qualification")
    wanted = {"type": own["type"], "holder_name": own["holder_name"],
              "holder_code": own["holder_code"], "face_data": own["face_data"]}  # fmt: skip
    answer = client(fed, B).post("/api/licences", json=wanted, headers=bearer(other))
    assert answer.status_code == 403 and answer.json()["reason"] == "type-not-issued-here"
    answer = change(client(fed, B), "", other, own["identifier"], "revoke")
    assert answer.status_code == 403 and answer.json()["reason"] == "not-your-licence"


def test_lifecycle_suspend_resume_revoke_reissue(fed: InProcessFederation, tokens: dict) -> None:
    token, c = token_for(tokens, B, "driving-licence"), client(fed, B)
    lic = new_licence(fed, tokens)
    ident = lic["identifier"]
    assert change(c, "", token, ident, "resume").status_code == 409  # not suspended
    steps = [("suspend", "suspended"), ("resume", "valid"), ("suspend", "suspended")]
    for action, status in steps:
        answer = change(c, "", token, ident, action)
        assert answer.json()["status"] == status
        assert audit(fed.node(B), answer.json()["audit_record"]).event == EVENTS[action]
    reissued = c.post(f"/api/licences/{ident}/reissue", json={}, headers=bearer(token))
    assert reissued.status_code == 201, reissued.text
    new = reissued.json()
    assert (
        new["version"] == 2
        and new["replaces"] == ident
        and new["identifier"].split(".")[-2] == "002"
    )
    shown = c.get(f"/api/licences/{ident}", headers=bearer(token)).json()
    assert shown["status"] == "revoked" and shown["status_reason"].startswith("superseded")
    for action in ("resume", "suspend", "revoke"):  # revoked is final
        assert change(c, "", token, ident, action).json()["reason"] == "status-conflict"


def test_status_indexes_are_random_unique_and_the_database_refuses_reuse(
    fed: InProcessFederation, tokens: dict
) -> None:
    with fed.node(B).sessions() as session:
        rows = session.scalars(select(StatusAllocation)).all()
        indexes = [(row.purpose, row.index) for row in rows]
        assert len(indexes) == len(set(indexes)) and len(indexes) > 20
        revocation = sorted(i for p, i in indexes if p == "revocation")
        assert revocation[-1] - revocation[0] > 10_000  # spread over the list, not sequential
        duplicate = insert(StatusAllocation).values(
            purpose=rows[0].purpose, index=rows[0].index, licence_id="x", allocated_at=utcnow()
        )
        with pytest.raises(IntegrityError):
            session.execute(duplicate)


# --- status lists --------------------------------------------------------------------------------


def independent_bits(token: str) -> bytes:
    """Decode encodedList without our own code: JWS payload, base64url, gzip."""
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    encoded = payload["credentialSubject"]["encodedList"]
    assert encoded[0] == "u"
    return gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))


def bit(bits: bytes, index: int) -> int:
    return (bits[index // 8] >> (7 - index % 8)) & 1


def test_status_list_is_cacheable_and_changes_at_once(
    fed: InProcessFederation, tokens: dict
) -> None:
    lic = new_licence(fed, tokens)
    index = lic["status_list_indexes"]["suspension"]
    first = client(fed, B).get("/licences/status/suspension")
    assert first.status_code == 200 and first.headers["content-type"].startswith(
        "application/vc+jwt"
    )
    max_age = int(first.headers["cache-control"].split("max-age=")[1])
    assert 0 < max_age <= 300
    again = client(fed, B).get(
        "/licences/status/suspension", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    bits = independent_bits(first.text)
    assert len(bits) * 8 >= 131_072 and bit(bits, index) == 0
    change(
        client(fed, B), "", token_for(tokens, B, "driving-licence"), lic["identifier"], "suspend"
    )
    after = client(fed, B).get(
        "/licences/status/suspension", headers={"If-None-Match": first.headers["etag"]}
    )
    assert after.status_code == 200 and bit(independent_bits(after.text), index) == 1
    assert client(fed, B).get("/licences/status/other").status_code == 404


def test_credentials_and_status_lists_verify_with_jwcrypto(
    fed: InProcessFederation, tokens: dict
) -> None:
    lic = new_licence(fed, tokens)
    keys = jwk.JWKSet.from_json(client(fed, B).get("/federation/jwks").text)
    for token in (lic["credential"], client(fed, B).get("/licences/status/revocation").text):
        checked = jws.JWS()
        checked.deserialize(token)
        header = json.loads(checked.objects["protected"])
        checked.verify(keys.get_key(header["kid"]))
        assert header["typ"] == "vc+jwt"
        payload = json.loads(checked.payload)
        assert payload["@context"][0] == "https://www.w3.org/ns/credentials/v2"
        assert payload["issuer"]["id"] == fed.entity_id(B) == payload["iss"]
    credential = json.loads(base64.urlsafe_b64decode(lic["credential"].split(".")[1] + "=="))
    assert credential["type"] == ["VerifiableCredential", "ElectronicLicenceCredential"]
    entries = {e["statusPurpose"]: e for e in credential["credentialStatus"]}
    assert set(entries) == {"revocation", "suspension"}
    assert entries["revocation"]["type"] == "BitstringStatusListEntry"
    assert entries["revocation"]["statusListIndex"] == str(lic["status_list_indexes"]["revocation"])
    assert credential["credentialSubject"]["licence"]["identifier"] == lic["identifier"]


# --- offline verification ------------------------------------------------------------------------


def offline(fed: InProcessFederation, token: str, cache: StatusListCache | None = None,
            region: str = A) -> str:  # fmt: skip
    node = fed.node(region)
    cache = cache or StatusListCache(
        lambda url: node.exchange.fetch(url, max_chars=1 << 22),
        ttl=timedelta(seconds=300), grace=timedelta(seconds=600),
    )  # fmt: skip
    return verify_credential(token, registry=node.federation(), trust=node.registry,
                             status_lists=cache, now=utcnow()).status  # fmt: skip


def refusal_of(call: Any) -> str:
    from interregion.exchange import ExchangeRefused

    with pytest.raises(ExchangeRefused) as caught:
        call()
    return caught.value.reason


def test_offline_verification_reads_signature_then_lists(
    fed: InProcessFederation, tokens: dict
) -> None:
    lic = new_licence(fed, tokens)
    assert offline(fed, lic["credential"]) == "valid"
    header, payload, signature = lic["credential"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["credentialSubject"]["holder"]["name"] = "冒名"
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert (
        refusal_of(lambda: offline(fed, f"{header}.{altered}.{signature}")) == "signature-invalid"
    )
    forged = sign_credential({k: v for k, v in claims.items() if k not in ("iss", "jti", "iat")},
                             key=forge.foreign_key(), now=utcnow())  # fmt: skip
    assert refusal_of(lambda: offline(fed, forged)) == "unknown-key-id"
    expired = new_licence(fed, tokens, valid_from=date(2010, 1, 1), valid_until=date(2015, 1, 1))
    assert offline(fed, expired["credential"]) == "expired"


def _list_cache(fed: InProcessFederation, serve: Any, **limits: timedelta) -> StatusListCache:
    return StatusListCache(serve, ttl=limits.get("ttl", timedelta(seconds=300)),
                           grace=limits.get("grace", timedelta(seconds=600)))  # fmt: skip


def _signed_list(fed: InProcessFederation, purpose: str, *, key: Any = None, ago: timedelta = timedelta(0),  # noqa: E501
                 size: int = 131_072) -> str:  # fmt: skip
    node, now = fed.node(B), utcnow() - ago
    claims = status_list_claims(
        member=node.member(), purpose=purpose, encoded=status_list.encode_indexes([], size=size),
        now=now, valid_for=timedelta(minutes=10), ttl=timedelta(minutes=5),
    )  # fmt: skip
    return sign_credential(claims, key=key or node.signing_key(Purpose.JWT), now=utcnow())


def test_status_lists_are_checked_like_credentials(fed: InProcessFederation, tokens: dict) -> None:
    lic = new_licence(fed, tokens)
    bad_signature = _list_cache(
        fed, lambda url: _signed_list(fed, url.rsplit("/", 1)[1], key=forge.foreign_key())
    )
    assert (
        refusal_of(lambda: offline(fed, lic["credential"], bad_signature))
        == "status-list-signature-invalid"
    )
    stale = _list_cache(
        fed, lambda url: _signed_list(fed, url.rsplit("/", 1)[1], ago=timedelta(hours=2))
    )
    assert refusal_of(lambda: offline(fed, lic["credential"], stale)) == "status-list-stale"
    # An index beyond the list: a genuine credential from a (now) shorter list.
    node = fed.node(B)
    with node.transaction() as session:
        row = service.find(session, lic["identifier"])
        row.revocation_index = 131_072 * 64
        from interregion.licences.credentials import licence_claims
        from standards.licence_types import get_type

        credential = sign_credential(
            licence_claims(row, licence_type=get_type(row.type_code), member=node.member()),  # type: ignore[arg-type]
            key=node.signing_key(Purpose.JWT), now=utcnow(),
        )  # fmt: skip
        session.rollback()
    assert refusal_of(lambda: offline(fed, credential)) == "status-index-out-of-range"


def test_a_cached_list_serves_within_grace_and_not_beyond(
    fed: InProcessFederation, tokens: dict
) -> None:
    lic = new_licence(fed, tokens)
    up = {"on": True}

    def serve(url: str) -> str:
        if not up["on"]:
            raise httpx.ConnectError("down")
        return fed.node(A).exchange.fetch(url, max_chars=1 << 22)

    cache = _list_cache(fed, serve, ttl=timedelta(0), grace=timedelta(seconds=600))
    assert offline(fed, lic["credential"], cache) == "valid"
    up["on"] = False  # issuer unreachable: the cached, still-valid list is used
    assert offline(fed, lic["credential"], cache) == "valid"
    beyond = _list_cache(fed, serve, ttl=timedelta(0), grace=timedelta(0))
    assert refusal_of(lambda: offline(fed, lic["credential"], beyond)) == "status-list-unavailable"


# --- cross-region verification: the answers ------------------------------------------------------


def test_verification_releases_the_scenarios_fields_and_is_seen_by_the_holder(
    fed: InProcessFederation, tokens: dict
) -> None:
    lic = new_licence(fed, tokens)
    answer = ask(fed, lic["identifier"], scenario="employment", service="某区招聘",
                 fields=["holder_name", "face.vehicle_class", "holder_code", "face.address"])  # fmt: skip  # noqa: E501
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "valid" and body["licence"]["identifier"] == lic["identifier"]
    assert set(body["fields"]) == {"holder_name", "face.vehicle_class"}
    assert body["withheld"] == ["holder_code", "face.address"]  # minimised, named, not refused
    assert "credential" not in body
    ours = audit(fed.node(A), body["audit_record"])
    assert (ours.event, ours.reason) == ("licence-verification.accepted", "fields-withheld")
    theirs = fed.node(B)
    with theirs.sessions() as session:
        record = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.event == "licence-verification.answered")
            .order_by(AuditRecord.seq.desc())
        ).first()
    assert (
        record is not None
        and record.reason == "fields-withheld"
        and record.detail["withheld"] == ["holder_code", "face.address"]
    )
    # The response is the evidence: signed by B, bound to A's request.
    response = json.loads(base64.urlsafe_b64decode(body["response"].split(".")[1] + "=="))
    assert response["request_sha256"] == body["request_sha256"] and response[
        "aud"
    ] == fed.entity_id(A)


def test_a_credential_travels_only_where_the_scenario_allows(
    fed: InProcessFederation, tokens: dict
) -> None:
    lic = new_licence(fed, tokens)
    allowed = ask(fed, lic["identifier"], scenario="vehicle-services", credential=True).json()
    assert allowed["credential"] == lic["credential"]
    lic2 = new_licence(fed, tokens)
    refused = ask(fed, lic2["identifier"], scenario="employment", credential=True).json()
    assert "credential" not in refused


def test_holder_code_and_type_find_the_licence(fed: InProcessFederation, tokens: dict) -> None:
    lic = new_licence(fed, tokens, slug="business-licence", kind="company")
    answer = verify(
        client(fed, A), "", scenario="enterprise-registration", holder_code=lic["holder_code"],
        type=lic["type"], issuer_region=B,
        consent=consent_token(fed, lic["identifier"], scenario="enterprise-registration"),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["fields"]["face.uscc"] == lic["holder_code"]


# --- cross-region verification: every refusal, audited on both sides ----------------------------


def test_type_not_in_the_recognition_list(fed: InProcessFederation, tokens: dict) -> None:
    lic = new_licence(fed, tokens, slug="household-register")
    answer = ask(fed, lic["identifier"], scenario="school-enrolment")
    refused_both_sides(fed, answer, "type-not-recognised")


def test_scenario_not_in_the_recognition_list(fed: InProcessFederation, tokens: dict) -> None:
    lic = new_licence(fed, tokens)
    refused_both_sides(
        fed, ask(fed, lic["identifier"], scenario="food-operations"), "scenario-not-recognised"
    )


@pytest.mark.parametrize(
    ("reason", "make"),
    [
        ("consent-missing", lambda fed, ident: ""),
        (
            "consent-expired",
            lambda fed, ident: consent_token(fed, ident, now=utcnow() - timedelta(minutes=30)),
        ),
        ("consent-wrong-requester", lambda fed, ident: consent_token(fed, ident, to="330000")),
        (
            "consent-wrong-holder",
            lambda fed, ident: consent_token(
                fed, ident, holder_code=person(B, "visitor").citizen_id
            ),
        ),
        (
            "consent-wrong-scenario",
            lambda fed, ident: consent_token(fed, ident, scenario="employment"),
        ),
        (
            "consent-invalid",
            lambda fed, ident: issue_jwt(
                {"requester": A},
                key=forge.foreign_key(),
                issuer=fed.entity_id(B),
                audience=fed.entity_id(B),
                typ="licence-consent+jwt",
            ),
        ),
    ],
)
def test_consent_is_checked(fed: InProcessFederation, tokens: dict, reason: str, make: Any) -> None:
    lic = new_licence(fed, tokens)
    token = make(fed, lic["identifier"])
    if reason == "consent-missing":
        answer = verify(client(fed, A), "", licence=lic["identifier"], scenario="vehicle-services")
        refused_both_sides(fed, answer, "consent-missing")
        return
    refused_both_sides(fed, ask(fed, lic["identifier"], consent=token), reason)


def test_a_consent_for_another_licence_is_refused(fed: InProcessFederation, tokens: dict) -> None:
    one, other = new_licence(fed, tokens), new_licence(fed, tokens)
    token = consent_token(fed, one["identifier"])
    refused_both_sides(fed, ask(fed, other["identifier"], consent=token), "consent-not-for-licence")


def test_a_consent_is_used_once_per_licence(fed: InProcessFederation, tokens: dict) -> None:
    lic = new_licence(fed, tokens)
    token = consent_token(fed, lic["identifier"])
    assert ask(fed, lic["identifier"], consent=token).status_code == 200
    refused_both_sides(fed, ask(fed, lic["identifier"], consent=token), "consent-reused")


def test_a_refused_consent_is_not_burnt(fed: InProcessFederation, tokens: dict) -> None:
    lic = new_licence(fed, tokens)
    token = consent_token(fed, lic["identifier"])
    assert (
        ask(fed, lic["identifier"], consent=token, scenario="employment").json()["reason"]
        == "consent-wrong-scenario"
    )
    assert ask(fed, lic["identifier"], consent=token).status_code == 200


def _raw_request(fed: InProcessFederation, claims: dict, **options: Any) -> str:
    node = fed.node(A)
    defaults: dict[str, Any] = {
        "key": node.signing_key(Purpose.JWT), "issuer": fed.entity_id(A),
        "audience": fed.entity_id(B), "typ": LICENCE_VERIFICATION.request_typ,
        "lifetime": timedelta(seconds=60),
    }  # fmt: skip
    defaults.update(options)
    return issue_jwt(claims, **defaults)


def _at_issuer(fed: InProcessFederation, token: str) -> httpx.Response:
    return client(fed, B).post("/licences/verify", json={"request": token})


@pytest.mark.parametrize(
    ("reason", "options"),
    [
        ("unknown-key-id", {"key": "foreign"}),
        ("unknown-issuer", {"issuer": "http://stranger.test/saml/metadata"}),
        ("wrong-audience", {"audience": "http://node-330000.test/saml/metadata"}),
        ("wrong-token-type", {"typ": "licence-verification-response+jwt"}),
        ("token-expired", {"now": "past"}),
    ],
)
def test_the_issuer_refuses_bad_requests(
    fed: InProcessFederation, tokens: dict, reason: str, options: dict
) -> None:
    lic = new_licence(fed, tokens)
    claims = {"scenario": "vehicle-services", "licence": {"identifier": lic["identifier"]},
              "fields": [], "consent": consent_token(fed, lic["identifier"])}  # fmt: skip
    resolved = {**options}
    if options.get("key") == "foreign":
        resolved["key"] = forge.foreign_key()
    if options.get("now") == "past":
        resolved["now"] = utcnow() - timedelta(minutes=5)
    answer = _at_issuer(fed, _raw_request(fed, claims, **resolved))
    assert answer.status_code == 403 and answer.json()["reason"] == reason, answer.text
    record = audit(fed.node(B), answer.json()["audit_record"])
    assert (record.event, record.reason) == ("licence-verification.refused", reason)


def test_a_replayed_request_is_refused(fed: InProcessFederation, tokens: dict) -> None:
    lic = new_licence(fed, tokens)
    claims = {"scenario": "vehicle-services", "licence": {"identifier": lic["identifier"]},
              "fields": ["holder_name"], "consent": consent_token(fed, lic["identifier"])}  # fmt: skip  # noqa: E501
    token = _raw_request(fed, claims)
    assert _at_issuer(fed, token).status_code == 200
    again = _at_issuer(fed, token)
    assert again.status_code == 403 and again.json()["reason"] == "replayed-token"
    assert audit(fed.node(B), again.json()["audit_record"]).reason == "replayed-token"


def test_a_member_without_the_verifier_role_is_refused(
    fed: InProcessFederation, tokens: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry lists the requester, but not as a licence verifier."""
    from dataclasses import replace

    node = fed.node(B)
    registry = node.federation()
    demoted = replace(registry.member(A), roles=("identity-provider",))
    edited = replace(
        registry, members=tuple(demoted if m.region_code == A else m for m in registry.members)
    )
    monkeypatch.setattr(node, "federation", lambda: edited)
    lic = new_licence(fed, tokens)
    answer = ask(fed, lic["identifier"])
    assert answer.json()["reason"] == "role-not-allowed"
    assert audit(fed.node(B), answer.json()["peer_audit_record"]).reason == "role-not-allowed"


def test_bad_verification_queries_are_clear_errors(fed: InProcessFederation) -> None:
    for body in (
        {},
        {"scenario": "X Y", "consent": "c"},
        {"scenario": "employment", "consent": "c", "licence": "1.2.3"},
        {"scenario": "employment", "licence": "1.2.3", "issuer_region": B},
        {"scenario": "employment", "holder_code": "x"},
        {"scenario": "employment", "licence": "x" * 121},
        {"scenario": "employment", "fields": ["a"] * 65, "licence": "1.2.3"},
    ):
        answer = client(fed, A).post("/licences/verifications", json=body)
        assert 400 <= answer.status_code < 500, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")


# --- the holder: who looked, presentations -------------------------------------------------------


def in_process_browser(fed: InProcessFederation) -> Browser:
    browser = Browser()
    browser.client = httpx.Client(transport=fed.routed(), follow_redirects=True, timeout=30)
    return browser


def test_the_holder_sees_who_looked_and_presents_a_licence(
    fed: InProcessFederation, tokens: dict
) -> None:
    lic = new_licence(fed, tokens, kind="resident")
    browser = in_process_browser(fed)
    page = holder_login(browser, base(B), B, "resident")
    assert lic["identifier"] in page.text
    token = consent(
        browser, base(B), to=A, scenario="vehicle-services", identifiers=[lic["identifier"]]
    )
    answer = verify(client(fed, A), "", licence=lic["identifier"], scenario="vehicle-services",
                    consent=token, service="沪·车驾管", fields=["holder_name", "face.vehicle_class"])  # fmt: skip  # noqa: E501
    assert answer.status_code == 200, answer.text
    page = browser.get(f"{base(B)}/licences/mine")
    rows = page.tree.xpath("//table[@id='disclosures']//tr/td")
    text = " ".join(td.text_content() for td in rows)
    assert "沪·车驾管" in text and "vehicle-services" in text and "face.vehicle_class" in text
    assert "上海" in text
    # 亮证: a presentation of two fields, shown as a QR code, checked once anywhere.
    form = page.form(
        form_index(page, f"//form[@class='presentation'][.//input[@value='{lic['identifier']}']]")
    )
    shown = browser.client.post(
        form.action, data={**form.fields, "fields": ["holder_name", "face.vehicle_class"]}
    )
    assert shown.status_code == 200, shown.text[:1000]
    from tests.interregion.browser import Page

    shown_page = Page(str(shown.url), 200, shown.text)
    presentation = shown_page.text_of("presentation-token")
    assert shown_page.attr_of("presentation-qr", "src").startswith("data:image/svg+xml")
    checked = client(fed, "340000").post(
        "/licences/presentations/verify", json={"presentation": presentation}
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "valid"
    assert set(checked.json()["fields"]) == {"holder_name", "face.vehicle_class"}
    # Once per verifier (each keeps its own replay cache; see docs/licences.md for the limit).
    again = client(fed, "340000").post(
        "/licences/presentations/verify", json={"presentation": presentation}
    )
    assert again.status_code == 403 and again.json()["reason"] == "replayed-token"
    assert (
        audit(fed.node("340000"), again.json()["audit_record"]).event
        == "licence.presentation-refused"
    )
