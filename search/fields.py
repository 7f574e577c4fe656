"""The searchable fields of a CKAN package and how each one is matched.

Three kinds, as in CKAN's Solr schema: *text* fields are analysed (Chinese
segmentation, stemming, synonyms), *keyword* fields match a whole value
(compared after NFKC, traditional→simplified and case folding), *date* fields
take ranges with Solr date math.
"""

from __future__ import annotations

from typing import Literal

FieldKind = Literal["text", "keyword", "date"]

# Analysed text streams stored per dataset. Each stream is indexed twice: as
# words (segmented, with dictionary sub-words) and as grams (character bigrams),
# see search.analysis.
TEXT_STREAMS: tuple[str, ...] = (
    "title",
    "title_en",
    "notes",
    "notes_en",
    "tags",
    "organization",
    "groups",
    "res_name",
    "res_description",
    "author",
    "maintainer",
)

# Relative weight of each stream in relevance scoring (BM25F column weights).
# Titles say what a dataset is; notes and resources mostly repeat boilerplate.
STREAM_WEIGHTS: dict[str, float] = {
    "title": 8.0,
    "title_en": 8.0,
    "tags": 4.0,
    "organization": 1.5,
    "groups": 2.0,
    "notes": 1.5,
    "notes_en": 1.5,
    "res_name": 1.0,
    "res_description": 1.0,
    "author": 1.0,
    "maintainer": 1.0,
}

# Where catalogue words (名录, 实时, 地址) count: what a dataset says it is.
HEADLINE_STREAMS: tuple[str, ...] = ("title", "title_en", "tags")

# Text fields a q / fq may name, and the streams each one searches.
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": TEXT_STREAMS,
    "title": ("title",),
    "title_en": ("title_en",),
    "notes": ("notes",),
    "notes_en": ("notes_en",),
    "res_name": ("res_name",),
    "res_description": ("res_description",),
    "author": ("author",),
    "maintainer": ("maintainer",),
}

KEYWORD_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "state",
    "private",
    "tags",
    "organization",
    "groups",
    "res_format",
    "license_id",
    "region_code",
    "open_class",
    "theme",
    "update_frequency",
    # The province a dataset's region lies in (region_code itself also matches and
    # counts every region containing the dataset's: a province holds its cities).
    "province",
)

DATE_FIELDS: tuple[str, ...] = ("metadata_modified", "metadata_created")

FACET_FIELDS: tuple[str, ...] = (
    "organization",
    "groups",
    "tags",
    "res_format",
    "license_id",
    "region_code",
    "open_class",
    "theme",
    "province",
)

DEFAULT_FIELD = "text"


def kind_of(field: str) -> FieldKind | None:
    if field in TEXT_FIELDS:
        return "text"
    if field in KEYWORD_FIELDS:
        return "keyword"
    if field in DATE_FIELDS:
        return "date"
    return None


def searchable_fields() -> list[str]:
    return sorted({*TEXT_FIELDS, *KEYWORD_FIELDS, *DATE_FIELDS})
