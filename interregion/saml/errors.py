"""Why a SAML message was refused: a stable reason code, a message for people, and detail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signing.errors import (
    AmbiguousSignedElement,
    DigestMismatch,
    DuplicateId,
    KeyExpired,
    KeyNotYetValid,
    MultipleSignatures,
    ReferenceMismatch,
    RegistryRejected,
    SignatureInvalid,
    SignatureMissing,
    SignedElementMissing,
    SigningError,
    UntrustedKey,
    XmlRejected,
)


@dataclass
class SamlRefused(Exception):
    """Raised by every check; the router turns it into a clear page and an audit record.

    ``reason`` is a stable code (tests and the audit log rely on it);
    ``message`` is shown to the person; ``detail`` goes to the audit record
    and never contains personal data.
    """

    reason: str
    message: str
    detail: dict[str, Any] = field(default_factory=dict)
    peer: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


_WRAPPING = (AmbiguousSignedElement, DuplicateId, ReferenceMismatch, MultipleSignatures)


def refusal_from_signing(error: SigningError, *, what: str, peer: str = "") -> SamlRefused:
    """Name a signature failure the way a person (and the audit log) should read it."""
    detail = {"check": error.reason}
    if isinstance(error, DigestMismatch):
        reason, message = "tampered", f"the {what} was changed after it was signed"
    elif isinstance(error, _WRAPPING):
        reason = "signature-wrapping"
        message = f"the {what} holds copies of signed elements (signature wrapping)"
    elif isinstance(error, SignatureMissing | SignedElementMissing):
        reason, message = "unsigned", f"the {what} is not signed as required"
    elif isinstance(error, UntrustedKey | SignatureInvalid):
        reason = "signature-invalid"
        message = f"the {what} is not signed by a key the federation registry lists for its issuer"
    elif isinstance(error, KeyExpired | KeyNotYetValid):
        reason, message = "key-not-valid", f"the key that signed the {what} is not valid now"
    elif isinstance(error, XmlRejected):
        reason, message = "malformed", f"the {what} is not acceptable XML"
    elif isinstance(error, RegistryRejected):
        reason, message = "registry-unavailable", "the federation registry is not available"
    else:
        reason, message = "signature-rejected", f"the signature of the {what} was refused"
    return SamlRefused(reason, message, detail, peer=peer)
