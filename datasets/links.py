"""Which links the catalogue keeps: http, https and ftp URLs, nothing else.

A link is printed by every read path and followed by browsers and clients;
``javascript:``, ``data:``, ``file:``, scheme-relative (``//host``) and other
schemes are refused by the input check here, by CHECK constraints in the
database (``RESOURCE_URL_CHECK``, ``PACKAGE_URL_CHECK``; migration 0004) and
again when dicts are printed (datasets.dictization).
"""

from __future__ import annotations

import re

SCHEMES = ("http", "https", "ftp")
MESSAGE = "Must be an http, https or ftp URL (such as https://example.org/data.csv)"
# A scheme we keep, "://", a host, then anything without whitespace (browsers drop
# tabs and newlines inside a URL, so "java\tscript:" must not pass as text).
_LINK = re.compile(r"(?:https?|ftp)://[^\s/?#\\]+[^\s]*", re.IGNORECASE)
_PREFIXES = " OR ".join(f"lower({{column}}) LIKE '{scheme}://%'" for scheme in SCHEMES)

# The database's own check. Uploaded files keep their stored file name (never a
# ':' or '/', see datasets.storage.safe_filename) in ``url``.
RESOURCE_URL_CHECK = (
    f"url = '' OR {_PREFIXES.format(column='url')} "
    "OR (url_type = 'upload' AND url NOT LIKE '%:%' AND url NOT LIKE '%/%')"
)
PACKAGE_URL_CHECK = f"url IS NULL OR url = '' OR {_PREFIXES.format(column='url')}"


def is_allowed(url: str | None) -> bool:
    """An empty value or an http(s)/ftp URL with a host."""
    return not url or bool(_LINK.fullmatch(url))


def is_url_key(key: str) -> bool:
    """Resource keys holding a link (``url``, ``download_url``, ``cache_url``, ...)."""
    return key.lower().endswith("url")
