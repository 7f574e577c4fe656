"""Signing and trust: keys, certificates, XML-DSig (xmlsec), JWS/JWT (pyjwt), trust store.

A pure library (it imports only ``standards`` from this repository). Import
from the modules themselves -- ``signing.xmldsig.verify_xml``,
``signing.jwt.verify_jwt``, ``signing.registry_client.RegistryClient`` -- so
that using one part does not load the others. See docs/signing.md.
"""
