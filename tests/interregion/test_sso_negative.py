"""Done when: each of these is refused with a clear page and an audit record.

Every attack is made against the real nodes with a real browser session: a
genuine Response is captured on its way to the ACS (or one is signed with
the home node's real key, to reach the checks behind the signature), then
changed, replayed or redirected.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from interregion.clock import utcnow
from interregion.identity.levels import Level
from interregion.saml.authn_request import build_authn_request
from signing.xmldsig import sign_element
from tests.interregion import forge
from tests.interregion.browser import Browser, Page
from tests.interregion.cluster import Cluster
from tests.interregion.flows import (
    captured_response,
    consent,
    full_login,
    log_in,
    pending_request_id,
    person,
    start,
)
from tests.signing.xsw import ASSERTION_ATTACKS, EVIL, EVIL_NAME, RESPONSE_ATTACKS

HOME, SP, OTHER_SP = "310000", "320000", "330000"


def acs(cluster: Cluster, code: str) -> str:
    return f"{cluster.url(code)}/saml/acs"


def assert_refused(cluster: Cluster, page: Page, *, at: str, reason: str | set[str]) -> dict:
    """A clear page (403, the reason code shown) and a matching audit record; returns it."""
    reasons = {reason} if isinstance(reason, str) else reason
    assert page.status == 403, f"{page.status} {page.url}\n{page.text[:1500]}"
    shown = page.text_of("reason")
    assert shown in reasons, f"reason {shown!r}, expected {reasons}"
    seq = int(page.text_of("audit-seq"))
    record = cluster.audit_record(at, seq)
    assert record["outcome"] == "refused" and record["reason"] == shown
    assert record["event"].endswith("-refused")
    return record


def assert_not_logged_in(browser: Browser, cluster: Cluster, code: str) -> None:
    page = browser.get(f"{cluster.url(code)}/service")
    assert "/sso/choose" in page.url, "a refused response must not open a session"


# --- replay, wrong service, wrong browser -----------------------------------------------------


def test_replayed_response(cluster: Cluster, browser: Browser) -> None:
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "resident"))
    first = browser.post(acs(cluster, SP), captured.form.fields)
    assert first.url.endswith("/service") and first.status == 200
    again = browser.post(acs(cluster, SP), captured.form.fields)
    assert_refused(cluster, again, at=SP, reason="replayed")


def test_replay_from_another_browser(cluster: Cluster, browser: Browser) -> None:
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "resident"))
    assert browser.post(acs(cluster, SP), captured.form.fields).status == 200
    thief = Browser()
    try:
        page = thief.post(acs(cluster, SP), captured.form.fields)
        assert_refused(cluster, page, at=SP, reason="replayed")
        assert_not_logged_in(thief, cluster, SP)
    finally:
        thief.close()


def test_response_meant_for_another_service(cluster: Cluster, browser: Browser) -> None:
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "resident"))
    page = browser.post(acs(cluster, OTHER_SP), captured.form.fields)
    assert_refused(cluster, page, at=OTHER_SP, reason="wrong-destination")
    assert_not_logged_in(browser, cluster, OTHER_SP)


def test_response_for_another_audience(cluster: Cluster, browser: Browser) -> None:
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    document = forge.response(
        cluster, home=HOME, sp=SP, in_response_to=request_id, audience=cluster.entity_id(OTHER_SP)
    )
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="wrong-audience")


def test_response_posted_by_another_browser(cluster: Cluster, browser: Browser) -> None:
    """Login CSRF: the attacker's own valid Response, pushed into the victim's browser."""
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "resident"))
    victim = Browser()
    try:
        page = victim.post(acs(cluster, SP), captured.form.fields)
        assert_refused(cluster, page, at=SP, reason="not-this-browser")
        assert_not_logged_in(victim, cluster, SP)
    finally:
        victim.close()
    # The attack did not burn the request: the rightful browser still completes its login.
    assert browser.post(acs(cluster, SP), captured.form.fields).url.endswith("/service")


# --- time, content, level ------------------------------------------------------------------------


def test_expired_response(cluster: Cluster, browser: Browser) -> None:
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    document = forge.response(
        cluster, home=HOME, sp=SP, in_response_to=request_id,
        now=utcnow() - timedelta(minutes=4), lifetime=timedelta(minutes=2),
    )  # fmt: skip
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="expired")


def test_response_from_the_future(cluster: Cluster, browser: Browser) -> None:
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    document = forge.response(
        cluster, home=HOME, sp=SP, in_response_to=request_id, now=utcnow() + timedelta(minutes=3)
    )
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="not-yet-valid")


def test_tampered_attribute(cluster: Cluster, browser: Browser) -> None:
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "resident"))
    document = forge.change_attribute(captured.xml, "name", "张三丰")
    assert b"\xe5\xbc\xa0\xe4\xb8\x89\xe4\xb8\xb0" in document
    page = browser.post(acs(cluster, SP), captured.with_xml(document))
    record = assert_refused(cluster, page, at=SP, reason="tampered")
    assert record["peer"] == HOME
    assert_not_logged_in(browser, cluster, SP)


def test_assertion_valid_for_ages(cluster: Cluster, browser: Browser) -> None:
    """Validly signed, but valid until the year 9999: more than this node accepts (and the
    replay record kept until then could not even be computed)."""
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    now = utcnow()
    document = forge.response(
        cluster, home=HOME, sp=SP, in_response_to=request_id, now=now,
        lifetime=datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - now,
    )  # fmt: skip
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="malformed")
    assert_not_logged_in(browser, cluster, SP)


@pytest.mark.parametrize(
    ("element", "attribute", "value"),
    [
        ("Response", "IssueInstant", "0001-01-01T00:00:00+01:00"),
        ("Conditions", "NotOnOrAfter", "9999-12-31T23:59:59-01:00"),
        ("AuthnStatement", "AuthnInstant", "0001-01-01T00:30:00+14:00"),
    ],
)
def test_times_outside_the_calendar(
    cluster: Cluster, browser: Browser, element: str, attribute: str, value: str
) -> None:
    """Schema-valid xs:dateTime values that fall outside Python's calendar once in UTC."""
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    original = forge.response(cluster, home=HOME, sp=SP, in_response_to=request_id)

    def edit(root: etree._Element) -> None:
        target = root if element == "Response" else next(root.iter(f"{{{forge.SAML}}}{element}"))
        target.set(attribute, value)

    document = forge.resigned(original, key=cluster.signing_key(HOME), edit=edit)
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="malformed")


