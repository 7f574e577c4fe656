"""One behavioural suite, run against both backends (FTS5 and Elasticsearch).

CKAN q / fq syntax, relevance basics, facets, sorting, paging, permission
labels and bad input. Both backends must give the same answers.
"""

from __future__ import annotations

import copy

import pytest

from search.errors import SearchQueryError
from search.protocol import PUBLIC_LABEL, IndexDoc, SearchQuery, SearchResult
from tests.search.catalog import (
    ALL_COUNT,
    DRAFT_CREATOR,
    HIDDEN,
    PUBLIC,
    PUBLIC_NAMES,
    SH_MEMBER,
    index_docs,
    package,
)


def names(result: SearchResult) -> list[str]:
    return [p["name"] for p in result.results]


def search(backend, **kwargs) -> SearchResult:
    kwargs.setdefault("rows", 100)
    return backend.search(SearchQuery(**kwargs))


def found(backend, q: str = "", **kwargs) -> set[str]:
    return set(names(search(backend, q=q, **kwargs)))


# -- q ---------------------------------------------------------------------------------


def test_empty_query_and_match_all_find_every_public_dataset(catalog) -> None:
    for q in ("", "*:*", "*", "  "):
        result = search(catalog, q=q)
        assert result.count == len(PUBLIC)
        assert set(names(result)) == PUBLIC_NAMES


def test_results_are_the_stored_package_dicts_unchanged(catalog) -> None:
    result = search(catalog, q="name:air-shanghai")
    assert result.results == [PUBLIC[0]]


def test_chinese_free_text(catalog) -> None:
    assert found(catalog, "空气质量") == {"air-shanghai", "air-hangzhou"}
    assert found(catalog, "空气质量监测") >= {"air-shanghai"}  # unsegmented
    assert found(catalog, "空氣質量") == {"air-shanghai", "air-hangzhou"}  # traditional
    assert "air-shanghai" in found(catalog, "ＡＱＩ")  # full width


def test_synonyms_and_colloquial_words(catalog) -> None:
    assert names(search(catalog, q="养老院"))[0] == "elderly-suzhou"
    assert names(search(catalog, q="厕所"))[0] == "toilets-xuhui"
    assert names(search(catalog, q="停车位"))[0] == "parking-hefei"
    assert names(search(catalog, q="学校 名单"))[0] == "schools-nanjing"


def test_english_queries(catalog) -> None:
    assert set(names(search(catalog, q="air quality"))[:2]) == {"air-shanghai", "air-hangzhou"}
    assert names(search(catalog, q="bus stops"))[0] == "bus-nanjing"
    assert names(search(catalog, q="nursing homes"))[0] == "elderly-suzhou"
    assert names(search(catalog, q="public toilets"))[0] == "toilets-xuhui"


def test_places_rank_first_without_filtering(catalog) -> None:
    assert names(search(catalog, q="杭州 空气质量"))[:2] == ["air-hangzhou", "air-shanghai"]
    assert names(search(catalog, q="沪 空气"))[:2] == ["air-shanghai", "air-hangzhou"]
    assert names(search(catalog, q="air quality Hangzhou"))[0] == "air-hangzhou"
    # Shanghai contains Xuhui district.
    assert names(search(catalog, q="上海 公共厕所"))[0] == "toilets-xuhui"
    # A query naming only a place finds what lies in it.
    assert found(catalog, "南京") == {"schools-nanjing", "bus-nanjing"}
    assert found(catalog, "长三角") == PUBLIC_NAMES


def test_fielded_text(catalog) -> None:
    assert found(catalog, "title:空气质量") == {"air-shanghai", "air-hangzhou"}
    assert found(catalog, 'title:"空气质量"') == {"air-shanghai", "air-hangzhou"}
    assert found(catalog, 'title:"质量空气"') == set()
    assert found(catalog, "title:养老机构") == {"elderly-suzhou"}
    assert found(catalog, "notes:床位") == {"elderly-suzhou"}
    assert found(catalog, "title_en:schools") == {"schools-nanjing"}
    assert found(catalog, "notes_en:bus") == {"bus-nanjing"}
    assert "air-shanghai" in found(catalog, "text:AQI")
    assert found(catalog, "title:上海 AND title:空气") == {"air-shanghai"}
    assert found(catalog, 'res_name:"CSV"') == {"air-shanghai", "elderly-suzhou"}


