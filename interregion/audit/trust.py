"""Which keys may have signed a node's audit records: every key it ever had, retired ones too."""

from __future__ import annotations

from pathlib import Path

from signing.certificates import load_certificate_pem
from signing.keys import Purpose, certificate_validity, trusted_key
from signing.keystore import KeyDirectory
from signing.truststore import TrustStore


def region_audit_trust(home: Path, region_code: str) -> TrustStore:
    """Public keys from the region's certificates; each is checked at the record's own time."""
    folder = KeyDirectory(home).region_dir(region_code)
    paths = sorted(folder.glob("*.cert.pem")) + sorted((folder / "retired").glob("*.cert.pem"))
    keys = []
    for path in paths:
        certificate = load_certificate_pem(path.read_bytes())
        keys.append(
            trusted_key(
                certificate.public_key(),  # type: ignore[arg-type]
                issuer=region_code,
                purposes={Purpose.JWT},
                validity=certificate_validity(certificate),
                certificate=certificate,
            )
        )
    return TrustStore(keys)
