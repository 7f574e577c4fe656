"""The mutual-recognition list (互认清单): matching rules and data minimisation.

The list itself lives in the signed federation registry
(:class:`signing.federation.RecognitionEntry`), so changing it takes the
federation authority's signature; this module reads it and builds the demo
edition the demo authority signs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from interregion.exchange import ExchangeRefused
from signing.federation import FederationRegistry, RecognitionEntry
from standards.licence_types import (
    BY_SLUG,
    FACE_PREFIX,
    METADATA_KEYS,
    LicenceType,
    releasable_fields,
)
from standards.regions import DELTA_PROVINCES


def match(
    registry: FederationRegistry,
    *,
    licence_type: str,
    scenario: str,
    requester_region: str,
    issuer_region: str,
) -> RecognitionEntry:
    """The entry that lets ``requester_region`` rely on this issuer's licence of this type
    for this scenario, or a refusal saying whether the type or the scenario is missing."""
    for_pair = [
        entry
        for entry in registry.recognition
        if entry.licence_type == licence_type
        and requester_region in entry.accepting
        and issuer_region in entry.issuers
    ]
    if not for_pair:
        raise ExchangeRefused(
            "type-not-recognised",
            f"{requester_region} does not recognise this licence type from {issuer_region}",
            403,
            requester_region,
        )
    entry = next((e for e in for_pair if e.scenario == scenario), None)
    if entry is None:
        raise ExchangeRefused(
            "scenario-not-recognised",
            f"the recognition list has no scenario {scenario!r} for this licence type",
            403,
            requester_region,
        )
    return entry


def find_entry(
    registry: FederationRegistry, *, licence_type: str, scenario: str, requester_region: str,
    issuer_region: str,
) -> RecognitionEntry | None:  # fmt: skip
    """Like :func:`match`, but None where :func:`match` refuses."""
    try:
        return match(
            registry, licence_type=licence_type, scenario=scenario,
            requester_region=requester_region, issuer_region=issuer_region,
        )  # fmt: skip
    except ExchangeRefused:
        return None


def minimise(entry: RecognitionEntry, requested: Iterable[str]) -> tuple[list[str], list[str]]:
    """(released, withheld): only what the scenario allows leaves; the rest is named."""
    wanted = list(dict.fromkeys(requested))
    allowed = set(entry.fields)
    return [f for f in wanted if f in allowed], [f for f in wanted if f not in allowed]


# --- the demo edition -----------------------------------------------------------------------

_WINDOW = ("licence_name", "holder_name", "holder_code_masked", "issuer_name", "valid_until")


def _all(licence_type: LicenceType) -> tuple[str, ...]:
    return releasable_fields(licence_type)


def _face(*keys: str) -> tuple[str, ...]:
    return tuple(FACE_PREFIX + key for key in keys)


# slug -> [(scenario, fields or None for all, credential)]
_DEMO: dict[str, list[tuple[str, Sequence[str] | None, bool]]] = {
    "resident-id-card": [
        ("school-enrolment", ("holder_name", *_face("name", "birth_date", "address")), False),
        ("employment", ("holder_name", "holder_code", *_face("name", "sex", "birth_date")), False),
        ("social-security-transfer", ("holder_name", "holder_code", *_face("name")), False),
        ("benefits", ("holder_name", "holder_code", *_face("name", "address")), False),
    ],
    "business-licence": [
        ("enterprise-registration", None, True),
        (
            "food-operations",
            (
                "holder_name",
                "holder_code",
                *_face("company_name", "uscc", "address", "business_scope"),
            ),
            False,
        ),
        (
            "transport-operations",
            (
                "holder_name",
                "holder_code",
                *_face("company_name", "uscc", "address", "business_scope"),
            ),
            False,
        ),
    ],
    "driving-licence": [
        ("vehicle-services", None, True),
        ("employment", ("holder_name", "valid_until", *_face("name", "vehicle_class")), False),
    ],
    "vehicle-licence": [("vehicle-services", None, True)],
    "marriage-certificate": [
        (
            "property-registration",
            ("holder_name", *_face("name", "spouse_name", "registered")),
            False,
        ),
        ("benefits", _face("name", "spouse_name"), False),
    ],
    "birth-certificate": [
        (
            "school-enrolment",
            _face("child_name", "sex", "birth_date", "mother_name", "father_name"),
            False,
        ),
    ],
    "social-security-card": [
        ("social-security-transfer", ("holder_name", *_face("name", "card_number")), False),
        ("employment", ("holder_name", *_face("card_number")), False),
    ],
    "real-estate-certificate": [
        ("property-registration", None, True),
        ("school-enrolment", _face("owner", "location"), False),
    ],
    "food-business-licence": [
        ("food-operations", None, True),
        (
            "enterprise-registration",
            ("holder_name", "holder_code", "valid_until", *_face("operator", "main_business")),
            False,
        ),
    ],
    "physician-practice-certificate": [
        ("practice-registration", None, True),
        ("employment", ("holder_name", *_face("name", "category", "scope")), False),
    ],
    "teacher-qualification": [
        (
            "employment",
            ("holder_name", *_face("name", "qualification", "subject", "certificate_number")),
            False,
        ),
        ("practice-registration", None, True),
    ],
    "disability-certificate": [
        ("benefits", ("holder_name", *_face("name", "category", "grade")), False)
    ],
    "road-transport-licence": [("transport-operations", None, True)],
    # 户口簿 (household-register) is deliberately absent: household registration stays with
    # the home region and is not mutually recognised.
}


def demo_recognition(regions: Sequence[str] = DELTA_PROVINCES) -> list[RecognitionEntry]:
    """Every recognised type, all four regions accepting all four, plus the window check."""
    entries = []
    for slug, lines in _DEMO.items():
        licence_type = BY_SLUG[slug]
        for scenario, fields, credential in [*lines, ("window-identity", _WINDOW, False)]:
            chosen = _all(licence_type) if fields is None else tuple(fields)
            unknown = set(chosen) - set(_all(licence_type))
            assert not unknown, (slug, unknown)  # a typo here would silently release nothing
            entries.append(
                RecognitionEntry(
                    licence_type=licence_type.code,
                    scenario=scenario,
                    accepting=tuple(regions),
                    issuers=tuple(regions),
                    fields=chosen,
                    credential=credential,
                )
            )
    return entries


assert set(METADATA_KEYS) >= set(_WINDOW)