def test_keyword_fields_match_whole_values(catalog) -> None:
    assert found(catalog, "tags:空气质量") == {"air-shanghai", "air-hangzhou"}
    assert found(catalog, "tags:空气") == set()
    assert found(catalog, "tags:空氣質量") == {"air-shanghai", "air-hangzhou"}
    assert found(catalog, "organization:hz-eco") == {"air-hangzhou"}
    assert found(catalog, "res_format:CSV") == {"air-shanghai", "elderly-suzhou"}
    assert found(catalog, "res_format:csv") == {"air-shanghai", "elderly-suzhou"}
    assert found(catalog, "license_id:odc-by") == {"air-hangzhou"}
    assert found(catalog, "region_code:310104") == {"toilets-xuhui"}
    assert found(catalog, "open_class:conditional") == {"parking-hefei"}
    assert found(catalog, "theme:资源环境") == {"air-shanghai", "air-hangzhou"}
    assert found(catalog, "groups:education") == {"schools-nanjing"}
    assert found(catalog, "name:bus-nanjing") == {"bus-nanjing"}
    assert found(catalog, "id:id-bus-nanjing") == {"bus-nanjing"}
    assert found(catalog, "update_frequency:monthly") == PUBLIC_NAMES
    assert found(catalog, "state:active") == PUBLIC_NAMES
    assert found(catalog, "private:false") == PUBLIC_NAMES


def test_boolean_syntax(catalog) -> None:
    assert found(catalog, "空气质量 AND NOT organization:hz-eco") == {"air-shanghai"}
    assert found(catalog, "空气质量 -organization:hz-eco") == {"air-shanghai"}
    assert found(catalog, "-theme:资源环境") == PUBLIC_NAMES - {"air-shanghai", "air-hangzhou"}
    assert found(catalog, "organization:(hz-eco OR sz-civil)") == {"air-hangzhou", "elderly-suzhou"}
    assert found(catalog, "organization:hz-eco OR organization:sz-civil") == {
        "air-hangzhou",
        "elderly-suzhou",
    }
    assert found(catalog, "+res_format:CSV +license_id:cc-by-4.0") == {"air-shanghai"}
    assert found(catalog, "(tags:公厕 OR tags:停车) AND region_code:340100") == {"parking-hefei"}
    assert found(catalog, "tags:空气质量 && !organization:sh-eco") == {"air-hangzhou"}
    assert found(catalog, "res_format:CSV || res_format:JSON") == {
        "air-shanghai",
        "air-hangzhou",
        "elderly-suzhou",
    }


# -- fq --------------------------------------------------------------------------------


def test_filter_queries(catalog) -> None:
    assert found(catalog, fq=["tags:空气质量"]) == {"air-shanghai", "air-hangzhou"}
    assert found(catalog, "空气质量", fq=["organization:hz-eco"]) == {"air-hangzhou"}
    assert found(catalog, fq=["-res_format:API", "theme:资源环境"]) == {"air-hangzhou"}
    assert found(catalog, fq=['organization:"sz-civil"']) == {"elderly-suzhou"}
    assert found(catalog, fq=["+region_code:320100", "-name:bus-nanjing"]) == {"schools-nanjing"}


def test_date_ranges(catalog) -> None:
    in_2025 = {"air-shanghai", "air-hangzhou", "elderly-suzhou"}
    assert found(catalog, fq=["metadata_modified:[2025-01-01T00:00:00Z TO *]"]) == in_2025
    assert found(catalog, fq=["metadata_modified:[* TO 2025-01-01T00:00:00Z}"]) == (
        PUBLIC_NAMES - in_2025
    )
    assert found(
        catalog, fq=["metadata_modified:[2025-02-01T00:00:00Z TO 2025-03-01T08:15:00.123456Z]"]
    ) == {"air-shanghai", "air-hangzhou"}
    assert (
        found(
            catalog, fq=["metadata_modified:{2025-02-01T00:00:00Z TO 2025-03-01T08:15:00.123456Z}"]
        )
        == set()
    )
    assert found(catalog, fq=["metadata_created:[2023-06-01 TO 2023-08-01]"]) == {
        "air-hangzhou",
        "elderly-suzhou",
        "parking-hefei",
    }
    assert found(catalog, fq=["metadata_modified:[NOW-100YEARS TO NOW]"]) == PUBLIC_NAMES
    assert found(catalog, fq=["metadata_modified:[NOW/DAY+1DAY TO *]"]) == set()
    assert found(catalog, "metadata_created:[* TO 2023-01-31] OR tags:停车") == {
        "schools-nanjing",
        "parking-hefei",
    }


