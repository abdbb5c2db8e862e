"""The one interface every market-data source implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Protocol

import pandas as pd

from analytics.schema import validate_market_frame
from connectors.http import HttpClient
from connectors.payload import history_range, with_lookbacks


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


class QuoteSource(ABC):
    """What the live sources share: ``market_history`` is the latest view when no range is given
    (current quotes plus the rows the source's own changes imply at 24h/7d/30d), else history.

    Subclasses provide ``name``, ``http``, ``_quotes(coins, as_of)`` and ``history(coins, start,
    end)``.
    """

    name: str
    http: HttpClient

    @property
    def requests_made(self) -> int:
        """Upstream requests so far, retries included (the collector reports them)."""
        return self.http.requests_made

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """The latest view when no range is given, else hourly history."""
        span = history_range(start, end, self.http.clock())
        return self.latest(coins) if span is None else self.history(coins, *span)

    def snapshot(self, coins: Sequence[str], as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """Current quotes as tidy rows filed under ``as_of`` (default: this minute)."""
        return validate_market_frame(self._quotes(coins, as_of), self.name)

    def latest(self, coins: Sequence[str], as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """Current quotes plus the rows their upstream changes imply earlier, so every window's
        move comes out of the same calls."""
        return validate_market_frame(with_lookbacks(self._quotes(coins, as_of)), self.name)

    @abstractmethod
    def history(self, coins: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Hourly tidy rows in [start, end]."""

    @abstractmethod
    def _quotes(self, coins: Sequence[str], as_of: pd.Timestamp | None) -> pd.DataFrame:
        """Current quotes as tidy columns, stamped ``as_of``."""
