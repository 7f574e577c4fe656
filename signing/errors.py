"""Every way a signature, token, document or registry can be rejected.

One class per reason, so callers (and tests) can tell exactly why something
was refused, and HTTP adapters can map a reason to a problem type. All
rejections derive from :class:`VerificationError`; mistakes by the calling
code (an unusable signing key, an impossible argument) from
:class:`ConfigurationError`. Messages never contain key material or whole
tokens.
"""

from __future__ import annotations

from typing import ClassVar


class SigningError(Exception):
    """Base of everything this library raises on purpose."""

    reason: ClassVar[str] = "signing-error"


class ConfigurationError(SigningError):
    """The caller asked for something impossible (expired signing key, unknown algorithm)."""

    reason = "configuration-error"


class VerificationError(SigningError):
    """Untrusted input was rejected."""

    reason = "verification-error"


# --- hardened XML parsing -------------------------------------------------------------


class XmlRejected(VerificationError):
    reason = "xml-rejected"


class XmlTooLarge(XmlRejected):
    reason = "xml-too-large"


class XmlTooDeep(XmlRejected):
    reason = "xml-too-deep"


class XmlTooManyNodes(XmlRejected):
    reason = "xml-too-many-nodes"


class XmlDoctypeForbidden(XmlRejected):
    """DTDs are never needed here; refusing them defeats XXE and entity expansion bombs."""

    reason = "xml-doctype-forbidden"


class XmlEncodingNotAllowed(XmlRejected):
    """Only UTF-8 (and its ASCII subset): keeps the byte-level DOCTYPE screen exact."""

    reason = "xml-encoding-not-allowed"


class XmlMalformed(XmlRejected):
    reason = "xml-malformed"


# --- XML-DSig --------------------------------------------------------------------------


class XmlSignatureRejected(VerificationError):
    reason = "xml-signature-rejected"


class DuplicateId(XmlSignatureRejected):
    reason = "duplicate-id"


class SignedElementMissing(XmlSignatureRejected):
    reason = "signed-element-missing"


class AmbiguousSignedElement(XmlSignatureRejected):
    """More than one element of the kind being consumed: the shape of every wrapping attack."""

    reason = "ambiguous-signed-element"


class SignedElementIdInvalid(XmlSignatureRejected):
    reason = "signed-element-id-invalid"


class SignatureMissing(XmlSignatureRejected):
    reason = "signature-missing"


class MultipleSignatures(XmlSignatureRejected):
    reason = "multiple-signatures"


class MalformedSignature(XmlSignatureRejected):
    reason = "malformed-signature"


class ReferenceMismatch(XmlSignatureRejected):
    """The signature does not cover exactly the element being consumed."""

    reason = "reference-mismatch"


class DisallowedCanonicalization(XmlSignatureRejected):
    reason = "disallowed-canonicalization"


class DisallowedTransform(XmlSignatureRejected):
    reason = "disallowed-transform"


class DisallowedDigestAlgorithm(XmlSignatureRejected):
    reason = "disallowed-digest-algorithm"


class DisallowedSignatureAlgorithm(XmlSignatureRejected):
    reason = "disallowed-signature-algorithm"


class CommentInSignedContent(XmlSignatureRejected):
    """Comments vanish in canonical form, so they can split signed text unnoticed."""

    reason = "comment-in-signed-content"


class ProcessingInstructionInSignedContent(XmlSignatureRejected):
    reason = "processing-instruction-in-signed-content"


class MixedContent(XmlSignatureRejected):
    reason = "mixed-content"


class DigestMismatch(XmlSignatureRejected):
    """The signed content (or its recorded digest) was changed after signing."""

    reason = "digest-mismatch"


# --- keys and trust (shared by XML and JWS) --------------------------------------------


class SignatureInvalid(VerificationError):
    """The signature value does not verify with any trusted key."""

    reason = "signature-invalid"


class UntrustedKey(VerificationError):
    """No trusted key for this issuer and purpose, or the document names a key we do not trust."""

    reason = "untrusted-key"


class UnknownKeyId(UntrustedKey):
    reason = "unknown-key-id"


class KeyNotYetValid(VerificationError):
    reason = "key-not-yet-valid"


class KeyExpired(VerificationError):
    reason = "key-expired"


class UntrustedCertificate(VerificationError):
    reason = "untrusted-certificate"


# --- JWS / JWT -------------------------------------------------------------------------


class TokenRejected(VerificationError):
    reason = "token-rejected"


class MalformedToken(TokenRejected):
    reason = "malformed-token"


class UnsignedToken(TokenRejected):
    """``alg: none``."""

    reason = "unsigned-token"


class AlgorithmNotAllowed(TokenRejected):
    """Not an asymmetric algorithm we support, or not on the resolved key's allow-list."""

    reason = "algorithm-not-allowed"


class ForbiddenHeader(TokenRejected):
    """``jku``, ``x5u``, ``jwk``, ``x5c`` or ``crit``: keys come from the trust store only."""

    reason = "forbidden-header"


class WrongTokenType(TokenRejected):
    reason = "wrong-token-type"


class MissingKeyId(TokenRejected):
    reason = "missing-key-id"


class MissingClaim(TokenRejected):
    reason = "missing-claim"


class InvalidClaim(TokenRejected):
    reason = "invalid-claim"


class WrongIssuer(TokenRejected):
    reason = "wrong-issuer"


class WrongAudience(TokenRejected):
    reason = "wrong-audience"


class TokenExpired(TokenRejected):
    reason = "token-expired"


class TokenNotYetValid(TokenRejected):
    reason = "token-not-yet-valid"


class IssuedInFuture(TokenRejected):
    reason = "issued-in-future"


class LifetimeTooLong(TokenRejected):
    reason = "lifetime-too-long"


class ReplayedToken(TokenRejected):
    reason = "replayed-token"


class ReplayCacheUnavailable(TokenRejected):
    """Fail closed: if we cannot record a ``jti`` we cannot accept the token."""

    reason = "replay-cache-unavailable"


# --- federation registry ---------------------------------------------------------------


class RegistryRejected(VerificationError):
    reason = "registry-rejected"


class RegistryMalformed(RegistryRejected):
    reason = "registry-malformed"


class WrongFederation(RegistryRejected):
    reason = "wrong-federation"


class RegistryRollback(RegistryRejected):
    """An older (or conflicting same-serial) registry: a replay of stale trust."""

    reason = "registry-rollback"


class RegistryStale(RegistryRejected):
    """The newest good copy is older than the allowed maximum age."""

    reason = "registry-stale"


class RegistryUnavailable(RegistryRejected):
    """No verified registry has been obtained yet."""

    reason = "registry-unavailable"
