"""The metadata quality score: every criterion, its points and its reasons."""

from __future__ import annotations

from datetime import datetime, timedelta

from standards import quality
from tests.standards import packages

NOW = datetime(2024, 7, 15, 12, 0)


def by_name(result: dict) -> dict[str, dict]:
    return {c["criterion"]: c for c in result["criteria"]}


def test_a_well_described_dataset_scores_full_marks() -> None:
    package = packages.unconditional()
    package["tags"].append({"name": "泊位"})
    package["resources"][1]["schema"] = "https://schemas.example/parking.json"
    package["notes"] += (
        "数据来自各停车场的实时上报，包括停车场名称、地址、泊位总数、收费标准和开放时间。"
    )
    result = quality.assess(package, now=NOW, link_checks={packages.LINK_ID: True,
                                                           packages.API_ID: True})  # fmt: skip
    assert result["max"] == 100
    assert result["score"] == 100, result
    assert result["rating"] == "good"
    assert all(c["status"] == "ok" for c in result["criteria"])


def test_missing_metadata_costs_points_with_reasons() -> None:
    package = packages.unconditional() | {
        "notes": "停车场。", "tags": [], "license_id": None, "temporal_start": None,
        "temporal_end": None, "region_code": None, "update_frequency": None,
    }  # fmt: skip
    result = quality.assess(package, now=NOW)
    criteria = by_name(result)
    assert criteria["description"]["status"] == "partial"
    assert "过短" in criteria["description"]["message"]
    for name in ("tags", "licence", "temporal", "spatial", "frequency", "timeliness"):
        assert criteria[name]["points"] == 0, name
        assert criteria[name]["status"] == "missing"
    # Links never checked are not counted as reachable; the upload is.
    assert (
        criteria["resources"]["points"] == 5
        and "not checked" in criteria["resources"]["message_en"]
    )
    assert result["score"] == sum(c["points"] for c in result["criteria"]) < 50
    assert result["rating"] == "poor"


def test_timeliness_follows_the_declared_frequency() -> None:
    package = packages.unconditional()  # monthly, resources last changed 2024-06-30
    on_time = by_name(quality.assess(package, now=datetime(2024, 7, 20)))["timeliness"]
    late = by_name(quality.assess(package, now=datetime(2024, 9, 1)))["timeliness"]
    assert on_time["status"] == "ok"
    assert late["points"] == 0 and "逾期" in late["message"] and "overdue" in late["message_en"]
    irregular = package | {"update_frequency": "irregular"}
    assert (
        by_name(quality.assess(irregular, now=NOW + timedelta(days=999)))["timeliness"]["status"]
        == "ok"
    )


def test_a_harvested_dataset_is_timely_by_the_source_s_clock() -> None:
    package = packages.with_harvest(packages.unconditional())
    package["harvest"]["source_modified"] = "2024-01-01T00:00:00"
    timeliness = by_name(quality.assess(package, now=NOW))["timeliness"]
    assert timeliness["points"] == 0 and "2024-01-01" in timeliness["message"]


def test_unreachable_links_and_failed_validation_lower_the_resource_score() -> None:
    package = packages.unconditional()
    package["resources"][0]["validation_status"] = "failure"
    checks = {packages.LINK_ID: False, packages.API_ID: True}
    result = by_name(quality.assess(package, now=NOW, link_checks=checks))
    resources = result["resources"]
    assert resources["points"] == 5 and resources["status"] == "partial"
    assert (
        "unreachable" in resources["message_en"] and "validation failure" in resources["message_en"]
    )


def test_tabular_resources_without_a_schema() -> None:
    package = packages.unconditional()
    del package["resources"][0]["schema"]
    schema = by_name(quality.assess(package, now=NOW))["schema"]
    assert schema["status"] == "missing"  # neither the CSV nor the XLSX has one
    assert "2 tabular" in schema["message_en"]
    package["resources"][1]["schema"] = "https://schemas.example/parking.json"
    half = by_name(quality.assess(package, now=NOW))["schema"]
    assert half["status"] == "partial" and 0 < half["points"] < half["max"]
