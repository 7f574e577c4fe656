"""Every check of interregion/saml, one at a time, without a node: a small federation
registry of three members with P-256 keys, Responses and AuthnRequests built by the real
builders and signed with those keys (``edit``: changed, then signed again by the same key,
to reach the checks behind the signatures). Runs in well under a second per test, so a
mutation run (scripts/mutation-run saml) can afford it for every mutant.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree

from interregion.identity.levels import Level
from interregion.saml import authn_request, bindings, names, validation
from interregion.saml.errors import SamlRefused, refusal_from_signing
from interregion.saml.response import AssertionContent, build_response, build_status_response
from signing import errors as signing_errors
from signing.federation import FederationRegistry, Member, registered_key
from signing.keys import ALL_MEMBER_PURPOSES, Purpose, SigningKey, generate_signing_key
from signing.replay import MemoryReplayCache
from signing.xml_parsing import XmlLimits
from signing.xmldsig import sign_element

NOW = datetime(2026, 6, 1, 8, 0, 0, tzinfo=UTC)
SKEW = timedelta(seconds=30)
MAX_AGE = timedelta(minutes=5)
IDP, SP, SP_ONLY = "http://idp.test", "http://sp.test", "http://other.test"
ACS, SSO = f"{SP}/saml/acs", f"{IDP}/saml/sso"
REQUEST_ID = "_request-1"
SAML = names.SAML
STRANGER = generate_signing_key("ec-p256", purposes=ALL_MEMBER_PURPOSES, now=NOW - MAX_AGE)


def _key() -> SigningKey:
    # Valid for three days around NOW only: a builder that signs on the wall clock instead
    # of the ``now`` it was given fails here.
    return generate_signing_key(
        "ec-p256", purposes=ALL_MEMBER_PURPOSES, now=NOW - timedelta(days=1),
        lifetime=timedelta(days=3),
    )  # fmt: skip


IDP_ONLY = "http://idp-only.test"
KEYS = {IDP: _key(), SP: _key(), SP_ONLY: _key(), IDP_ONLY: _key()}


def _member(code: str, base: str, roles: tuple[str, ...]) -> Member:
    return Member(
        region_code=code,
        name=code,
        entity_id=f"{base}/saml/metadata",
        base_url=base,
        endpoints={"acs": f"{base}/saml/acs", "sso": f"{base}/saml/sso"},
        roles=roles,
        keys=(registered_key(KEYS[base], status="current"),),
    )


REGISTRY = FederationRegistry(
    federation="test",
    authority="test",
    serial=1,
    issued_at=NOW - timedelta(days=1),
    next_update=NOW + timedelta(days=1),
    members=(
        _member("310000", IDP, ("identity-provider", "service-provider")),
        _member("320000", SP, ("identity-provider", "service-provider")),
        _member("330000", SP_ONLY, ("service-provider",)),
        _member("340000", IDP_ONLY, ("identity-provider",)),
    ),
)
TRUST = REGISTRY.trust_store()


def entity(base: str) -> str:
    return f"{base}/saml/metadata"


def expect(now: datetime = NOW) -> validation.Expectations:
    return validation.Expectations(
        entity_id=entity(SP), acs_url=ACS, now=now, skew=SKEW, max_age=MAX_AGE,
        limits=XmlLimits(),
    )  # fmt: skip


def response(
    *,
    now: datetime = NOW,
    issuer: str = IDP,
    key: SigningKey | None = None,
    level: Level = Level.SUBSTANTIAL,
    values: dict[str, str] | None = None,
    lifetime: timedelta = MAX_AGE,
    edit: Callable[[Any], None] | None = None,
) -> bytes:
    content = AssertionContent(
        name_id="subject-1",
        audience=entity(SP),
        acs_url=ACS,
        in_response_to=REQUEST_ID,
        level=level,
        authn_instant=now - timedelta(seconds=10),
        session_index="_s1",
        values={"name": "张明", "home-region": "310000"} if values is None else values,
    )
    signer = key or KEYS[issuer]
    document = build_response(
        content, issuer=entity(issuer), key=signer, now=now, lifetime=lifetime
    )
    return resigned(document, key=signer, edit=edit) if edit else document


def resigned(document: bytes, *, key: SigningKey, edit: Callable[[Any], None]) -> bytes:
    root = etree.fromstring(document)
    for signature in list(root.iter(f"{{{names.DS}}}Signature")):
        signature.getparent().remove(signature)
    edit(root)
    for assertion in root.findall(names.ASSERTION):
        sign_element(assertion, key=key, purpose=Purpose.SAML, after=names.ISSUER, now=NOW)
    sign_element(root, key=key, purpose=Purpose.SAML, after=names.ISSUER, now=NOW)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def validate(document: bytes, now: datetime = NOW) -> validation.VerifiedResponse:
    return validation.validate_response(
        document, registry=REGISTRY, trust=TRUST, expect=expect(now)
    )


def readable(refusal: SamlRefused) -> SamlRefused:
    """Refusal pages and the audit log show the message: a sentence, not shouted, not empty."""
    message = refusal.message
    assert isinstance(message, str) and " " in message and "XX" not in message, message
    assert message != message.upper(), message
    assert isinstance(refusal.reason, str) and refusal.reason == refusal.reason.lower()
    return refusal


def refused(document: bytes, now: datetime = NOW) -> SamlRefused:
    with pytest.raises(SamlRefused) as caught:
        validate(document, now)
    return readable(caught.value)


def find(root: Any, tag: str) -> Any:
    element = root.find(f".//{{{SAML}}}{tag}")
    assert element is not None, tag
    return element


def assertion_of(root: Any) -> Any:
    return root.find(names.ASSERTION)


# --- a good Response, read field by field ------------------------------------------------


def test_a_good_response_is_read_exactly() -> None:
    document = response()
    root = etree.fromstring(document)
    verified = validate(document)
    assert verified.issuer.entity_id == entity(IDP) and verified.issuer.region_code == "310000"
    assert verified.response_id == root.get("ID")
    assert verified.assertion_id == assertion_of(root).get("ID")
    assert verified.in_response_to == REQUEST_ID
    assert verified.name_id == "subject-1"
    assert verified.level is Level.SUBSTANTIAL
    assert verified.authn_instant == NOW - timedelta(seconds=10)
    assert verified.session_index == "_s1"
    assert verified.not_on_or_after == NOW + MAX_AGE
    assert verified.values == {"name": "张明", "home-region": "310000"}


def test_a_response_without_attributes_or_session_index() -> None:
    def bare(root: Any) -> None:
        statement = find(root, "AttributeStatement")
        statement.getparent().remove(statement)
        del find(root, "AuthnStatement").attrib["SessionIndex"]

    verified = validate(response(edit=bare))
    assert verified.values == {} and verified.session_index == ""


def test_unknown_attributes_are_ignored_known_ones_kept() -> None:
    def extra(root: Any) -> None:
        statement = find(root, "AttributeStatement")
        attribute = etree.SubElement(
            statement, f"{{{SAML}}}Attribute", Name="urn:example:shoe-size",
            NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
        )  # fmt: skip
        etree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = "42"

    assert validate(response(edit=extra)).values == {"name": "张明", "home-region": "310000"}


@pytest.mark.parametrize("level", list(Level))
def test_each_level_is_read(level: Level) -> None:
    assert validate(response(level=level)).level is level


# --- before and at the signatures ----------------------------------------------------------


def test_not_xml_and_not_a_response() -> None:
    assert refused(b"<not xml").reason == "malformed"
    request = authn_request.build_authn_request(
        request_id=REQUEST_ID, issuer=entity(SP), destination=SSO, acs_url=ACS,
        min_level=Level.LOW, requested=["name"], key=KEYS[SP], now=NOW,
    )  # fmt: skip
    not_response = refused(request)
    assert not_response.reason == "malformed" and "not a SAML Response" in not_response.message


def test_a_response_breaking_the_schema() -> None:
    def extra_child(root: Any) -> None:
        etree.SubElement(root, f"{{{SAML}}}Nonsense")

    assert refused(response(edit=extra_child)).reason == "schema-invalid"


def test_an_unknown_issuer_and_a_member_that_is_no_identity_provider() -> None:
    def foreign(root: Any) -> None:
        for issuer in root.iter(names.ISSUER):
            issuer.text = "http://stranger.test/saml/metadata"

    unknown = refused(response(key=STRANGER, edit=foreign))
    assert unknown.reason == "unknown-issuer"
    assert unknown.detail == {"issuer": "http://stranger.test/saml/metadata"}
    not_idp = refused(response(issuer=SP_ONLY))
    assert not_idp.reason == "unknown-issuer" and not_idp.peer == "330000"


def test_a_refusal_names_the_peer() -> None:
    assert refused(response(key=STRANGER)).peer == "310000"


def test_a_response_signed_by_a_key_not_listed_for_its_issuer() -> None:
    # SP's key is in the registry, but for another member: not the issuer's.
    assert refused(response(key=KEYS[SP])).reason == "signature-invalid"
    assert refused(response(key=STRANGER)).reason == "signature-invalid"


def test_an_assertion_changed_after_signing() -> None:
    root = etree.fromstring(response())
    find(root, "NameID").text = "someone-else"
    assert refused(etree.tostring(root)).reason == "tampered"


def test_an_unsigned_assertion_in_a_signed_response() -> None:
    root = etree.fromstring(response())
    for signature in list(assertion_of(root).iter(f"{{{names.DS}}}Signature")):
        signature.getparent().remove(signature)
    sig = root.find(f"{{{names.DS}}}Signature")
    root.remove(sig)
    sign_element(root, key=KEYS[IDP], purpose=Purpose.SAML, after=names.ISSUER, now=NOW)
    assert refused(etree.tostring(root)).reason == "unsigned"


def test_encrypted_or_several_assertions() -> None:
    def encrypted(root: Any) -> None:
        etree.SubElement(root, f"{{{SAML}}}EncryptedAssertion")

    def twice(root: Any) -> None:
        copy = etree.fromstring(etree.tostring(assertion_of(root)))
        copy.set("ID", "_second")
        root.append(copy)

    def none(root: Any) -> None:
        root.remove(assertion_of(root))

    assert refused(response(edit=encrypted)).reason in {"malformed", "schema-invalid"}
    assert refused(response(edit=twice)).reason == "multiple-assertions"
    assert refused(response(edit=none)).reason == "no-assertion"


# --- the Response --------------------------------------------------------------------------


def _set(attribute: str, value: str, *, on: str = "response") -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        (root if on == "response" else assertion_of(root)).set(attribute, value)

    return edit


def test_version_of_response_and_assertion() -> None:
    assert refused(response(edit=_set("Version", "2.1"))).reason == "malformed"
    assert refused(response(edit=_set("Version", "2.1", on="assertion"))).reason == "malformed"


def test_an_assertion_issued_by_another_member() -> None:
    def other_issuer(root: Any) -> None:
        assertion_of(root).find(names.ISSUER).text = entity(SP)

    result = refused(response(edit=other_issuer))
    assert result.reason == "malformed" and "assertion" in result.message


def test_destination_and_recipient() -> None:
    wrong = f"{SP_ONLY}/saml/acs"
    assert refused(response(edit=_set("Destination", wrong))).reason == "wrong-destination"

    def recipient(root: Any) -> None:
        find(root, "SubjectConfirmationData").set("Recipient", wrong)

    assert refused(response(edit=recipient)).reason == "wrong-recipient"


def test_the_response_must_answer_a_request() -> None:
    def unanswered(root: Any) -> None:
        del root.attrib["InResponseTo"]

    assert refused(response(edit=unanswered)).reason == "malformed"


def test_the_assertion_answers_the_same_request_as_the_response() -> None:
    def other(root: Any) -> None:
        find(root, "SubjectConfirmationData").set("InResponseTo", "_request-2")

    def missing(root: Any) -> None:
        del find(root, "SubjectConfirmationData").attrib["InResponseTo"]

    for edit in (other, missing):
        result = refused(response(edit=edit))
        assert result.reason == "malformed" and "another request" in result.message


@pytest.mark.parametrize(
    ("sub_code", "reason"),
    [
        (names.STATUS_REQUEST_DENIED, "declined"),
        (names.STATUS_NO_AUTHN_CONTEXT, "level-not-available"),
        ("urn:oasis:names:tc:SAML:2.0:status:AuthnFailed", "idp-error"),
    ],
)
def test_status_codes(sub_code: str, reason: str) -> None:
    document = build_status_response(
        issuer=entity(IDP), key=KEYS[IDP], destination=ACS, in_response_to=REQUEST_ID,
        sub_code=sub_code, message="no", now=NOW,
    )  # fmt: skip
    result = refused(document)
    assert result.reason == reason
    top = names.STATUS_REQUESTER if reason == "declined" else names.STATUS_RESPONDER
    assert result.detail == {"status": top, "sub_status": sub_code}
    message = etree.fromstring(document).find(f".//{{{names.SAMLP}}}StatusMessage")
    assert message is not None and message.text == "no"


def test_a_failure_status_without_a_sub_code() -> None:
    def no_sub(root: Any) -> None:
        code = root.find(f"{{{names.SAMLP}}}Status/{{{names.SAMLP}}}StatusCode")
        code.set("Value", names.STATUS_RESPONDER)

    result = refused(response(edit=no_sub))
    assert result.reason == "idp-error" and result.detail["sub_status"] is None


def test_issue_instant_window() -> None:
    late = NOW + SKEW + timedelta(seconds=1)
    assert refused(response(now=late)).reason == "not-yet-valid"
    assert validate(response(now=NOW + SKEW)).in_response_to == REQUEST_ID
    old = NOW - MAX_AGE - SKEW
    assert validate(response(now=old, lifetime=MAX_AGE + SKEW)).in_response_to
    too_old = old - timedelta(seconds=1)
    assert refused(response(now=too_old, lifetime=MAX_AGE + SKEW)).reason == "expired"


# --- the Subject --------------------------------------------------------------------------


def test_subject_rules() -> None:
    def encrypted_id(root: Any) -> None:
        etree.SubElement(find(root, "Subject"), f"{{{SAML}}}EncryptedID")

    def transient(root: Any) -> None:
        find(root, "NameID").set("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient")

    def for_other(root: Any) -> None:
        find(root, "NameID").set("SPNameQualifier", entity(SP_ONLY))

    def holder_of_key(root: Any) -> None:
        find(root, "SubjectConfirmation").set(
            "Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
        )

    def not_before(root: Any) -> None:
        find(root, "SubjectConfirmationData").set("NotBefore", "2026-06-01T07:59:00Z")

    cases = {
        encrypted_id: "malformed",
        transient: "malformed",
        for_other: "wrong-audience",
        holder_of_key: "malformed",
        not_before: "malformed",
    }
    for edit, reason in cases.items():
        assert refused(response(edit=edit)).reason in {reason, "schema-invalid"}, edit.__name__
    assert refused(response(edit=transient)).reason == "malformed"
    assert refused(response(edit=for_other)).reason == "wrong-audience"
    assert refused(response(edit=holder_of_key)).reason == "malformed"
    assert refused(response(edit=not_before)).reason == "malformed"


def test_a_name_id_without_sp_name_qualifier_is_ours() -> None:
    def unqualified(root: Any) -> None:
        del find(root, "NameID").attrib["SPNameQualifier"]

    assert validate(response(edit=unqualified)).name_id == "subject-1"


def _confirmation_until(moment: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        find(root, "SubjectConfirmationData").set("NotOnOrAfter", moment)

    return edit


def test_bearer_confirmation_expiry_with_skew() -> None:
    # Conditions last the full five minutes; only the confirmation's time is changed.
    until = NOW + timedelta(minutes=1)
    document = response(edit=_confirmation_until("2026-06-01T08:01:00Z"))
    assert validate(document, until + SKEW - timedelta(seconds=1)).name_id
    assert refused(document, until + SKEW).reason == "expired"


# --- Conditions ---------------------------------------------------------------------------


def _conditions(**changes: str) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        conditions = find(root, "Conditions")
        for name, value in changes.items():
            conditions.set(name, value)

    return edit


def test_conditions_time_window() -> None:
    future = _conditions(NotBefore="2026-06-01T08:01:00Z")
    assert refused(response(edit=future)).reason == "not-yet-valid"
    assert validate(response(edit=future), NOW + timedelta(minutes=1) - SKEW).name_id
    short = _conditions(NotOnOrAfter="2026-06-01T08:01:00Z")
    assert validate(response(edit=short), NOW + timedelta(minutes=1) + SKEW - timedelta(seconds=1))
    assert refused(response(edit=short), NOW + timedelta(minutes=1) + SKEW).reason == "expired"


def test_conditions_valid_for_too_long() -> None:
    longest = NOW - timedelta(minutes=1) + MAX_AGE + SKEW
    just = _conditions(
        NotBefore="2026-06-01T07:59:00Z", NotOnOrAfter=longest.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert validate(response(edit=just)).name_id
    longer = _conditions(
        NotBefore="2026-06-01T07:59:00Z",
        NotOnOrAfter=(longest + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    result = refused(response(edit=longer))
    assert result.reason == "malformed" and "longer" in result.message


def test_conditions_must_carry_both_times() -> None:
    def no_end(root: Any) -> None:
        del find(root, "Conditions").attrib["NotOnOrAfter"]

    def no_start(root: Any) -> None:
        del find(root, "Conditions").attrib["NotBefore"]

    assert refused(response(edit=no_end)).reason == "malformed"
    assert refused(response(edit=no_start)).reason == "malformed"


def test_audiences() -> None:
    def none(root: Any) -> None:
        restriction = find(root, "AudienceRestriction")
        restriction.getparent().remove(restriction)

    def other(root: Any) -> None:
        find(root, "Audience").text = entity(SP_ONLY)

    def second_restriction(root: Any) -> None:
        restriction = etree.SubElement(find(root, "Conditions"), f"{{{SAML}}}AudienceRestriction")
        etree.SubElement(restriction, f"{{{SAML}}}Audience").text = entity(SP_ONLY)

    def two_audiences(root: Any) -> None:
        restriction = find(root, "AudienceRestriction")
        audience = etree.Element(f"{{{SAML}}}Audience")
        audience.text = entity(SP_ONLY)
        restriction.insert(0, audience)

    for edit in (none, other, second_restriction):
        assert refused(response(edit=edit)).reason == "wrong-audience", edit.__name__
    assert validate(response(edit=two_audiences)).name_id


def test_conditions_we_do_not_understand() -> None:
    def proxy(root: Any) -> None:
        conditions = find(root, "Conditions")
        conditions.insert(1, etree.Element(f"{{{SAML}}}ProxyRestriction", Count="0"))

    assert validate(response(edit=proxy)).name_id

    def unknown(root: Any) -> None:
        conditions = find(root, "Conditions")
        condition = etree.SubElement(conditions, f"{{{SAML}}}Condition")
        condition.set("{http://www.w3.org/2001/XMLSchema-instance}type", "saml:Anything")

    assert refused(response(edit=unknown)).reason in {"malformed", "schema-invalid"}

    def typed(root: Any) -> None:
        # Schema-valid (a known type under the abstract Condition), but not a condition
        # element this code reads: refused after the schema, by the code's own list.
        conditions = find(root, "Conditions")
        condition = etree.SubElement(conditions, f"{{{SAML}}}Condition", nsmap={"saml": SAML})
        condition.set("{http://www.w3.org/2001/XMLSchema-instance}type", "saml:OneTimeUseType")

    refusal = refused(response(edit=typed))
    assert refusal.reason == "malformed"
    assert refusal.message == "the assertion carries a condition we do not understand"


# --- AuthnStatement and attributes -------------------------------------------------------


def test_unknown_level() -> None:
    def ultra(root: Any) -> None:
        find(root, "AuthnContextClassRef").text = "urn:delta:loa:ultra"

    assert refused(response(edit=ultra)).reason == "unknown-level"


def test_attribute_rules() -> None:
    def wrong_format(root: Any) -> None:
        find(root, "Attribute").set(
            "NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:basic"
        )

    def twice(root: Any) -> None:
        statement = find(root, "AttributeStatement")
        statement.append(etree.fromstring(etree.tostring(find(root, "Attribute"))))

    def two_values(root: Any) -> None:
        attribute = find(root, "Attribute")
        etree.SubElement(attribute, f"{{{SAML}}}AttributeValue").text = "李四"

    def encrypted(root: Any) -> None:
        etree.SubElement(find(root, "AttributeStatement"), f"{{{SAML}}}EncryptedAttribute")

    def empty(root: Any) -> None:
        find(root, "AttributeValue").text = "  "

    for edit in (wrong_format, twice, two_values, encrypted, empty):
        assert refused(response(edit=edit)).reason in {"malformed", "schema-invalid"}, edit.__name__
    for edit in (wrong_format, twice, two_values, empty):
        assert refused(response(edit=edit)).reason == "malformed", edit.__name__


def test_long_values() -> None:
    assert validate(response(values={"name": "名" * 500})).values["name"] == "名" * 500
    assert refused(response(values={"name": "名" * 501})).reason == "malformed"


def test_name_id_length() -> None:
    def long_id(length: int) -> Callable[[Any], None]:
        def edit(root: Any) -> None:
            find(root, "NameID").text = "x" * length

        return edit

    assert validate(response(edit=long_id(256))).name_id == "x" * 256
    assert refused(response(edit=long_id(257))).reason == "malformed"


# --- refusal names for signing errors ------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (signing_errors.DigestMismatch("x"), "tampered"),
        (signing_errors.DuplicateId("x"), "signature-wrapping"),
        (signing_errors.AmbiguousSignedElement("x"), "signature-wrapping"),
        (signing_errors.ReferenceMismatch("x"), "signature-wrapping"),
        (signing_errors.MultipleSignatures("x"), "signature-wrapping"),
        (signing_errors.SignatureMissing("x"), "unsigned"),
        (signing_errors.SignedElementMissing("x"), "unsigned"),
        (signing_errors.UntrustedKey("x"), "signature-invalid"),
        (signing_errors.SignatureInvalid("x"), "signature-invalid"),
        (signing_errors.KeyExpired("x"), "key-not-valid"),
        (signing_errors.KeyNotYetValid("x"), "key-not-valid"),
        (signing_errors.XmlRejected("x"), "malformed"),
        (signing_errors.RegistryRejected("x"), "registry-unavailable"),
    ],
)
def test_signing_errors_are_named(error: signing_errors.SigningError, reason: str) -> None:
    refusal = refusal_from_signing(error, what="assertion", peer="310000")
    assert refusal.reason == reason and refusal.peer == "310000"
    assert refusal.detail == {"check": error.reason}
    assert str(refusal).startswith(f"{reason}: ")
    # People read the message: it names what was refused (or the registry).
    assert ("assertion" in refusal.message) != (reason == "registry-unavailable")
    assert refusal.message.startswith("the ") and "XX" not in refusal.message


def test_messages_of_signing_refusals() -> None:
    def message(error: signing_errors.SigningError) -> str:
        return refusal_from_signing(error, what="request").message

    assert message(signing_errors.DuplicateId("x")) == (
        "the request holds copies of signed elements (signature wrapping)"
    )
    assert message(signing_errors.UntrustedKey("x")) == (
        "the request is not signed by a key the federation registry lists for its issuer"
    )
    assert message(signing_errors.RegistryRejected("x")) == (
        "the federation registry is not available"
    )
    other = refusal_from_signing(signing_errors.SigningError("x"), what="request")
    assert (other.reason, other.message) == (
        "signature-rejected",
        "the signature of the request was refused",
    )
    assert other.peer == ""


# --- AuthnRequest --------------------------------------------------------------------------


def request(
    *, issuer: str = SP, key: SigningKey | None = None, now: datetime = NOW,
    edit: Callable[[Any], None] | None = None, level: Level = Level.SUBSTANTIAL,
    requested: list[str] | None = None, force_authn: bool = False,
) -> bytes:  # fmt: skip
    signer = key or KEYS[issuer]
    document = authn_request.build_authn_request(
        request_id=REQUEST_ID, issuer=entity(issuer), destination=SSO,
        acs_url=f"{issuer}/saml/acs", min_level=level,
        requested=["name", "citizen-id"] if requested is None else requested,
        key=signer, now=now, force_authn=force_authn,
    )  # fmt: skip
    if edit is None:
        return document
    root = etree.fromstring(document)
    root.remove(root.find(f"{{{names.DS}}}Signature"))
    edit(root)
    sign_element(root, key=signer, purpose=Purpose.SAML, after=names.ISSUER, now=now)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


LIFETIME = timedelta(minutes=5)


def read(
    document: bytes, *, now: datetime = NOW, cache: MemoryReplayCache | None = None
) -> authn_request.VerifiedAuthnRequest:
    return authn_request.read_authn_request(
        document, registry=REGISTRY, trust=TRUST, sso_url=SSO,
        replay_cache=cache if cache is not None else MemoryReplayCache(), now=now, skew=SKEW,
        lifetime=LIFETIME, limits=XmlLimits(),
    )  # fmt: skip


def request_refused(document: bytes, **kw: Any) -> SamlRefused:
    with pytest.raises(SamlRefused) as caught:
        read(document, **kw)
    return readable(caught.value)


def test_a_request_from_a_member_that_is_no_service_provider() -> None:
    result = request_refused(request(issuer=IDP_ONLY))
    assert result.reason == "unknown-issuer"
    assert result.message == "the sender is not registered as a service-provider"


def test_request_refusal_messages() -> None:
    def stranger(root: Any) -> None:
        root.find(names.ISSUER).text = "http://stranger.test/saml/metadata"

    assert request_refused(request(key=STRANGER, edit=stranger)).message == (
        "the sender is not a member of the federation"
    )
    assert request_refused(request(key=KEYS[IDP])).message == (
        "the request is not signed by a key the federation registry lists for its issuer"
    )


def test_a_good_request_is_read_exactly() -> None:
    verified = read(request(level=Level.HIGH, force_authn=True))
    assert verified.request_id == REQUEST_ID and verified.sp.entity_id == entity(SP)
    assert verified.acs_url == ACS and verified.min_level is Level.HIGH
    assert verified.requested == ["name", "citizen-id"] and verified.force_authn is True
    assert read(request()).force_authn is False
    # A service provider that is not an identity provider may ask too.
    assert read(request(issuer=SP_ONLY)).sp.region_code == "330000"


def test_a_request_is_used_once() -> None:
    cache = MemoryReplayCache()
    document = request()
    read(document, cache=cache)
    assert request_refused(document, cache=cache).reason == "replayed"


def test_request_that_is_no_request_or_breaks_the_schema() -> None:
    assert request_refused(b"<<").reason == "malformed"
    assert request_refused(response()).reason == "malformed"

    def nonsense(root: Any) -> None:
        etree.SubElement(root, f"{{{SAML}}}Nonsense")

    assert request_refused(request(edit=nonsense)).reason == "schema-invalid"


def test_request_issuers() -> None:
    def stranger(root: Any) -> None:
        root.find(names.ISSUER).text = "http://stranger.test/saml/metadata"

    unknown = request_refused(request(key=STRANGER, edit=stranger))
    assert unknown.reason == "unknown-issuer" and unknown.detail["issuer"].startswith("http://str")
    assert request_refused(request(key=KEYS[IDP])).reason == "signature-invalid"
    assert request_refused(request(key=KEYS[IDP])).peer == "320000"


def test_request_attributes_changed_after_signing() -> None:
    root = etree.fromstring(request())
    root.set("ForceAuthn", "true")
    assert request_refused(etree.tostring(root)).reason == "tampered"


@pytest.mark.parametrize(
    ("attribute", "value", "reason"),
    [
        ("Version", "2.1", "malformed"),
        ("Destination", f"{SP}/saml/sso", "wrong-destination"),
        ("AssertionConsumerServiceURL", f"{SP_ONLY}/saml/acs", "wrong-acs"),
        ("AssertionConsumerServiceIndex", "1", "malformed"),
        (
            "ProtocolBinding",
            "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            "unsupported-binding",
        ),
        ("IsPassive", "true", "unsupported"),
        ("ID", "_" + "x" * 200, "malformed"),
    ],
)
def test_request_attributes(attribute: str, value: str, reason: str) -> None:
    result = request_refused(request(edit=lambda root: root.set(attribute, value)))
    assert result.reason == reason, result


def test_request_defaults() -> None:
    def defaults(root: Any) -> None:
        for name in ("AssertionConsumerServiceURL", "ProtocolBinding", "ForceAuthn"):
            del root.attrib[name]
        root.remove(root.find(names.samlp("NameIDPolicy")))
        root.remove(root.find(names.samlp("Extensions")))

    verified = read(request(edit=defaults))
    assert verified.acs_url == ACS and verified.requested == ["name"]
    assert verified.force_authn is False
    assert read(request(edit=lambda r: r.set("IsPassive", "false"))).request_id
    assert read(request(edit=lambda r: r.set("ID", "_" + "x" * 199))).request_id


@pytest.mark.parametrize(
    ("name_format", "accepted"),
    [
        (names.NAMEID_PERSISTENT, True),
        ("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", True),
        ("urn:oasis:names:tc:SAML:2.0:nameid-format:transient", False),
        (None, True),
    ],
)
def test_name_id_policy(name_format: str | None, accepted: bool) -> None:
    def policy(root: Any) -> None:
        element = root.find(names.samlp("NameIDPolicy"))
        if name_format is None:
            del element.attrib["Format"]
        else:
            element.set("Format", name_format)

    if accepted:
        assert read(request(edit=policy)).request_id == REQUEST_ID
    else:
        assert request_refused(request(edit=policy)).reason == "unsupported-nameid"


def test_request_time_window() -> None:
    assert request_refused(request(now=NOW + SKEW + timedelta(seconds=1))).reason == (
        "not-yet-valid"
    )
    assert read(request(now=NOW + SKEW)).request_id
    oldest = NOW - LIFETIME - SKEW
    assert read(request(now=oldest)).request_id
    assert request_refused(request(now=oldest - timedelta(seconds=1))).reason == "expired"


def test_requested_levels() -> None:
    context = names.samlp("RequestedAuthnContext")

    def drop(root: Any) -> None:
        root.remove(root.find(context))

    def better(root: Any) -> None:
        root.find(context).set("Comparison", "better")

    def exact(root: Any) -> None:
        del root.find(context).attrib["Comparison"]

    def two(root: Any) -> None:
        etree.SubElement(
            root.find(context), f"{{{SAML}}}AuthnContextClassRef"
        ).text = Level.HIGH.uri

    def unknown(root: Any) -> None:
        root.find(context)[0].text = "urn:delta:loa:ultra"

    missing = request_refused(request(edit=drop))
    assert (missing.reason, missing.message) == (
        "level-missing",
        "the request does not say which level it needs",
    )
    assert request_refused(request(edit=better)).reason == "unsupported-level"
    assert read(request(edit=exact)).min_level is Level.SUBSTANTIAL
    assert request_refused(request(edit=two)).reason == "unsupported-level"
    assert request_refused(request(edit=unknown)).reason == "unsupported-level"


def test_requested_attributes_are_read_from_the_extensions_only() -> None:
    verified = read(request(requested=["name", "uscc", "nonsense"]))
    assert verified.requested == ["name", "uscc"]

    def unknown_only(root: Any) -> None:
        for node in root.iter(names.delta("RequestedAttribute")):
            node.set("Name", "urn:example:unknown")

    assert read(request(edit=unknown_only)).requested == ["name"]
    built = etree.fromstring(request(requested=["name", "citizen-id"]))
    required = {
        n.get("Name"): n.get("isRequired") for n in built.iter(names.delta("RequestedAttribute"))
    }
    assert set(required.values()) == {"true", "false"}  # the full ID needs explicit consent


# --- the POST binding ----------------------------------------------------------------------


def test_post_binding() -> None:
    document = response()
    field = bindings.encode_post_field(document)
    assert base64.b64decode(field) == document
    spaced = field[:10] + "\n " + field[10:]
    assert bindings.decode_post_field(spaced, field="SAMLResponse", max_bytes=len(document)) == (
        document
    )
    for value, reason in (
        ("", "missing-message"),
        ("  \n", "missing-message"),
        ("@@@@", "malformed"),
    ):
        with pytest.raises(SamlRefused) as caught:
            bindings.decode_post_field(value, field="SAMLResponse", max_bytes=1000)
        assert caught.value.reason == reason
    limit = 300
    fits = base64.b64encode(b"x" * limit).decode()
    assert bindings.decode_post_field(fits, field="f", max_bytes=limit) == b"x" * limit
    # The length check is a cheap bound before decoding: four characters of slack.
    assert len(bindings.decode_post_field(fits + "AAAA", field="f", max_bytes=limit)) == limit + 3
    with pytest.raises(SamlRefused) as caught:
        bindings.decode_post_field(fits + "AAAAA", field="f", max_bytes=limit)
    assert caught.value.reason == "too-large" and "f is larger than 300" in caught.value.message
    for value, message in (("", "the form field f is empty"), ("@@@@", "f is not base64")):
        with pytest.raises(SamlRefused) as caught:
            bindings.decode_post_field(value, field="f", max_bytes=limit)
        assert caught.value.message == message


def test_saml_ids() -> None:
    ids = {bindings.new_saml_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(i.startswith("_") and len(i) == 33 for i in ids)
