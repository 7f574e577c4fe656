"""Text analysis: normalisation, traditional → simplified, segmentation,
thesaurus expansion and place recognition."""

from __future__ import annotations

import pytest

from search.analysis import default_analyzer, gram_tokens, normalize
from search.analysis.english import minimal_stem, stem
from search.analysis.thesaurus import Thesaurus, parse_thesaurus


@pytest.fixture(scope="module")
def analyzer():
    return default_analyzer()


def test_normalisation_folds_width_case_and_script() -> None:
    assert normalize("ＡＢＣ１２３") == "abc123"
    assert normalize("空氣質量") == "空气质量"
    assert normalize("醫療機構 婚姻登記 垃圾分類") == "医疗机构 婚姻登记 垃圾分类"
    assert normalize("Ma'anshan") == "maanshan"


def test_english_stemming_and_plural_keys() -> None:
    assert stem("museums") == stem("museum")
    assert stem("parking") == "park"
    assert minimal_stem("parking") == "parking"  # thesaurus keys keep park ≠ parking
    assert minimal_stem("libraries") == "library"
    assert minimal_stem("hospitals") == "hospital"


def test_segmentation_uses_the_custom_dictionary(analyzer) -> None:
    words = analyzer.words("上海市生活垃圾分类投放点位信息")
    assert "上海市" in words
    assert "生活垃圾" in words
    assert "垃圾分类" in words  # a dictionary word inside a segment (search mode)
    assert "投放点" in words


def test_grams_find_unsegmented_substrings(analyzer) -> None:
    assert gram_tokens("苏州市公共停车场") == (
        "苏州",
        "州市",
        "市公",
        "公共",
        "共停",
        "停车",
        "车场",
    )
    assert analyzer.phrase("停车场") == ("停车", "车场")
    assert gram_tokens("a级景区") == ("a级", "级景", "景区")
    assert gram_tokens("air quality") == ("air", "qualiti")


def test_documents_and_queries_meet_in_simplified_chinese(analyzer) -> None:
    doc = set(analyzer.words("杭州市城市环境空气质量日报"))
    query = analyzer.analyze_query("空氣質量")
    assert query.concepts[0].original.word in doc


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("养老院", "养老机构"),
        ("敬老院", "养老机构"),
        ("老人院", "养老机构"),
        ("看病", "医疗机构"),
        ("医院", "医疗机构"),
        ("卫生间", "公共厕所"),
        ("洗手间", "公共厕所"),
        ("停车位", "停车场"),
        ("充电桩", "充电设施"),
        ("公交", "公共汽电车"),
        ("学校", "中小学"),
        ("gdp", "地区生产总值"),
        ("招标", "招投标"),
        ("空气", "空气质量"),
        ("天气", "气象"),
        ("黑名单", "失信被执行人"),
        ("房价", "住房"),
        ("办事", "政务服务"),
        ("parking", "停车场"),
        ("museums", "博物馆"),
        ("kindergartens", "幼儿园"),
    ],
)
def test_thesaurus_expands_what_people_say(analyzer, query: str, expected: str) -> None:
    """The preferred term is searched, or a shorter form of it (which finds it)."""
    concept = analyzer.analyze_query(query).concepts[0]
    forms = {a.word for a in concept.alternatives if a.word}
    assert any(form in expected for form in forms)


def test_multi_word_english_terms(analyzer) -> None:
    analysis = analyzer.analyze_query("air quality in Shanghai")
    assert [c.surface for c in analysis.concepts] == ["air qualiti"]
    assert "空气质量" in {a.word for a in analysis.concepts[0].expansions}
    assert analysis.regions == {"310000"}


@pytest.mark.parametrize(
    ("query", "regions"),
    [
        ("沪 垃圾分类", {"310000"}),
        ("苏 高新技术企业", {"320000"}),
        ("浙 景区", {"330000"}),
        ("皖 农产品", {"340000"}),
        ("江浙沪 博物馆", {"310000", "320000", "330000"}),
        ("长三角 景区", {"310000", "320000", "330000", "340000"}),
        ("苏州 公园", {"320500"}),
        ("苏州市公共停车场", {"320500"}),
        ("浦东新区 公园", {"310115"}),
        ("Hangzhou hospitals", {"330100"}),
        ("Yangtze River Delta museums", {"310000", "320000", "330000", "340000"}),
        ("滬 空氣", {"310000"}),
    ],
)
def test_places_in_queries(analyzer, query: str, regions: set[str]) -> None:
    assert analyzer.analyze_query(query).regions == regions


def test_one_character_names_only_stand_alone(analyzer) -> None:
    assert analyzer.analyze_query("苏州").regions == {"320500"}  # not 苏 = Jiangsu
    assert analyzer.analyze_query("申请").regions == frozenset()


def test_places_leave_the_text(analyzer) -> None:
    analysis = analyzer.analyze_query("杭州 充电站")
    assert [c.surface for c in analysis.concepts] == ["充电站"]
    assert analysis.grams == ("充电", "电站")


def test_thesaurus_relations() -> None:
    lines = parse_thesaurus(
        "t\t=\t甲|乙\nt\t>\t俗称|slang words\t正式\nt\t~\t正式\t相关\n# comment\n"
    )
    thesaurus = Thesaurus(lines)
    assert {e.term for e in thesaurus.expansions("甲")} == {"乙"}
    assert {e.term for e in thesaurus.expansions("俗称")} == {"正式"}
    assert {e.term for e in thesaurus.expansions("slang word")} == {"正式"}
    assert {(e.term, e.weight) for e in thesaurus.expansions("正式")} == {("相关", 0.5)}
    assert {(e.term, e.weight) for e in thesaurus.expansions("相关")} == {("正式", 0.5)}


def test_thesaurus_file_is_well_formed_and_large() -> None:
    from importlib import resources

    text = resources.files("search.analysis.data").joinpath("thesaurus.tsv").read_text("utf-8")
    lines = parse_thesaurus(text)
    themes = {theme for theme, *_ in lines}
    assert {"经济建设", "资源环境", "教育科技", "道路交通", "社会发展", "公共安全"} <= themes
    assert {"文化休闲", "卫生健康", "民生服务", "机构团体", "城市建设", "信用服务"} <= themes
    assert len(lines) >= 300
    assert sum(len(left) + len(right) for _, _, left, right in lines) >= 2000


def test_malformed_thesaurus_lines_are_reported() -> None:
    with pytest.raises(ValueError, match="line 1"):
        parse_thesaurus("t\t?\ta\n")
    with pytest.raises(ValueError, match="right-hand side"):
        parse_thesaurus("t\t>\ta\n")
