"""SAML 2.0 Web SSO between nodes: the relying side (SP) and the home side (IdP)."""