# -- facets ----------------------------------------------------------------------------


def test_facets_count_the_whole_result(catalog) -> None:
    result = search(
        catalog,
        rows=1,
        facet_fields=[
            "organization",
            "tags",
            "res_format",
            "license_id",
            "region_code",
            "province",
        ],
    )
    assert result.facets["organization"] == {
        "nj-edu": 2,
        "hf-transport": 1,
        "hz-eco": 1,
        "sh-eco": 1,
        "sz-civil": 1,
        "xh-gov": 1,
    }
    assert next(iter(result.facets["organization"])) == "nj-edu"  # count desc, then value
    assert result.facets["res_format"] == {
        "CSV": 2,
        "API": 2,
        "XLSX": 2,
        "GeoJSON": 1,
        "JSON": 1,
        "SHP": 1,
    }
    assert list(result.facets["res_format"]) == ["API", "CSV", "XLSX", "GeoJSON", "JSON", "SHP"]
    assert result.facets["tags"]["空气质量"] == 2
    assert result.facets["license_id"] == {"cc-by-4.0": 5, "cc0-1.0": 1, "odc-by": 1}
    # Each dataset once under its province; under its region and every one containing it.
    assert sum(result.facets["province"].values()) == len(PUBLIC)
    for code, count in result.facets["region_code"].items():
        assert search(catalog, fq=[f"region_code:{code}"], rows=0).count == count, code


def test_facets_follow_the_query_and_the_options(catalog) -> None:
    result = search(catalog, q="空气质量", facet_fields=["theme", "groups", "open_class"])
    assert result.facets == {
        "theme": {"资源环境": 2},
        "groups": {"environment": 2},
        "open_class": {"unconditional": 2},
    }
    limited = search(catalog, facet_fields=["res_format"], facet_limit=2)
    assert limited.facets["res_format"] == {"API": 2, "CSV": 2}
    frequent = search(catalog, facet_fields=["res_format"], facet_mincount=2)
    assert frequent.facets["res_format"] == {"API": 2, "CSV": 2, "XLSX": 2}
    unlimited = search(catalog, facet_fields=["tags"], facet_limit=-1)
    assert len(unlimited.facets["tags"]) == 8
    none = search(catalog, q="name:nothing-here", facet_fields=["tags"])
    assert none.count == 0 and none.facets == {"tags": {}}


def test_facets_never_count_hidden_datasets(catalog) -> None:
    result = search(catalog, facet_fields=["organization", "tags"])
    assert result.facets["organization"]["sh-eco"] == 1
    assert result.facets["tags"]["空气质量"] == 2


# -- sorting and paging ----------------------------------------------------------------


def test_sorting(catalog) -> None:
    by_name = sorted(PUBLIC_NAMES)
    assert names(search(catalog, sort="name asc")) == by_name
    assert names(search(catalog, sort="name desc")) == by_name[::-1]
    by_modified = [p["name"] for p in sorted(PUBLIC, key=lambda p: p["metadata_modified"])]
    assert names(search(catalog, sort="metadata_modified asc")) == by_modified
    assert names(search(catalog, sort="metadata_modified desc")) == by_modified[::-1]
    by_created = [p["name"] for p in sorted(PUBLIC, key=lambda p: p["metadata_created"])]
    assert names(search(catalog, sort="metadata_created desc")) == by_created[::-1]
    by_title = [p["name"] for p in sorted(PUBLIC, key=lambda p: p["title"])]
    assert names(search(catalog, sort="title_string asc")) == by_title
    assert names(search(catalog, sort="title_string desc")) == by_title[::-1]
    # Multi-key: organization ties broken by name.
    assert names(
        search(catalog, q="organization:nj-edu", sort="metadata_created asc, name desc")
    ) == [
        "schools-nanjing",
        "bus-nanjing",
    ]


