"""What the registry says about each node: its URLs, endpoints and roles.

Entity IDs are the metadata URLs, as eIDAS nodes do; a node that moves to
another address is, for SAML, another entity, and its pairwise identifiers
change with it (they are derived from the relying node's entity ID).
"""

from __future__ import annotations

from typing import Any

from signing.federation import ROLES
from standards.regions import DELTA_PROVINCES, name_of

# The path of every endpoint a node serves, below its base URL.
ENDPOINT_PATHS = {
    "saml_metadata": "/saml/metadata",
    "sso": "/saml/sso",
    "acs": "/saml/acs",
    "identity_assertion": "/idp/identity-assertions",
    "jwks": "/federation/jwks",
    "registry": "/federation/registry",
    # Served by the licence and window work (issues of their own); listed so peers find them.
    "licence_verify": "/licences/verify",
    "licence_status": "/licences/status",
    "licence_presentation_verify": "/licences/presentations/verify",
    "cases": "/cases",
    # The case exchange (interregion/cases/protocol.py): one endpoint per message kind.
    "case_submission": "/cases/exchange/submissions",
    "case_status": "/cases/exchange/status",
    "case_materials": "/cases/exchange/materials",
    "case_matters": "/cases/exchange/matters",
}
NODE_PORT_OFFSETS = {code: index for index, code in enumerate(DELTA_PROVINCES, start=1)}


def base_url(host: str, port: int) -> str:
    return f"http://{host}:{port}"


def demo_base_urls(host: str, base_port: int) -> dict[str, str]:
    """The portal on ``base_port``; nodes 310000, 320000, 330000, 340000 on the next four."""
    return {code: base_url(host, base_port + offset) for code, offset in NODE_PORT_OFFSETS.items()}


def member_config(region_code: str, url: str) -> dict[str, Any]:
    """One entry of ``federation/members.json`` (the editable input of the registry)."""
    url = url.rstrip("/")
    return {
        "name": name_of(region_code),
        "entity_id": f"{url}{ENDPOINT_PATHS['saml_metadata']}",
        "base_url": url,
        "endpoints": {name: f"{url}{path}" for name, path in ENDPOINT_PATHS.items()},
        "roles": list(ROLES),
    }
