"""Test doubles shared by the live-connector tests: a clock whose sleep only records, fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
T_SNAPSHOT = 1_737_504_300.0  # 2025-01-22 00:05:00 UTC, a few seconds after the fixtures' quotes


class FakeClock:
    """``time`` and ``sleep`` for injection: sleeping records the wait and moves time on."""

    def __init__(self, now: float = T_SNAPSHOT) -> None:
        self.now = now
        self.waits: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def fixture(name: str) -> Any:
    """A JSON fixture from tests/fixtures, decoded."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")
