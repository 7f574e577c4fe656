"""SAML 2.0 messages between nodes: AuthnRequest, Response, metadata, and their checks."""
