"""Input schemas of the catalog (pydantic), with CKAN's leniency and CKAN's messages.

Unknown keys are ignored (clients send back whole ``package_show`` dicts);
numbers are accepted where CKAN accepts strings; every text field has a length
limit and refuses control characters, so nothing oversized or binary is stored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from datasets import links
from delta.errors import ErrorDict, ValidationFailed

NAME_MIN, NAME_MAX = 2, 100
TITLE_MAX = 512
TEXT_MAX = 100_000
URL_MAX = 2000
TAG_MIN, TAG_MAX = 2, 100
MAX_BIGINT = 2**63 - 1  # what a BIGINT column holds (SQLite's INTEGER too)

_NAME = re.compile(r"^[a-z0-9_\-]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"^[\w \-.]+$", re.UNICODE)
RESERVED_NAMES = frozenset({"new", "edit", "search", "__init__"})


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("ckan", message)


def _no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise _fail("Must not contain control characters")
    return value


def _limit(max_chars: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > max_chars:
            raise _fail(f"Must be at most {max_chars} characters long")
        return value

    return AfterValidator(check)


def _name(value: str) -> str:
    if len(value) < NAME_MIN:
        raise _fail(f"Must be at least {NAME_MIN} characters long")
    if len(value) > NAME_MAX:
        raise _fail(f"Name must be a maximum of {NAME_MAX} characters long")
    if not _NAME.match(value):
        raise _fail(
            "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
        )
    if value in RESERVED_NAMES:
        raise _fail("That name cannot be used")
    return value


def _tag_name(value: str) -> str:
    value = value.strip()
    if len(value) < TAG_MIN:
        raise _fail(f'Tag "{value}" length is less than minimum {TAG_MIN}')
    if len(value) > TAG_MAX:
        raise _fail(f'Tag "{value[:20]}..." length is more than maximum {TAG_MAX}')
    if not _TAG.match(value):
        raise _fail(f'Tag "{value}" must be alphanumeric characters or symbols: -_.')
    return value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _link(value: str | None) -> str | None:
    if not links.is_allowed(value):
        raise _fail(links.MESSAGE)
    return value


Text = Annotated[str, AfterValidator(_no_control_chars)]
ShortText = Annotated[Text, _limit(TITLE_MAX)]
LongText = Annotated[Text, _limit(TEXT_MAX)]
UrlText = Annotated[Text, _limit(URL_MAX)]
# A link the catalogue prints and people follow: http, https or ftp only.
LinkText = Annotated[UrlText, AfterValidator(_link)]
Name = Annotated[str, BeforeValidator(_strip), AfterValidator(_name)]
TagName = Annotated[str, AfterValidator(_tag_name)]
Identifier = Annotated[Text, _limit(100)]


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class TagIn(Lenient):
    name: TagName
    vocabulary_id: Identifier | None = None


class ExtraIn(Lenient):
    key: Annotated[Text, _limit(200)]
    value: LongText | None = ""
    deleted: bool | None = None


class GroupRef(Lenient):
    id: Identifier | None = None
    name: Identifier | None = None

    @property
    def ref(self) -> str | None:
        return self.id or self.name


class ResourceIn(BaseModel):
    # Resources carry free-form keys (CKAN resource extras); they are kept.
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: Identifier | None = None
    url: UrlText | None = ""
    name: ShortText | None = None
    description: LongText | None = None
    format: Annotated[Text, _limit(100)] | None = None
    mimetype: Annotated[Text, _limit(200)] | None = None
    size: Annotated[int, Field(ge=0, le=MAX_BIGINT)] | None = None
    hash: Annotated[Text, _limit(200)] | None = None
    url_type: Annotated[Text, _limit(50)] | None = None
    last_modified: Annotated[Text, _limit(40)] | None = None


class PackageIn(Lenient):
    id: Identifier | None = None
    name: Name | None = None
    title: ShortText | None = None
    notes: LongText | None = None
    author: ShortText | None = None
    author_email: ShortText | None = None
    maintainer: ShortText | None = None
    maintainer_email: ShortText | None = None
    license_id: Annotated[Text, _limit(100)] | None = None
    url: LinkText | None = None
    version: Annotated[Text, _limit(100)] | None = None
    state: Literal["active", "draft", "deleted"] | None = None
    type: Annotated[Text, _limit(100)] | None = None
    owner_org: Identifier | None = None
    private: bool | None = None
    region_code: Annotated[Text, _limit(6)] | None = None
    open_class: Annotated[Text, _limit(20)] | None = None
    update_frequency: Annotated[Text, _limit(20)] | None = None
    theme: Annotated[Text, _limit(20)] | None = None
    title_en: ShortText | None = None
    notes_en: LongText | None = None
    temporal_start: Annotated[Text, _limit(32)] | None = None
    temporal_end: Annotated[Text, _limit(32)] | None = None
    tags: list[TagIn] | None = None
    tag_string: LongText | None = None
    extras: list[ExtraIn] | None = None
    resources: list[ResourceIn] | None = None
    groups: list[GroupRef] | None = None


class MemberIn(Lenient):
    name: Identifier
    capacity: Literal["admin", "editor", "member"] = "member"


class GroupIn(Lenient):
    id: Identifier | None = None
    name: Name | None = None
    title: ShortText | None = None
    title_en: ShortText | None = None
    description: LongText | None = None
    image_url: LinkText | None = None
    region_code: Annotated[Text, _limit(6)] | None = None
    uscc: Annotated[Text, _limit(18)] | None = None
    extras: list[ExtraIn] | None = None
    users: list[MemberIn] | None = None


# CKAN's own words for pydantic's error kinds.
_MESSAGES = {
    "missing": "Missing value",
    "string_type": "Must be a string",
    "bool_type": "Must be a boolean value (true or false)",
    "bool_parsing": "Must be a boolean value (true or false)",
    "int_type": "Invalid integer",
    "int_parsing": "Invalid integer",
    "int_from_float": "Invalid integer",
    "greater_than_equal": "Must be a positive integer",
    "list_type": "Must be a list",
    "dict_type": "Must be a dict",
    "model_type": "Must be a dict",
    "model_attributes_type": "Must be a dict",
    "literal_error": "Value must be one of: {expected}",
}


def ckan_message(error: Any) -> str:
    template = _MESSAGES.get(error["type"])
    if template is None:
        return str(error["msg"])
    return template.format(expected=(error.get("ctx") or {}).get("expected", ""))


def error_dict(exc: ValidationError) -> ErrorDict:
    """Turn pydantic's flat error list into CKAN's nested field -> messages dict.

    ``("resources", 1, "url")`` becomes ``{"resources": [{}, {"url": [msg]}]}``.
    """
    out: dict[str, Any] = {}
    for error in exc.errors():
        loc = [part for part in error["loc"] if not isinstance(part, str) or "[" not in part]
        message = ckan_message(error)
        _insert(out, loc or ["__root__"], message)
    return out


def _insert(node: dict[str, Any], loc: list[Any], message: str) -> None:
    head, *rest = loc
    key = str(head)
    if not rest:
        node.setdefault(key, [])
        if isinstance(node[key], list) and message not in node[key]:
            node[key].append(message)
        return
    if isinstance(rest[0], int):
        index, *tail = rest
        items = node.setdefault(key, [])
        if not isinstance(items, list) or (items and not isinstance(items[0], dict)):
            items = node[key] = []
        while len(items) <= index:
            items.append({})
        if tail:
            _insert(items[index], tail, message)
        else:
            items[index].setdefault("__value__", []).append(message)
        return
    _insert(node.setdefault(key, {}), rest, message)


M = TypeVar("M", bound=BaseModel)


def parse_model(model: type[M], data: dict[str, Any]) -> M:
    """Validate ``data`` or raise :class:`delta.errors.ValidationFailed` in CKAN's shape."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(error_dict(exc)) from None