def test_default_sort_is_score_then_newest(catalog) -> None:
    # All match equally: newest first.
    assert names(search(catalog)) == names(search(catalog, sort="metadata_modified desc"))
    assert names(search(catalog, sort="score desc")) == names(search(catalog))
    assert (
        names(search(catalog, q="空气质量 杭州", sort="score desc, name asc"))[0] == "air-hangzhou"
    )


def test_paging(catalog) -> None:
    everything = names(search(catalog, sort="name asc"))
    pages = [names(search(catalog, sort="name asc", rows=3, start=start)) for start in (0, 3, 6)]
    assert pages[0] + pages[1] + pages[2] == everything
    beyond = search(catalog, rows=10, start=50)
    assert beyond.count == len(PUBLIC) and beyond.results == []
    counted = search(catalog, rows=0, facet_fields=["theme"])
    assert counted.count == len(PUBLIC) and counted.results == []
    assert sum(counted.facets["theme"].values()) == len(PUBLIC)
    assert len(search(catalog, rows=1000).results) == len(PUBLIC)


# -- visibility ------------------------------------------------------------------------


HIDDEN_NAMES = {p["name"] for p in HIDDEN}


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(rows=100),
        SearchQuery(q="空气质量", rows=100),
        SearchQuery(q="上海市空气质量内部核查数据", rows=100),
        SearchQuery(q="name:private-air OR name:draft-air OR name:closed-air", rows=100),
        SearchQuery(rows=100, include_private=True),
        SearchQuery(rows=100, include_private=True, include_drafts=True, include_deleted=True),
        SearchQuery(rows=100, fq=["state:draft"], include_drafts=True),
        SearchQuery(rows=100, fq=["private:true"], include_private=True),
        SearchQuery(rows=100, permission_labels=[], include_private=True),
    ],
)
def test_hidden_datasets_never_reach_anonymous_callers(catalog, query) -> None:
    result = catalog.search(query)
    assert not HIDDEN_NAMES & set(names(result))
    assert result.count <= len(PUBLIC)


def test_private_datasets_need_a_label_and_include_private(catalog) -> None:
    member = [PUBLIC_LABEL, SH_MEMBER]
    assert "private-air" not in found(catalog, permission_labels=member)
    assert "private-air" in found(catalog, permission_labels=member, include_private=True)
    assert "private-air" not in found(
        catalog, permission_labels=[PUBLIC_LABEL], include_private=True
    )
    assert "private-air" in found(
        catalog, "空气质量", permission_labels=member, include_private=True
    )


def test_drafts_and_deleted_need_their_flag_and_a_label(catalog) -> None:
    creator = [PUBLIC_LABEL, DRAFT_CREATOR]
    assert "draft-air" not in found(catalog, permission_labels=creator)
    assert "draft-air" in found(catalog, permission_labels=creator, include_drafts=True)
    assert "draft-air" not in found(catalog, permission_labels=[PUBLIC_LABEL], include_drafts=True)
    member = [PUBLIC_LABEL, SH_MEMBER]
    assert "deleted-air" not in found(catalog, permission_labels=member)
    assert "deleted-air" in found(catalog, permission_labels=member, include_deleted=True)
    # Deleted data is never public, even when the caller labelled it so.
    assert "deleted-air" not in found(catalog, include_deleted=True)


def test_closed_datasets_never_appear_publicly(catalog) -> None:
    everything = found(
        catalog, include_private=True, include_drafts=True, include_deleted=True, rows=1000
    )
    assert "closed-air" not in everything
    member = found(catalog, permission_labels=[SH_MEMBER], include_private=True)
    assert "closed-air" in member  # the publisher still finds it


def test_internal_callers_see_everything(catalog) -> None:
    result = search(
        catalog,
        permission_labels=None,
        include_private=True,
        include_drafts=True,
        include_deleted=True,
    )
    assert set(names(result)) >= PUBLIC_NAMES | HIDDEN_NAMES
    assert result.count == ALL_COUNT
    assert "private-air" not in found(catalog, permission_labels=None)


