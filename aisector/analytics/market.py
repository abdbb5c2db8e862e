"""A loaded market: the tidy frame, its wide panel, and where it came from (for badges and exports)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from aisector.analytics.panel import MarketPanel


@dataclass(frozen=True)
class MarketData:
    """A validated tidy frame, its wide panel, and where it came from."""

    frame: pd.DataFrame
    panel: MarketPanel
    source: str
    label: str
    live: bool
    warnings: tuple[str, ...] = field(default=())
    stale: bool = False  # a refresh failed and these are the last good data
    history_since: pd.Timestamp | None = None  # live data: the oldest stored row behind it
    revision: str = ""  # which state of the store's history is merged in (a cache key)

    @property
    def as_of(self) -> pd.Timestamp:
        return self.panel.timestamps[-1]
