"""Errors raised by the search package (the portal maps them to CKAN errors)."""


class SearchQueryError(ValueError):
    """The q / fq / sort / paging parameters cannot be understood or are out of bounds."""


class SearchBackendError(RuntimeError):
    """The backend failed (unreachable, index missing, ...)."""