def test_level_too_low(cluster: Cluster, browser: Browser) -> None:
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)  # asks for substantial
    document = forge.response(cluster, home=HOME, sp=SP, in_response_to=request_id, level=Level.LOW)
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    record = assert_refused(cluster, page, at=SP, reason="level-too-low")
    assert '"asserted": "low"' in record["detail"]


def test_level_not_available_at_home(cluster: Cluster, browser: Browser) -> None:
    """A self-registered account (proofed low) cannot serve a substantial service: the home
    node says so in a signed Response, and the service refuses with a clear page."""
    visitor = person(HOME, "visitor")
    page = log_in(browser, start(browser, cluster, sp=SP, home=HOME), visitor)
    assert "/idp/unreachable" in page.url
    page = browser.follow_autoposts(page)
    assert_refused(cluster, page, at=SP, reason="level-not-available")
    home_record = cluster.last_audit(HOME, "idp.level-not-available")
    assert home_record["outcome"] == "refused"


def test_declined_consent(cluster: Cluster, browser: Browser) -> None:
    page = log_in(browser, start(browser, cluster, sp=SP, home=HOME), person(HOME, "resident"))
    page = browser.follow_autoposts(consent(browser, page, share_full_id=False, allow=False))
    assert_refused(cluster, page, at=SP, reason="declined")


# --- issuer and request binding -------------------------------------------------------------------


def test_unknown_issuer(cluster: Cluster, browser: Browser) -> None:
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    document = forge.response(
        cluster, home=HOME, sp=SP, in_response_to=request_id,
        issuer="http://127.0.0.1:9/saml/metadata", key=forge.foreign_key(),
    )  # fmt: skip
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    record = assert_refused(cluster, page, at=SP, reason="unknown-issuer")
    assert "127.0.0.1:9" in record["detail"]


def test_member_issuer_with_a_key_the_registry_does_not_list(
    cluster: Cluster, browser: Browser
) -> None:
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    document = forge.response(
        cluster, home=HOME, sp=SP, in_response_to=request_id, key=forge.foreign_key()
    )
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="signature-invalid")


def test_another_members_key_cannot_speak_for_the_home_node(
    cluster: Cluster, browser: Browser
) -> None:
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    document = forge.response(
        cluster, home=HOME, sp=SP, in_response_to=request_id, key=cluster.signing_key("340000")
    )
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="signature-invalid")


