"""Reading action parameters the way CKAN does: strings from GET, JSON from POST."""

from __future__ import annotations

import json
from typing import Any

from delta.errors import ValidationFailed

# The largest count or offset a parameter may carry: anything larger means nothing
# (and overflows the databases' LIMIT/OFFSET), so it is a validation error, not a 500.
MAX_INT = 2**31 - 1
_TRUE = {"true", "1", "yes", "y", "t", "on"}
_FALSE = {"false", "0", "no", "n", "f", "off", ""}


def required_str(data: dict[str, Any], key: str = "id") -> str:
    value = data.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed.on(key, "Missing value")
    if len(value) > 200:
        raise ValidationFailed.on(key, "Must be at most 200 characters long")
    return value.strip()


def optional_str(data: dict[str, Any], key: str, *, max_len: int = 1000) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed.on(key, "Must be a string")
    if len(value) > max_len:
        raise ValidationFailed.on(key, f"Must be at most {max_len} characters long")
    return value


def as_bool(data: dict[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValidationFailed.on(key, "Must be a boolean value (true or false)")


def as_int(
    data: dict[str, Any],
    key: str,
    default: int | None,
    *,
    minimum: int = 0,
    maximum: int | None = None,
) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return default
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or (isinstance(value, float) and not value.is_integer()):
        raise ValidationFailed.on(key, "Invalid integer")
    if number < minimum:
        raise ValidationFailed.on(key, f"Must be a natural number of at least {minimum}")
    if maximum is None:
        maximum = MAX_INT
    if number > maximum:
        raise ValidationFailed.on(key, f"Must be at most {maximum}")
    return number


def as_str_list(data: dict[str, Any], key: str) -> list[str] | None:
    """A list given as a JSON list, a JSON-encoded string or repeated GET parameters."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                raise ValidationFailed.on(key, "Must be a JSON list of strings") from None
        else:
            value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationFailed.on(key, "Must be a list of strings")
    return value
