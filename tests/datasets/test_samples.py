"""The bundled sample catalog (datasets/samples): valid, complete, plausible, reproducible."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import frictionless
import pytest

from standards import regions, themes
from standards.identifiers.citizen_id import is_valid_citizen_id
from standards.identifiers.uscc import is_valid_uscc
from standards.open_classes import OpenClass

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "datasets" / "samples"
PACKAGES = sorted(path.parent.name for path in SAMPLES.glob("*/datapackage.json"))

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")
ORG_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
CJK = re.compile(r"[\u4e00-\u9fff]")
LICENCES = {"cc-by-4.0", "cc0-1.0", "odc-by", "other-open"}
FREQUENCIES = {"realtime", "daily", "weekly", "monthly", "quarterly", "yearly"}
CATALOG_KEYS = {
    "organization",
    "region_code",
    "theme",
    "open_class",
    "update_frequency",
    "title_en",
    "notes_en",
    "temporal_start",
    "temporal_end",
}
# Generous WGS84 boxes (west, south, east, north) of the four provinces.
PROVINCE_BOXES = {
    "310000": (120.85, 30.67, 122.20, 31.88),
    "320000": (116.35, 30.75, 121.95, 35.15),
    "330000": (118.00, 27.00, 123.20, 31.20),
    "340000": (114.90, 29.40, 119.70, 34.70),
}
MEDIATYPES = {"csv": "text/csv", "json": "application/json"}


@cache
def descriptor(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name / "datapackage.json").read_text("utf-8"))


@cache
def organizations() -> dict[str, dict[str, Any]]:
    rows = json.loads((SAMPLES / "organizations.json").read_text("utf-8"))
    return {row["name"]: row for row in rows}


@cache
def rows_of(name: str, resource: str) -> list[dict[str, Any]]:
    """A resource's rows as dicts (CSV cells stay strings, JSON values keep their type)."""
    spec = next(r for r in descriptor(name)["resources"] if r["name"] == resource)
    text = (SAMPLES / name / spec["path"]).read_text("utf-8")
    if spec["format"] == "json":
        return json.loads(text)
    return list(csv.DictReader(io.StringIO(text)))


def resources(name: str) -> list[dict[str, Any]]:
    return descriptor(name)["resources"]


# --- the set as a whole ------------------------------------------------------------------


def test_there_are_enough_packages_and_every_folder_is_one() -> None:
    assert len(PACKAGES) >= 36
    folders = {p.name for p in SAMPLES.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(PACKAGES), "every sample folder holds a datapackage.json"


def test_package_names_are_unique_and_match_their_folders() -> None:
    names = [descriptor(name)["name"] for name in PACKAGES]
    assert names == PACKAGES
    assert len(set(names)) == len(names)


def test_the_mix_of_regions_themes_classes_and_frequencies() -> None:
    catalogs = [descriptor(name)["catalog"] for name in PACKAGES]
    provinces = Counter(regions.province_of(c["region_code"]) for c in catalogs)
    assert 10 <= provinces["310000"] <= 14
    for province in ("320000", "330000", "340000"):
        assert 7 <= provinces[province] <= 10, province
    assert {c["theme"] for c in catalogs} == {theme.name for theme in themes.THEMES}
    classes = Counter(c["open_class"] for c in catalogs)
    assert classes["closed"] == 2
    assert 4 <= classes["conditional"] <= 6
    assert classes["unconditional"] == len(catalogs) - 2 - classes["conditional"]
    frequencies = Counter(c["update_frequency"] for c in catalogs)
    assert set(frequencies) == FREQUENCIES, "every update frequency occurs"


def test_organisations_are_complete_and_each_publishes() -> None:
    orgs = organizations()
    assert 16 <= len(orgs) <= 20
    raw = json.loads((SAMPLES / "organizations.json").read_text("utf-8"))
    assert len(raw) == len(orgs), "organisation names are unique"
    for org in raw:
        assert set(org) == {"name", "title", "title_en", "region_code", "description", "uscc"}
        assert is_valid_uscc(org["uscc"]) and org["uscc"][2:8] == org["region_code"]
        assert ORG_SLUG.match(org["name"]), org["name"]
        assert CJK.search(org["title"])
        assert org["title_en"].isascii()
        assert regions.is_known(org["region_code"]), org["region_code"]
        assert regions.is_delta_region(org["region_code"])
        assert CJK.search(org["description"])
        assert org["description"].endswith("。")
    provinces = {regions.province_of(org["region_code"]) for org in raw}
    assert provinces == set(regions.DELTA_PROVINCES)
    publishing = {descriptor(name)["catalog"]["organization"] for name in PACKAGES}
    assert publishing == set(orgs), "every organisation publishes at least one package"


def test_the_whole_set_stays_small() -> None:
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < 5_000_000


def test_the_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SAMPLES / "_generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(SAMPLES)
        for p in SAMPLES.rglob("*")
        if p.is_file() and p.parts[len(SAMPLES.parts)][0] not in "_."
    )
    assert generated == committed
    for relative in generated:
        assert (tmp_path / relative).read_bytes() == (SAMPLES / relative).read_bytes(), relative