def test_in_response_to_not_pending(cluster: Cluster, browser: Browser) -> None:
    pending_request_id(browser, cluster, sp=SP, home=HOME)  # the browser has a binding cookie
    never_sent = "_" + "ab" * 16
    document = forge.response(cluster, home=HOME, sp=SP, in_response_to=never_sent)
    page = browser.post(acs(cluster, SP), forge.form_for(document, never_sent))
    assert_refused(cluster, page, at=SP, reason="in-response-to-not-pending")


def test_response_from_a_home_the_request_was_not_sent_to(
    cluster: Cluster, browser: Browser
) -> None:
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    document = forge.response(cluster, home="340000", sp=SP, in_response_to=request_id)
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="in-response-to-not-pending")


# --- signature wrapping: every variant, on a real Response ---------------------------------

ATTACKS = {**RESPONSE_ATTACKS, **ASSERTION_ATTACKS}
WRAPPING_REASONS = {
    "signature-wrapping",
    "multiple-assertions",
    "schema-invalid",
    "tampered",
    "unsigned",
    "malformed",
}
DS = "http://www.w3.org/2000/09/xmldsig#"


def as_an_attacker_would_send_it(document: bytes, *, strip_response_signature: bool) -> bytes:
    """Drop the test marker (a real attacker adds nothing schema-invalid) and, optionally,
    the Response's own signature (the classic move against SPs that only check assertions)."""
    root = etree.fromstring(document)
    for element in root.iter():
        element.attrib.pop(EVIL, None)
    if strip_response_signature:
        for signature in root.findall(f"{{{DS}}}Signature"):
            root.remove(signature)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("strip", [False, True], ids=["response-signed", "response-sig-removed"])
@pytest.mark.parametrize("same_id", [False, True], ids=["fresh-ids", "same-ids"])
@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_signature_wrapping(
    cluster: Cluster, browser: Browser, name: str, same_id: bool, strip: bool
) -> None:
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "resident"))
    wrapped = ATTACKS[name](captured.xml, same_id)
    wrapped = as_an_attacker_would_send_it(wrapped, strip_response_signature=strip)
    assert EVIL_NAME.encode() in wrapped
    page = browser.post(acs(cluster, SP), captured.with_xml(wrapped))
    assert_refused(cluster, page, at=SP, reason=WRAPPING_REASONS)
    assert_not_logged_in(browser, cluster, SP)
    # The attempt did not consume the pending request: the genuine Response still works.
    page = browser.post(acs(cluster, SP), captured.form.fields)
    assert page.url.endswith("/service") and EVIL_NAME not in page.text


def test_response_without_its_own_signature(cluster: Cluster, browser: Browser) -> None:
    """Only the Assertion signed is not enough: Destination, InResponseTo and Status must be too."""
    captured = captured_response(browser, cluster, sp=SP, home=HOME, who=person(HOME, "resident"))
    document = as_an_attacker_would_send_it(captured.xml, strip_response_signature=True)
    page = browser.post(acs(cluster, SP), captured.with_xml(document))
    assert_refused(cluster, page, at=SP, reason="unsigned")


# --- malformed input never gives a 500 ------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not base64!",
        "PGZvbz4=",
        "A" * 3_000_000,
        "PD94bWwgdmVyc2lvbj0iMS4wIj8+PCFET0NUWVBFIHg+PHgvPg==",
    ],
    ids=["empty", "not-base64", "not-saml", "huge", "doctype"],
)
def test_malformed_responses_are_refused_cleanly(
    cluster: Cluster, browser: Browser, value: str
) -> None:
    page = browser.post(acs(cluster, SP), {"SAMLResponse": value, "RelayState": "x"})
    assert 400 <= page.status < 500, page.status


def test_tampered_and_replayed_requests_at_the_home_node(
    cluster: Cluster, browser: Browser
) -> None:
    page = browser.get(f"{cluster.url(SP)}/sso/start?home={HOME}")
    form = page.form()
    request_xml = base64.b64decode(form.fields["SAMLRequest"])
    evil = request_xml.replace(acs(cluster, SP).encode(), b"http://127.0.0.1:9/steal")
    tampered = {**form.fields, "SAMLRequest": base64.b64encode(evil).decode()}
    refused = browser.post(form.action, tampered)
    assert_refused(cluster, refused, at=HOME, reason="tampered")
    assert browser.post(form.action, form.fields).status == 200  # the genuine one
    replayed = browser.post(form.action, form.fields)
    assert_refused(cluster, replayed, at=HOME, reason="replayed")


