"""The twelve open-data themes (主题) Shanghai's catalogue uses, with stable slugs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    slug: str
    name: str
    name_en: str
    # The EU data-theme codes (DCAT-AP's theme vocabulary) this theme falls under.
    eu: tuple[str, ...] = ()


THEMES: tuple[Theme, ...] = (
    Theme("economy", "经济建设", "Economic development", ("ECON",)),
    Theme("environment", "资源环境", "Resources and environment", ("ENVI",)),
    Theme("education-science", "教育科技", "Education and science", ("EDUC", "TECH")),
    Theme("transport", "道路交通", "Roads and transport", ("TRAN",)),
    Theme("social-development", "社会发展", "Social development", ("SOCI",)),
    Theme("public-safety", "公共安全", "Public safety", ("JUST",)),
    Theme("culture-leisure", "文化休闲", "Culture and leisure", ("EDUC",)),
    Theme("health", "卫生健康", "Health", ("HEAL",)),
    Theme("livelihood", "民生服务", "Livelihood services", ("SOCI",)),
    Theme("organisations", "机构团体", "Institutions and organisations", ("GOVE",)),
    Theme("urban-development", "城市建设", "Urban development", ("REGI",)),
    Theme("credit", "信用服务", "Credit services", ("ECON",)),
)

# Labels of the EU data-theme codes used above (the vocabulary's English labels).
EU_THEME_LABELS = {
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}

BY_NAME = {theme.name: theme for theme in THEMES}
BY_SLUG = {theme.slug: theme for theme in THEMES}


def is_theme(value: str) -> bool:
    return value in BY_NAME