# -- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"q": '"unbalanced'},
        {"q": "(unbalanced"},
        {"q": "unbalanced)"},
        {"q": "metadata_modified:[NOW TO"},
        {"q": "x" * 10_000},
        {"q": "no_such_field:1"},
        {"fq": ["no_such_field:1"]},
        {"fq": ['"unbalanced']},
        {"q": 'title:"a" OR x:* NEAR('},
        {"q": "{title}: a"},
        {"q": '{"query": {"match_all": {}}}'},
        {"q": 'title:\\"\\" OR _id:*'},
        {"q": "title:*"},
        {"rows": -1},
        {"rows": 1001},
        {"start": -1},
        {"start": 10**9},
        {"sort": "popularity desc"},
        {"sort": "name sideways"},
        {"sort": "name asc,"},
        {"facet_fields": ["author"]},
        {"facet_limit": -2},
        {"facet_mincount": -1},
    ],
)
def test_bad_queries_raise_search_query_error(catalog, kwargs) -> None:
    with pytest.raises(SearchQueryError):
        catalog.search(SearchQuery(**kwargs))


@pytest.mark.parametrize(
    "q",
    ['"*"', "NEAR", "NEAR(a b, 2)", "'; DROP TABLE docs; --", "OR1=1", '"OR"', "*:* AND NOT *:*"],
)
def test_syntax_of_the_backends_is_literal_text(catalog, q) -> None:
    result = search(catalog, q=q)
    assert set(names(result)) <= PUBLIC_NAMES
    assert catalog.count() == ALL_COUNT  # nothing was dropped


# -- writing ---------------------------------------------------------------------------


def test_index_update_delete_clear(empty_backend) -> None:
    backend = empty_backend
    assert backend.count() == 0
    assert backend.bulk_index(index_docs(), progress=None) == ALL_COUNT
    assert backend.count() == ALL_COUNT

    changed = copy.deepcopy(PUBLIC[2])
    changed["title"] = "苏州市敬老院床位信息"
    backend.index(IndexDoc(changed, [PUBLIC_LABEL]))
    assert backend.count() == ALL_COUNT
    assert search(backend, q="name:elderly-suzhou").results[0]["title"] == "苏州市敬老院床位信息"

    # Making a dataset private takes it out of public results at once.
    hidden = copy.deepcopy(PUBLIC[0])
    hidden["private"] = True
    backend.index(IndexDoc(hidden, [SH_MEMBER]))
    assert "air-shanghai" not in found(backend, "空气质量")

    backend.delete("id-air-hangzhou")
    backend.delete("id-does-not-exist")
    assert "air-hangzhou" not in found(backend, permission_labels=None, include_private=True)
    assert backend.count() == ALL_COUNT - 1

    backend.clear()
    assert backend.count() == 0
    assert search(backend).count == 0


def test_bulk_index_reports_progress(empty_backend) -> None:
    seen: list[int] = []
    docs = [
        IndexDoc(
            package(
                f"bulk-{i}",
                f"批量数据{i}",
                org="sh-eco",
                region="310000",
                theme="资源环境",
                modified=f"2024-01-{i % 28 + 1:02d}T00:00:00",
            ),
            [PUBLIC_LABEL],
        )
        for i in range(1200)
    ]
    assert empty_backend.bulk_index(iter(docs), progress=seen.append) == 1200
    assert seen and seen[-1] == 1200 and seen == sorted(seen)
    assert search(empty_backend, rows=0).count == 1200


def test_reindex_replaces_everything(empty_backend) -> None:
    empty_backend.bulk_index(index_docs())
    seen: list[int] = []
    count = empty_backend.reindex([IndexDoc(PUBLIC[0], [PUBLIC_LABEL])], progress=seen.append)
    assert count == 1 and seen[-1] == 1
    assert empty_backend.count() == 1
    assert found(empty_backend) == {"air-shanghai"}


def test_health(empty_backend) -> None:
    health = empty_backend.health()
    assert health.ok and health.backend == empty_backend.name and health.documents == 0


def test_reindex_keeps_serving_the_old_catalogue(empty_backend) -> None:
    """Zero downtime: until the new index is complete, searches see the old one."""
    backend = empty_backend
    backend.bulk_index(index_docs())
    seen_during: list[int] = []

    def during(_done: int) -> None:
        seen_during.append(search(backend, q="空气质量").count)

    replacement = [IndexDoc(p, [PUBLIC_LABEL]) for p in PUBLIC[2:]]
    backend.reindex(replacement, progress=during)
    assert seen_during and all(count == 2 for count in seen_during)
    assert search(backend, q="空气质量").count == 0
    assert found(backend) == {p["name"] for p in PUBLIC[2:]}
