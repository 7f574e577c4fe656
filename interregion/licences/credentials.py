"""Licences and status lists as W3C Verifiable Credentials 2.0 secured with JOSE (VC-JWT).

The JWS payload *is* the credential (``typ: vc+jwt``): ``@context``, ``type``,
``issuer`` (the node's entity ID, as the registry lists it), ``validFrom`` /
``validUntil``, ``credentialSubject`` (holder, licence metadata, face data) and
``credentialStatus`` (two ``BitstringStatusListEntry`` items: revocation and
suspension). ``iss``/``iat``/``jti`` repeat what the credential says, for JOSE
tooling. The node signs with its registry ``current`` key for JWTs, so anyone
with the registry (or the node's JWKS) can verify it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from interregion.licences.dates import end_of, iso_z, start_of
from interregion.licences.models import Licence
from signing.federation import Member
from signing.jws import sign_jws
from signing.keys import Purpose, SigningKey
from standards.licence_types import LicenceType

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_TYP = "vc+jwt"
LICENCE_CREDENTIAL_TYPE = "ElectronicLicenceCredential"
STATUS_LIST_CREDENTIAL_TYPE = "BitstringStatusListCredential"
PURPOSES = ("revocation", "suspension")


def status_list_url(member: Member, purpose: str) -> str:
    return f"{member.base_url}/licences/status/{purpose}"


def licence_urn(identifier: str) -> str:
    return f"urn:delta:licence:{identifier}"


def licence_claims(
    licence: Licence, *, licence_type: LicenceType, member: Member
) -> dict[str, Any]:
    indexes = {"revocation": licence.revocation_index, "suspension": licence.suspension_index}
    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": licence_urn(licence.identifier),
        "type": ["VerifiableCredential", LICENCE_CREDENTIAL_TYPE],
        "name": licence.name,
        "issuer": {"id": member.entity_id, "name": member.name, "region": member.region_code},
        "validFrom": start_of(licence.valid_from),
        "credentialSubject": {
            "type": "LicenceHolder",
            "holder": {
                "name": licence.holder_name,
                "code": licence.holder_code,
                "codeType": licence.holder_code_kind,
            },
            "licence": {
                "identifier": licence.identifier,
                "typeCode": licence_type.code,
                "typeName": licence_type.name,
                "number": licence.number,
                "version": licence.version,
                "issuer": {"name": licence.issuer_name, "code": licence.issuer_uscc},
                "issueDate": licence.issue_date.isoformat(),
            },
            "faceData": dict(licence.face_data),
        },
        "credentialStatus": [
            {
                "id": f"{status_list_url(member, purpose)}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(index),
                "statusListCredential": status_list_url(member, purpose),
            }
            for purpose, index in indexes.items()
        ],
    }
    if licence.valid_until is not None:
        credential["validUntil"] = end_of(licence.valid_until)
    return credential


def sign_credential(credential: dict[str, Any], *, key: SigningKey, now: datetime) -> str:
    """The VC-JWT: JOSE registered claims added (``iss`` = ``issuer.id``, ``jti`` = ``id``)."""
    claims = {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "iat": int(now.timestamp()),
    }
    body = json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return sign_jws(body, key=key, purpose=Purpose.JWT, typ=VC_TYP, now=now)


def status_list_claims(
    *, member: Member, purpose: str, encoded: str, now: datetime, valid_for: timedelta,
    ttl: timedelta,
) -> dict[str, Any]:  # fmt: skip
    url = status_list_url(member, purpose)
    return {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", STATUS_LIST_CREDENTIAL_TYPE],
        "issuer": {"id": member.entity_id, "name": member.name},
        "validFrom": iso_z(now),
        "validUntil": iso_z(now + valid_for),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
            "ttl": int(ttl.total_seconds() * 1000),
        },
    }
