"""A node's registry client: the pinned authority key, and where the signed registry comes from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

from delta.settings import Settings
from signing.certificates import load_certificate_pem
from signing.keys import Purpose, TrustedKey, certificate_validity, trusted_key
from signing.keystore import AUTHORITY_ID, FEDERATION_ID, KeyDirectory
from signing.registry_client import RegistryClient

REFRESH_INTERVAL = timedelta(seconds=60)
RETRY_INTERVAL = timedelta(seconds=10)
FETCH_TIMEOUT_SECONDS = 10
MAX_REGISTRY_CHARS = 4 * 1024 * 1024


def pinned_authority_key(settings: Settings) -> TrustedKey:
    """The federation authority's key, from its certificate (configured, or the demo one)."""
    path = settings.node_authority_cert or KeyDirectory(settings.home_dir).authority_cert_path
    certificate = load_certificate_pem(Path(path).read_bytes())
    return trusted_key(
        certificate.public_key(),  # type: ignore[arg-type]
        issuer=AUTHORITY_ID,
        purposes={Purpose.REGISTRY},
        validity=certificate_validity(certificate),
        certificate=certificate,
    )


def registry_fetch(settings: Settings) -> Callable[[], str]:
    """Read the authority's file in the demo; fetch over HTTP when a URL is configured."""
    url = settings.node_registry_url
    if url:

        def over_http() -> str:
            response = httpx.get(url, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False)
            response.raise_for_status()
            if len(response.text) > MAX_REGISTRY_CHARS:
                raise ValueError("registry document too large")
            return response.text.strip()

        return over_http
    path = KeyDirectory(settings.home_dir).registry_path

    def from_file() -> str:
        return path.read_text("ascii").strip()

    return from_file


def open_registry_client(settings: Settings, *, cache_path: Path) -> RegistryClient:
    """A client with a last-good copy in the node's folder; the caller starts refreshing."""
    return RegistryClient(
        registry_fetch(settings),
        authority_keys=[pinned_authority_key(settings)],
        authority=AUTHORITY_ID,
        federation=FEDERATION_ID,
        refresh_interval=REFRESH_INTERVAL,
        retry_interval=RETRY_INTERVAL,
        cache_path=cache_path,
    )
