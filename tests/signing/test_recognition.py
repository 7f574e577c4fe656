"""The mutual-recognition list travels in the signed registry: only the authority changes it."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from signing.errors import RegistryMalformed, SignatureInvalid
from signing.federation import RecognitionEntry, sign_registry, verify_registry
from signing.keys import SigningKey
from signing.truststore import TrustStore
from tests.signing.conftest import Federation
from tests.signing.registry_fixtures import AUTHORITY, FEDERATION, first_registry

ENTRY = RecognitionEntry(
    licence_type="11100000DELTA1001R002", scenario="vehicle-services",
    accepting=("310000", "320000"), issuers=("330000",),
    fields=("holder_name", "face.vehicle_class"), credential=True,
)  # fmt: skip


def _verify(token: str, federation: Federation):  # type: ignore[no-untyped-def]
    return verify_registry(
        token, authority_keys=TrustStore([federation.root_key.trusted(issuer=AUTHORITY)]),
        authority=AUTHORITY, federation=FEDERATION, max_age=timedelta(hours=1),
    )  # fmt: skip


def test_the_list_round_trips_through_the_signed_registry(
    federation: Federation, rsa_key: SigningKey
) -> None:
    registry = replace(first_registry({"310000": rsa_key}), recognition=(ENTRY,))
    verified = _verify(sign_registry(registry, authority_key=federation.root_key), federation)
    assert verified.recognition == (ENTRY,)


def test_changing_the_list_breaks_the_authoritys_signature(
    federation: Federation, rsa_key: SigningKey
) -> None:
    token = sign_registry(replace(first_registry({"310000": rsa_key}), recognition=(ENTRY,)),
                          authority_key=federation.root_key)  # fmt: skip
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["recognition"][0]["accepting"].append("340000")
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    with pytest.raises(SignatureInvalid):
        _verify(f"{header}.{forged}.{signature}", federation)


@pytest.mark.parametrize(
    "change",
    [
        {"licence_type": "not-a-type"},
        {"scenario": "Has Spaces"},
        {"accepting": ["31"]},
        {"fields": ["DROP TABLE"]},
        {"credential": "yes"},
    ],
)
def test_malformed_entries_are_refused(change: dict) -> None:
    with pytest.raises(RegistryMalformed):
        RecognitionEntry.from_json({**ENTRY.to_json(), **change})


def test_one_entry_per_type_and_scenario(rsa_key: SigningKey) -> None:
    with pytest.raises(RegistryMalformed):
        replace(first_registry({"310000": rsa_key}), recognition=(ENTRY, ENTRY))
