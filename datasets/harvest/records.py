"""What a gather brings home: records to import, problems to report, what the source still has."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datasets.schemas import TAG_MAX, TAG_MIN

# Tags our schema refuses are dropped, not the dataset (other catalogues allow more).
_TAG = re.compile(r"^[\w \-.]+$", re.UNICODE)
GUID_MAX = 800  # it is indexed; long enough for any sane URI
NAME_MAX = 90  # room for a "-N" suffix within CKAN's 100


class SourceError(Exception):
    """The source could not be read (unreachable, an error answer, unparseable): the job fails."""


@dataclass
class Record:
    """One dataset as the source has it, already in our package_create shape."""

    guid: str
    name: str
    data: dict[str, Any]
    # The organisation that publishes it at the source: name, title, uri, uscc.
    publisher: dict[str, Any] = field(default_factory=dict)
    original_id: str | None = None
    original_uri: str | None = None
    source_modified: str | None = None

    def content_hash(self) -> str:
        """What decides whether a re-run writes: the data and who publishes it."""
        payload = json.dumps(
            {"data": self.data, "publisher": self.publisher},
            sort_keys=True,
            ensure_ascii=False,
            default=str,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Problem:
    guid: str | None
    message: str


@dataclass
class Gathered:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # What the source has now, to find what it no longer has (None: unknown, so nothing
    # is withdrawn). CKAN sources list names, DCAT sources give every record's guid.
    present_guids: set[str] | None = None
    present_names: set[str] | None = None
    # The newest source-side modification time seen (CKAN: where the next run starts).
    watermark: str | None = None
    pages: int = 0
    # Guids of records the source has but that could not be read (kept, not withdrawn).
    unreadable: set[str] = field(default_factory=set)


# Reports "what" and a running count to whoever shows progress.
Progress = Callable[[str, int, int | None], None]


def quiet(_stage: str, _done: int, _total: int | None) -> None:
    return None


def clean_tags(raw: Any) -> list[dict[str, str]]:
    out: dict[str, None] = {}
    for tag in raw or ():
        name = tag.get("name") if isinstance(tag, dict) else tag
        if not isinstance(name, str):
            continue
        name = name.strip()
        if TAG_MIN <= len(name) <= TAG_MAX and _TAG.match(name):
            out[name] = None
    return [{"name": name} for name in out]


def check_guid(guid: Any) -> str | None:
    if not isinstance(guid, str) or not guid.strip() or len(guid) > GUID_MAX:
        return None
    return guid.strip()
