"""Update frequencies (更新频率), with their EU frequency vocabulary URIs for DCAT-AP."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"


class UpdateFrequency(StrEnum):
    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"


EU_CODES = {
    UpdateFrequency.REALTIME: "UPDATE_CONT",
    UpdateFrequency.DAILY: "DAILY",
    UpdateFrequency.WEEKLY: "WEEKLY",
    UpdateFrequency.MONTHLY: "MONTHLY",
    UpdateFrequency.QUARTERLY: "QUARTERLY",
    UpdateFrequency.YEARLY: "ANNUAL",
    UpdateFrequency.IRREGULAR: "IRREG",
}

LABELS_ZH = {
    UpdateFrequency.REALTIME: "实时",
    UpdateFrequency.DAILY: "每日",
    UpdateFrequency.WEEKLY: "每周",
    UpdateFrequency.MONTHLY: "每月",
    UpdateFrequency.QUARTERLY: "每季度",
    UpdateFrequency.YEARLY: "每年",
    UpdateFrequency.IRREGULAR: "不定期",
}

# How late an update may be before a dataset counts as overdue (on-time update rate).
EXPECTED_INTERVAL = {
    UpdateFrequency.REALTIME: timedelta(days=1),
    UpdateFrequency.DAILY: timedelta(days=2),
    UpdateFrequency.WEEKLY: timedelta(days=8),
    UpdateFrequency.MONTHLY: timedelta(days=32),
    UpdateFrequency.QUARTERLY: timedelta(days=93),
    UpdateFrequency.YEARLY: timedelta(days=367),
}

# The period in which each frequency promises one update (on-time update rate).
PERIOD = {
    UpdateFrequency.REALTIME: timedelta(days=1),
    UpdateFrequency.DAILY: timedelta(days=1),
    UpdateFrequency.WEEKLY: timedelta(days=7),
    UpdateFrequency.MONTHLY: timedelta(days=30),
    UpdateFrequency.QUARTERLY: timedelta(days=91),
    UpdateFrequency.YEARLY: timedelta(days=365),
}

_ALIASES = {label: freq for freq, label in LABELS_ZH.items()} | {"annual": UpdateFrequency.YEARLY}


def parse(value: str) -> UpdateFrequency:
    value = value.strip()
    if value in _ALIASES:
        return _ALIASES[value]
    return UpdateFrequency(value.lower())


def eu_uri(freq: UpdateFrequency) -> str:
    return EU_FREQUENCY + EU_CODES[freq]
