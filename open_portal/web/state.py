"""What the web pages share per process: cookies, the mailer, the template environments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from delta.settings import Settings
from open_portal.accounts.mailer import Mailer, from_setting
from open_portal.web import highlight, i18n, labels
from open_portal.web.cookies import Cookies

TEMPLATES = Path(__file__).parent / "templates"


def _environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["date"] = lambda value, with_time=False: i18n.date_text(
        value, locale, with_time=with_time
    )
    env.filters["number"] = lambda value: i18n.number_text(value, locale)
    env.filters["filesize"] = lambda value: i18n.size_text(value, locale)
    env.globals.update(
        mark=highlight.mark,
        localized=lambda item, key: labels.localized(item or {}, key, locale),
        region_name=lambda code: labels.region_name(code, locale),
        theme_name=lambda name: labels.theme_name(name, locale),
        open_class_label=lambda value: labels.OPEN_CLASSES.get(value, value or ""),
        frequency_label=lambda value: labels.UPDATE_FREQUENCIES.get(value, value or ""),
        application_label=lambda value: labels.APPLICATION_STATES.get(value, value or ""),
        validation_label=lambda value: labels.VALIDATION_STATES.get(value, value or ""),
        activity_label=lambda value: labels.ACTIVITIES.get(value, value or ""),
        chart_label=lambda value: labels.CHARTS.get(value, value or ""),
        aggregate_label=lambda value: labels.AGGREGATES.get(value, value or ""),
        preview_query=labels.preview_query,
        sorts=labels.SORTS,
    )
    return env


@dataclass
class WebState:
    settings: Settings
    cookies: Cookies
    mailer: Mailer
    environments: dict[str, Environment] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings) -> WebState:
        return cls(
            settings=settings,
            cookies=Cookies(
                key=settings.secret_key.get_secret_value().encode("utf-8"),
                site_url=settings.site_url,
            ),
            mailer=from_setting(settings.mailer, sender=settings.mail_from),
            environments={locale: _environment(locale) for locale in i18n.LOCALES},
        )

    @property
    def key(self) -> bytes:
        return self.settings.secret_key.get_secret_value().encode("utf-8")

    def template(self, locale: str, name: str) -> Any:
        return self.environments[locale].get_template(name)


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
