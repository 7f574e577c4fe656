"""Every sample package, in catalog order."""

from __future__ import annotations

from collections.abc import Callable

from . import (
    anhui,
    hangzhou,
    jiangsu,
    nanjing,
    shanghai,
    shanghai_districts,
    suzhou,
    suzhou_anhui,
    zhejiang,
)
from .model import Package

BUILDERS: tuple[Callable[[], Package], ...] = (
    *shanghai.BUILDERS,
    *shanghai_districts.BUILDERS,
    *jiangsu.BUILDERS,
    *suzhou.BUILDERS,
    *nanjing.BUILDERS,
    *zhejiang.BUILDERS,
    *hangzhou.BUILDERS,
    *anhui.BUILDERS,
    *suzhou_anhui.BUILDERS,
)


def build_all() -> list[Package]:
    return [build() for build in BUILDERS]
