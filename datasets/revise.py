"""The dict operations behind CKAN's ``package_revise``: match, filter and update a
dataset dict by nested keys written ``a__b__c``.

A key part selects a dict key, a list index (``0``, ``-1``) or, in a list of dicts,
the first item whose ``id`` starts with the part (at least 5 characters).
"""

from __future__ import annotations

from typing import Any

Path = tuple[str | int, ...]
MIN_ID_PREFIX = 5


class RevisionError(ValueError):
    """A key that selects nothing, or a value of the wrong kind for its place."""


def _joined(path: Path) -> str:
    return "__".join(str(part) for part in path)


def _index(items: list[Any], part: str, path: Path) -> int:
    """Where ``part`` points in ``items``: an id prefix or an index (negative from the end)."""
    if len(part) >= MIN_ID_PREFIX:
        for position, item in enumerate(items):
            if isinstance(item, dict) and str(item.get("id", "")).startswith(part):
                return position
        raise RevisionError(f"Unmatched key {_joined((*path, part))}")
    try:
        position = int(part)
    except ValueError:
        raise RevisionError(f"Unmatched key {_joined((*path, part))}") from None
    if not -len(items) <= position < len(items):
        raise RevisionError(f"Unmatched key {_joined((*path, part))}")
    return position if position >= 0 else len(items) + position


def resolve(data: Any, key: str) -> tuple[Any, Path]:
    """The value ``key`` selects in ``data``, and the path to it."""
    current: Any = data
    path: Path = ()
    for part in key.split("__"):
        if isinstance(current, dict):
            if part not in current:
                raise RevisionError(f"Unmatched key {_joined((*path, part))}")
            current, path = current[part], (*path, part)
        elif isinstance(current, list):
            position = _index(current, part, path)
            current, path = current[position], (*path, position)
        else:
            raise RevisionError(f"Unmatched key {_joined((*path, part))}")
    return current, path


def mismatches(current: Any, expected: Any, path: Path = ()) -> list[Path]:
    """Paths where ``current`` differs from ``expected`` (dicts and lists compare only
    the keys and items ``expected`` has)."""
    if isinstance(expected, dict):
        if not isinstance(current, dict):
            return [path]
        found: list[Path] = []
        for key, value in sorted(expected.items()):
            if key not in current:
                found.append((*path, key))
            else:
                found += mismatches(current[key], value, (*path, key))
        return found
    if isinstance(expected, list):
        if not isinstance(current, list):
            return [path]
        found = []
        for position, value in enumerate(expected):
            if position >= len(current):
                found.append((*path, position))
            else:
                found += mismatches(current[position], value, (*path, position))
        return found
    return [] if current == expected else [path]


def key_mismatches(data: dict[str, Any], key: str, expected: Any) -> list[Path]:
    current, path = resolve(data, key)
    return mismatches(current, expected, path)


def merge(target: Any, update: Any, path: Path = ()) -> None:
    """Merge ``update`` into ``target`` in place: dicts key by key, lists item by item
    (items past the end are appended), anything else replaced."""
    if isinstance(target, dict):
        if not isinstance(update, dict):
            raise RevisionError(f"Expected dict for {_joined(path)}")
        for key, value in update.items():
            if key in target and isinstance(target[key], (dict, list)):
                merge(target[key], value, (*path, key))
            else:
                target[key] = value
        return
    if not isinstance(update, list):
        raise RevisionError(f"Expected list for {_joined(path)}")
    for position, value in enumerate(update):
        if position >= len(target):
            target.append(value)
        elif isinstance(target[position], (dict, list)):
            merge(target[position], value, (*path, position))
        else:
            target[position] = value


def merge_key(data: dict[str, Any], key: str, value: Any) -> None:
    """``update__a__b=value``; a last part ``extend`` appends the items of a list."""
    *parents, last = key.split("__")
    container, path = resolve(data, "__".join(parents)) if parents else (data, ())
    if isinstance(container, dict):
        merge(container, {last: value}, path)
    elif isinstance(container, list):
        if last == "extend":
            if not isinstance(value, list):
                raise RevisionError(f"Expected list for {_joined(path)}")
            container.extend(value)
            return
        position = _index(container, last, path)
        if isinstance(container[position], (dict, list)):
            merge(container[position], value, (*path, position))
        else:
            container[position] = value
    else:
        raise RevisionError(f"Expected list or dict for {_joined(path)}")


def remove_matching(data: Any, patterns: list[str]) -> None:
    """Remove what the glob patterns select, in place. ``-a__b`` removes, ``+a__b``
    protects (the first pattern naming a thing wins), ``*`` stands for every key."""
    _remove(data, [(p.startswith("+"), p.lstrip("+-").split("__")) for p in patterns])


Globs = list[tuple[bool, list[str]]]


def _remove(data: Any, globs: Globs) -> None:
    if isinstance(data, dict):
        _remove_from_dict(data, globs)
    elif isinstance(data, list):
        _remove_from_list(data, globs)


def _remove_from_dict(data: dict[str, Any], globs: Globs) -> None:
    kept: dict[str, Any] = {}
    below: dict[str, list[tuple[bool, list[str]]]] = {}
    for keep, parts in globs:
        head = parts[0]
        if head == "*":
            if keep:
                kept.update(data)
            else:
                data.clear()
        elif head in data:
            if len(parts) > 1:
                below.setdefault(head, []).append((keep, parts[1:]))
            elif keep:
                kept[head] = data[head]
            else:
                del data[head]
    data.update(kept)
    for head, rest in below.items():
        if head in data:
            _remove(data[head], rest)


def _remove_from_list(data: list[Any], globs: Globs) -> None:
    protected: set[int] = set()
    removed: set[int] = set()
    children: dict[int, list[tuple[bool, list[str]]]] = {}
    for keep, parts in globs:
        head = parts[0]
        if head == "*":
            everything = set(range(len(data)))
            if keep:
                protected |= everything - removed
            else:
                removed |= everything - protected
            continue
        try:
            position = _index(data, head, ())
        except RevisionError:
            continue
        if len(parts) > 1:
            children.setdefault(position, []).append((keep, parts[1:]))
        elif keep and position not in removed:
            protected.add(position)
        elif not keep and position not in protected:
            removed.add(position)
    gone = removed - protected
    for position, rest in children.items():
        if position not in gone:
            _remove(data[position], rest)
    data[:] = [item for position, item in enumerate(data) if position not in gone]
