"""Signing and trust: keys, certificates, XML-DSig (xmlsec), JWS/JWT (pyjwt), trust store."""
