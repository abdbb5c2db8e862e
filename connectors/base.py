"""The one interface every market-data source implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pandas as pd


class MarketSource(Protocol):
    """A source of market data in the tidy frame of ``analytics.schema``."""

    name: str  # short id written into every frame's ``source`` column and every export
    label: str  # what the UI badge and export provenance say, e.g. "offline – simulated market"
    live: bool  # True when the data comes from a live upstream service

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Validated tidy rows for ``coins`` between ``start`` and ``end`` (inclusive, UTC)."""
        ...


def clip_to_range(
    frame: pd.DataFrame, coins: Sequence[str], start: pd.Timestamp | None, end: pd.Timestamp | None
) -> pd.DataFrame:
    """Rows of ``frame`` for the given coins within [start, end]; shared by file-like sources."""
    keep = frame["coin_id"].isin(list(coins))
    if start is not None:
        keep &= frame["timestamp"] >= start
    if end is not None:
        keep &= frame["timestamp"] <= end
    return frame[keep].reset_index(drop=True)
