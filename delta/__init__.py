"""Shared kernel of the Delta Open Data Portal & Interchange.

Kept deliberately small: settings, database engine/session, domain errors,
logging and the `delta` command-line root. Products live in `open_portal/`
and `interregion/`; pure libraries in `standards/`, `signing/`, `search/`.
"""

__version__ = "0.1.0"
