"""Deterministic randomness and small helpers shared by the builders."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import TypeVar

T = TypeVar("T")

# Bump to regenerate every package differently; keep it fixed otherwise.
SEED = "delta-samples-v1"


def seeded(name: str) -> random.Random:
    """One generator per package, so adding a package never changes another."""
    digest = hashlib.sha256(f"{SEED}:{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - not for secrets


def words(text: str) -> tuple[str, ...]:
    """A word list written as one space-separated string (easier to read for Chinese)."""
    return tuple(text.split())


def weighted(rng: random.Random, choices: Sequence[tuple[T, float]]) -> T:
    values = [value for value, _ in choices]
    weights = [weight for _, weight in choices]
    return rng.choices(values, weights=weights, k=1)[0]


def days(start: date, end: date) -> Iterator[date]:
    current = start
    while current <= end:
        yield current
        current += timedelta(days=1)


def months(first: str, last: str) -> list[str]:
    """Inclusive list of ``YYYY-MM`` strings."""
    year, month = (int(x) for x in first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def strip_suffix(name: str, suffixes: Sequence[str]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def street_short(street: str) -> str:
    """田林街道 → 田林, 曹杨新村街道 → 曹杨新村, 七宝镇 → 七宝."""
    return strip_suffix(street, ("街道", "镇", "乡", "社区工作委员会", "社区"))


def unique(make: Callable[[], str], count: int, *, tries: int = 50) -> list[str]:
    """``count`` distinct strings from a zero-argument callable."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        for _ in range(tries):
            candidate = make()
            if candidate not in seen:
                break
        else:
            raise RuntimeError(f"could not make {count} distinct values")
        seen.add(candidate)
        out.append(candidate)
    return out
