"""Per-node licence state that lives in memory: the signed lists it serves and the lists
of other issuers it has verified (cached for their TTL)."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from interregion.licences.status_lists import StatusLists
from interregion.licences.verifier import MAX_LIST_CHARS, StatusListCache

if TYPE_CHECKING:
    from interregion.node import Node


@dataclass
class LicenceRuntime:
    published: StatusLists
    verified: StatusListCache


_runtimes: weakref.WeakKeyDictionary[Node, LicenceRuntime] = weakref.WeakKeyDictionary()


def runtime(node: Node) -> LicenceRuntime:
    found = _runtimes.get(node)
    if found is None:
        settings = node.settings
        found = LicenceRuntime(
            published=StatusLists(node),
            verified=StatusListCache(
                lambda url: node.exchange.fetch(url, max_chars=MAX_LIST_CHARS),
                ttl=timedelta(seconds=settings.licence_status_ttl_seconds),
                grace=timedelta(seconds=settings.licence_status_grace_seconds),
            ),
        )
        _runtimes[node] = found
    return found