@pytest.mark.parametrize("name", ["sh-air-quality-daily", "sh-public-parking-lots"])
def test_the_frictionless_cli_accepts_a_package(name: str) -> None:
    cli = Path(sys.executable).with_name("frictionless")
    result = subprocess.run(
        [str(cli), "validate", f"datasets/samples/{name}/datapackage.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- every package ------------------------------------------------------------------------


@pytest.mark.parametrize("name", PACKAGES)
def test_frictionless_validates_descriptor_and_data(name: str) -> None:
    report = frictionless.validate(str(SAMPLES / name / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


@pytest.mark.parametrize("name", PACKAGES)
def test_json_resources_are_tables_that_match_their_schema(name: str) -> None:
    """frictionless reads JSON tables only with its optional json extra; check them inline."""
    for spec in resources(name):
        if spec["format"] != "json":
            continue
        rows = rows_of(name, spec["name"])
        assert isinstance(rows, list)
        assert all(isinstance(row, dict) for row in rows)
        schema = {key: value for key, value in spec["schema"].items() if key != "foreignKeys"}
        table = frictionless.Resource(data=rows, schema=frictionless.Schema.from_descriptor(schema))
        report = frictionless.validate(table)
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
        for key in spec["schema"].get("foreignKeys", []):
            own, target = key["fields"], key["reference"]
            known = {
                tuple(str(row[f]) for f in target["fields"])
                for row in rows_of(name, target["resource"])
            }
            for row in rows:
                assert tuple(str(row[f]) for f in own) in known, row


@pytest.mark.parametrize("name", PACKAGES)
def test_descriptor_metadata(name: str) -> None:
    package = descriptor(name)
    assert SLUG.match(package["name"]) and package["name"] == name
    assert CJK.search(package["title"])
    description = package["description"]
    assert description.startswith("【样例数据】")
    assert "样例数据" in description[6:] and "演示" in description
    assert 1 <= description.count("。") <= 3
    assert re.match(r"^\d+\.\d+\.\d+$", package["version"])
    datetime.fromisoformat(package["created"])
    keywords = package["keywords"]
    assert 2 <= len(keywords) <= 5 and len(set(keywords)) == len(keywords)
    assert all(2 <= len(word) <= 20 and CJK.search(word) for word in keywords)
    (licence,) = package["licenses"]
    assert licence["name"] in LICENCES
    assert licence["title"] and licence["path"].startswith("https://")
    org = organizations()[package["catalog"]["organization"]]
    assert package["sources"] == [{"title": org["title"]}]


@pytest.mark.parametrize("name", PACKAGES)
def test_catalog_block(name: str) -> None:
    catalog = descriptor(name)["catalog"]
    assert set(catalog) == CATALOG_KEYS
    org = organizations().get(catalog["organization"])
    assert org is not None, catalog["organization"]
    code = catalog["region_code"]
    assert regions.is_known(code), code
    assert regions.contains(org["region_code"], code), "the area lies inside the publisher's"
    assert themes.is_theme(catalog["theme"])
    assert catalog["open_class"] in {c.value for c in OpenClass}
    assert catalog["update_frequency"] in FREQUENCIES
    assert catalog["title_en"].isascii() and catalog["title_en"]
    assert catalog["notes_en"].startswith("Sample data")
    start = date.fromisoformat(catalog["temporal_start"])
    end = date.fromisoformat(catalog["temporal_end"])
    assert start <= end


@pytest.mark.parametrize("name", PACKAGES)
def test_resources_and_schemas(name: str) -> None:
    specs = resources(name)
    assert 1 <= len(specs) <= 3
    assert len({spec["name"] for spec in specs}) == len(specs)
    for spec in specs:
        assert SLUG.match(spec["name"])
        path = Path(spec["path"])
        assert not path.is_absolute() and path.parts[0] == "data" and ".." not in path.parts
        assert (SAMPLES / name / path).is_file()
        assert spec["format"] in MEDIATYPES and path.suffix == f".{spec['format']}"
        assert spec["mediatype"] == MEDIATYPES[spec["format"]]
        assert spec["encoding"] == "utf-8"
        assert CJK.search(spec["title"]) and spec["description"]
        fields = spec["schema"]["fields"]
        assert len({f["name"] for f in fields}) == len(fields)
        for item in fields:
            assert SNAKE.match(item["name"]), item["name"]
            assert item["type"] and CJK.search(item["title"]) and item["description"]
        assert 30 <= len(rows_of(name, spec["name"])) <= 2000


@pytest.mark.parametrize("name", PACKAGES)
def test_coordinates_lie_in_the_covered_province(name: str) -> None:
    province = regions.province_of(descriptor(name)["catalog"]["region_code"])
    west, south, east, north = PROVINCE_BOXES[province]
    for spec in resources(name):
        names = {f["name"] for f in spec["schema"]["fields"]}
        if not {"longitude", "latitude"} <= names:
            continue
        for row in rows_of(name, spec["name"]):
            lon, lat = float(row["longitude"]), float(row["latitude"])
            assert west <= lon <= east and south <= lat <= north, (spec["name"], row)


@pytest.mark.parametrize("name", PACKAGES)
def test_no_personal_data(name: str) -> None:
    """Only organisations: switchboard numbers, synthetic company codes, no ID numbers."""
    eighteen = re.compile(r"(?<![0-9A-Z])[1-9]\d{16}[\dX](?![0-9A-Z])")
    mobile = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    for spec in resources(name):
        for row in rows_of(name, spec["name"]):
            for column, value in row.items():
                text = str(value)
                assert not mobile.search(text), (column, text)
                for candidate in eighteen.findall(text):
                    assert not is_valid_citizen_id(candidate), (column, text)
                if column == "phone" and text:
                    assert re.match(r"^0\d{2,3}-\d{7,8}$", text) and text.endswith("00"), text
                if column == "uscc":
                    assert is_valid_uscc(text) and text[8:10] == "YL", text
