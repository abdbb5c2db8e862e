"""Test doubles shared by the live-connector tests: a clock whose sleep only records, fixtures,
the sectors file of the fixtures' coins, and the query a ``responses`` call sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"
T_SNAPSHOT = 1_737_504_300.0  # 2025-01-22 00:05:00 UTC, a few seconds after the fixtures' quotes
# A sectors file of the /coins/markets fixture's three coins.
FIXTURE_SECTORS = """
[sectors.ai-agents]
label = "AI agents"
coins = ["virtual-protocol", "pippin"]

[sectors.majors]
label = "Majors"
coins = ["bitcoin"]

[benchmark]
coins = ["bitcoin"]
"""


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


def query_of(call) -> dict[str, str]:
    """The query parameters a recorded ``responses`` call sent, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}