def test_two_validly_signed_assertions(cluster: Cluster, browser: Browser) -> None:
    """Exactly one assertion, even when both are genuine and the Response is signed."""
    request_id = pending_request_id(browser, cluster, sp=SP, home=HOME)
    key = cluster.signing_key(HOME)
    root = etree.fromstring(forge.response(cluster, home=HOME, sp=SP, in_response_to=request_id))
    second = etree.fromstring(
        forge.response(cluster, home=HOME, sp=SP, in_response_to=request_id, name="另一人")
    ).find(f"{{{forge.SAML}}}Assertion")
    root.remove(root.find(f"{{{DS}}}Signature"))
    root.append(second)
    sign_element(root, key=key, purpose="saml", after=f"{{{forge.SAML}}}Issuer")
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    page = browser.post(acs(cluster, SP), forge.form_for(document, request_id))
    assert_refused(cluster, page, at=SP, reason="multiple-assertions")


def test_the_home_node_answers_only_the_registered_acs(cluster: Cluster, browser: Browser) -> None:
    """A correctly signed AuthnRequest asking for the answer somewhere else is refused."""
    document = build_authn_request(
        request_id="_" + "cd" * 16,
        issuer=cluster.entity_id(SP),
        destination=f"{cluster.url(HOME)}/saml/sso",
        acs_url="http://127.0.0.1:9/steal",
        min_level=Level.SUBSTANTIAL,
        requested=["name"],
        key=cluster.signing_key(SP),
        now=utcnow(),
    )
    form = {"SAMLRequest": base64.b64encode(document).decode(), "RelayState": "r"}
    page = browser.post(f"{cluster.url(HOME)}/saml/sso", form)
    assert_refused(cluster, page, at=HOME, reason="wrong-acs")


def test_a_request_issued_outside_the_calendar(cluster: Cluster, browser: Browser) -> None:
    """A signed AuthnRequest whose IssueInstant is a valid xs:dateTime before year 1 in UTC."""
    document = build_authn_request(
        request_id="_" + "ab" * 16,
        issuer=cluster.entity_id(SP),
        destination=f"{cluster.url(HOME)}/saml/sso",
        acs_url=acs(cluster, SP),
        min_level=Level.SUBSTANTIAL,
        requested=["name"],
        key=cluster.signing_key(SP),
        now=utcnow(),
    )
    root = etree.fromstring(document)
    root.remove(root.find(f"{{{DS}}}Signature"))
    root.set("IssueInstant", "0001-01-01T00:00:00+01:00")
    sign_element(root, key=cluster.signing_key(SP), purpose="saml", after=f"{{{forge.SAML}}}Issuer")
    form = {"SAMLRequest": base64.b64encode(etree.tostring(root)).decode(), "RelayState": "r"}
    page = browser.post(f"{cluster.url(HOME)}/saml/sso", form)
    assert_refused(cluster, page, at=HOME, reason="malformed")


def test_the_home_node_refuses_unknown_services(cluster: Cluster, browser: Browser) -> None:
    document = build_authn_request(
        request_id="_" + "ef" * 16,
        issuer="http://127.0.0.1:9/saml/metadata",
        destination=f"{cluster.url(HOME)}/saml/sso",
        acs_url="http://127.0.0.1:9/saml/acs",
        min_level=Level.SUBSTANTIAL,
        requested=["name"],
        key=forge.foreign_key(),
        now=utcnow(),
    )
    form = {"SAMLRequest": base64.b64encode(document).decode()}
    page = browser.post(f"{cluster.url(HOME)}/saml/sso", form)
    assert_refused(cluster, page, at=HOME, reason="unknown-issuer")


def test_starting_a_login_for_an_unknown_region(cluster: Cluster, browser: Browser) -> None:
    page = browser.get(f"{cluster.url(SP)}/sso/start?home=110000")
    assert page.status == 404 and page.text_of("reason") == "unknown-region"
    assert cluster.audit_record(SP, int(page.text_of("audit-seq")))["outcome"] == "refused"


def test_full_login_still_works_after_the_attacks(cluster: Cluster, browser: Browser) -> None:
    page = full_login(browser, cluster, sp=SP, who=person(HOME, "company"), home=HOME)
    assert page.url.endswith("/service")
