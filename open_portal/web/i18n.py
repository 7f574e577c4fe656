"""Languages of the pages: zh-CN by default, English on request.

Catalogues are gettext ``.po`` files under ``translations/`` (msgids in
English), compiled in memory with Babel when first used -- no compiled
binaries in the repository, nothing to build at install time.
Refresh them after changing a template::

    pybabel extract -F open_portal/web/babel.cfg -k N_ --no-location --sort-output \
        -o open_portal/web/translations/messages.pot open_portal/web
    pybabel update -i open_portal/web/translations/messages.pot \
        -d open_portal/web/translations --no-location
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

CATALOGUES = Path(__file__).parent / "translations"
DEFAULT = "zh_CN"
LOCALES = ("zh_CN", "en")
# Locale -> what HTML's lang attribute and URLs say.
TAGS = {"zh_CN": "zh-CN", "en": "en"}
DOMAIN = "messages"


@cache
def translations(locale: str) -> Translations:
    po = CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@cache
def babel_locale(locale: str) -> Locale:
    """Parsed once: Babel's formatters otherwise parse the identifier on every call
    (a dataset page formats a dozen dates and numbers)."""
    return Locale.parse(locale)


def gettext(locale: str, message: str) -> str:
    return translations(locale).ugettext(message)


def parse_tag(tag: str | None) -> str | None:
    """``zh-CN``, ``zh``, ``en-GB``, ``en`` ... -> one of :data:`LOCALES`, or None."""
    if not tag:
        return None
    try:
        parsed = Locale.parse(tag.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if parsed.language == "zh":
        return "zh_CN"
    if parsed.language == "en":
        return "en"
    return None


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages in an ``Accept-Language`` header, by its q-values."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        locale = parse_tag(tag)
        if locale and quality > 0:
            weighted.append((-quality, position, locale))
    return min(weighted)[2] if weighted else None


def date_text(value: str | datetime | date | None, locale: str, *, with_time: bool = False) -> str:
    """An ISO timestamp (as CKAN prints them) in the reader's language."""
    if value in (None, ""):
        return ""
    moment: datetime | date
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    if with_time and isinstance(moment, datetime):
        return format_datetime(moment, "medium", locale=babel_locale(locale))
    return format_date(
        moment, "long" if locale == "zh_CN" else "medium", locale=babel_locale(locale)
    )


def number_text(value: int | float | None, locale: str) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=babel_locale(locale))


def size_text(size: int | None, locale: str) -> str:
    if size is None:
        return ""
    units = ("B", "KB", "MB", "GB", "TB")
    amount = float(size)
    unit = 0
    while amount >= 1024 and unit < len(units) - 1:
        amount /= 1024
        unit += 1
    shown = format_decimal(round(amount, 1) if unit else int(amount), locale=babel_locale(locale))
    return f"{shown} {units[unit]}"
