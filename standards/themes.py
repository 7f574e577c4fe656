"""The twelve open-data themes (主题) Shanghai's catalogue uses, with stable slugs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    slug: str
    name: str
    name_en: str


THEMES: tuple[Theme, ...] = (
    Theme("economy", "经济建设", "Economic development"),
    Theme("environment", "资源环境", "Resources and environment"),
    Theme("education-science", "教育科技", "Education and science"),
    Theme("transport", "道路交通", "Roads and transport"),
    Theme("social-development", "社会发展", "Social development"),
    Theme("public-safety", "公共安全", "Public safety"),
    Theme("culture-leisure", "文化休闲", "Culture and leisure"),
    Theme("health", "卫生健康", "Health"),
    Theme("livelihood", "民生服务", "Livelihood services"),
    Theme("organisations", "机构团体", "Institutions and organisations"),
    Theme("urban-development", "城市建设", "Urban development"),
    Theme("credit", "信用服务", "Credit services"),
)

BY_NAME = {theme.name: theme for theme in THEMES}
BY_SLUG = {theme.slug: theme for theme in THEMES}


def is_theme(value: str) -> bool:
    return value in BY_NAME
