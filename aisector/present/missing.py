"""Why a figure of the sectors table is empty, in the trader's words.

Missing is missing: the pandas layer leaves a figure empty when it lacks its inputs, and every
screen shows "—" with one of these reasons beside it, never 0.
"""

from __future__ import annotations

import pandas as pd

from aisector.analytics.index import (
    CAP_WEIGHTED,
    CAPPED_CAP_WEIGHTED,
    EQUAL_WEIGHTED,
    VOLUME_WEIGHTED,
)
from aisector.analytics.sector_stats import COUNTED, MARKET_CAP_CHANGE, return_column
from aisector.analytics.shares import ROTATION_UNIVERSE, SHARES_OF, VOLUME_SHARE
from aisector.analytics.usage import CAP_TO_REVENUE, REVENUE_SHARE, change_column
from aisector.core.schema import MARKET_CAP, METRICS, VOLUME

NO_PRICES = "no member has a price at both ends of the window"
NO_CAP_WEIGHTS = "no member has a market cap at the window start (or at a step inside it)"
NO_VOLUME_WEIGHTS = "no member has a 24h volume at the window start (or at a step inside it)"
OUTSIDE_ROTATION = "a benchmark group, outside the rotation universe the shares are of"
REASONS = {
    return_column(CAP_WEIGHTED): NO_CAP_WEIGHTS,
    return_column(CAPPED_CAP_WEIGHTED): NO_CAP_WEIGHTS,
    return_column(EQUAL_WEIGHTED): NO_PRICES,
    return_column(VOLUME_WEIGHTED): NO_VOLUME_WEIGHTS,
    MARKET_CAP_CHANGE: "no member has a market cap at both ends of the window",
    MARKET_CAP: "no member has a market cap at the window end",
    VOLUME: "no member has a 24h volume at the window end",
    VOLUME_SHARE: "no member has a 24h volume at the window end",
    **{
        change_column(m): f"needs daily {m} on every day of the window and of the window before "
        "it, the earlier sum above 0"
        for m in METRICS
    },
    CAP_TO_REVENUE: "needs the token's market cap and 30 whole days of revenue, their sum above 0",
    REVENUE_SHARE: "needs the protocol's revenue on every day of the window and a sector total "
    "above 0",
}


def missing_reason(row: pd.Series, column: str) -> str | None:
    """Why ``row[column]`` of a sectors-table row is empty; None when it has a value."""
    if column not in row.index or pd.notna(row[column]):
        return None
    if column.startswith("return_") and row.get(COUNTED) == 0:
        return NO_PRICES
    if (
        column == VOLUME_SHARE
        and row.get(SHARES_OF) == ROTATION_UNIVERSE
        and row.get(VOLUME, 0) > 0
    ):
        return OUTSIDE_ROTATION
    return REASONS.get(column, "its inputs are missing")


def missing_notes(row: pd.Series, columns: dict[str, str]) -> list[str]:
    """'Volume-weighted: — no member has …' for each named column of ``row`` that is empty."""
    notes = ((name, missing_reason(row, column)) for column, name in columns.items())
    return [f"{name}: — {reason}" for name, reason in notes if reason]
