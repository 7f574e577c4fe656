"""Package dicts shaped exactly as the portal's package_show prints them."""

from __future__ import annotations

import copy
from typing import Any

SITE = "https://data.delta.example"
PACKAGE_ID = "5b0c9a4e-0c8e-4a53-9c2f-0d8f7d3e1a01"
UPLOAD_ID = "0a1b2c3d-0000-4000-8000-000000000001"
LINK_ID = "0a1b2c3d-0000-4000-8000-000000000002"
API_ID = "0a1b2c3d-0000-4000-8000-000000000003"
SHA256 = "cc952ba31bd4b82c8eb6f9fa038a2603abe6e0065c1d46d38cca4dd84e8bda40"
REAL_LINK = "https://files.pudong.example/parking/2024.csv"

ORGANIZATION = {
    "id": "9d6f6a58-1111-4222-8333-444455556666",
    "name": "pudong-construction-transport",
    "title": "上海市浦东新区建设和交通委员会",
    "title_en": "Pudong New Area Construction and Transportation Commission",
    "region_code": "310115",
    "uscc": "11310115DELTA0009R",
}

SCHEMA = {
    "fields": [
        {"name": "lot_id", "type": "string", "title": "停车场编号"},
        {"name": "spaces", "type": "integer", "title": "泊位数"},
    ],
    "primaryKey": ["lot_id"],
}


def unconditional() -> dict[str, Any]:
    base = f"{SITE}/dataset/{PACKAGE_ID}/resource"
    return {
        "id": PACKAGE_ID,
        "name": "pudong-parking-lots",
        "title": "浦东新区公共停车场信息",
        "notes": "浦东新区公共停车场的位置、泊位数和收费标准，每月更新。",
        "title_en": "Public car parks in Pudong",
        "notes_en": "Location, spaces and tariffs of public car parks in Pudong; monthly.",
        "license_id": "cc-by-4.0",
        "version": "2.1",
        "state": "active",
        "private": False,
        "type": "dataset",
        "owner_org": ORGANIZATION["id"],
        "organization": dict(ORGANIZATION),
        "maintainer_email": "open-data@pudong.example",
        "metadata_created": "2024-01-05T08:00:00.123456",
        "metadata_modified": "2024-06-30T09:15:00.654321",
        "region_code": "310115",
        "open_class": "unconditional",
        "update_frequency": "monthly",
        "theme": "道路交通",
        "temporal_start": "2024-01",
        "temporal_end": "2024-06-30",
        "tags": [{"name": "停车"}, {"name": "交通"}],
        "extras": [],
        "resources": [
            {
                "id": UPLOAD_ID,
                "package_id": PACKAGE_ID,
                "name": "停车场名录",
                "description": "每行一个停车场。",
                "url": f"{base}/{UPLOAD_ID}/download/parking.csv",
                "url_type": "upload",
                "format": "CSV",
                "mimetype": "text/csv",
                "size": 91752,
                "hash": SHA256,
                "schema": copy.deepcopy(SCHEMA),
                "created": "2024-01-05T08:00:01",
                "last_modified": "2024-06-30T09:15:00",
            },
            {
                "id": LINK_ID,
                "package_id": PACKAGE_ID,
                "name": "历史数据",
                "url": REAL_LINK,
                "url_type": None,
                "format": "XLSX",
                "size": None,
                "hash": "",
            },
            {
                "id": API_ID,
                "package_id": PACKAGE_ID,
                "name": "实时泊位接口",
                "url": "https://api.pudong.example/parking/v1",
                "format": "API",
            },
        ],
    }


def conditional() -> dict[str, Any]:
    """The same dataset, conditionally open, as its public dict prints it (links replaced
    by the portal's access-controlled URL) -- or, with ``revealed``, as a grantee sees it."""
    package = unconditional()
    package["open_class"] = "conditional"
    return package


def with_harvest(package: dict[str, Any]) -> dict[str, Any]:
    package["harvest"] = {
        "source_id": "b1c2d3e4-0000-4000-8000-00000000000a",
        "source_name": "hangzhou-portal",
        "source_title": "杭州市公共数据开放平台",
        "source_url": "https://data.hangzhou.example",
        "original_id": "orig-42",
        "original_uri": "https://data.hangzhou.example/dataset/orig-42",
        "harvested_at": "2024-07-01T00:00:00",
    }
    return package
