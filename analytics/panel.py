"""The wide form of the tidy frame: one (timestamp × coin) matrix per measure.

Every calculation in the layer is array maths on these matrices; building them once from the
tidy frame (categorical codes, no pivot) is what keeps 8.76 million rows under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.schema import COIN_ID, MARKET_CAP, PRICE, SYMBOL, TIMESTAMP, VOLUME


@dataclass(frozen=True)
class MarketPanel:
    """Aligned matrices of price, market cap and 24h volume; NaN where a coin has no row."""

    timestamps: pd.DatetimeIndex
    coins: pd.Index
    symbols: pd.Series  # coin_id -> latest symbol
    price: np.ndarray
    market_cap: np.ndarray
    volume: np.ndarray

    def rows_between(self, start: pd.Timestamp, end: pd.Timestamp) -> slice:
        """The row slice with timestamps in [start, end]."""
        lo = int(self.timestamps.searchsorted(start, side="left"))
        hi = int(self.timestamps.searchsorted(end, side="right"))
        return slice(lo, hi)


def market_panel(frame: pd.DataFrame) -> MarketPanel:
    """Spread a validated tidy frame into aligned matrices."""
    time_codes, timestamps = pd.factorize(frame[TIMESTAMP], sort=True)
    coin_codes, coins = _coin_codes(frame[COIN_ID])
    shape = (len(timestamps), len(coins))
    matrices = {}
    for column in (PRICE, MARKET_CAP, VOLUME):
        matrix = np.full(shape, np.nan)
        matrix[time_codes, coin_codes] = frame[column].to_numpy(dtype="float64", na_value=np.nan)
        matrices[column] = matrix
    symbols = np.empty(len(coins), dtype=object)
    symbols[coin_codes] = frame[SYMBOL].astype(str).to_numpy()  # rows are time-sorted: latest wins
    return MarketPanel(
        timestamps=pd.DatetimeIndex(timestamps),
        coins=pd.Index(coins, name=COIN_ID),
        symbols=pd.Series(symbols, index=pd.Index(coins, name=COIN_ID), name=SYMBOL),
        price=matrices[PRICE],
        market_cap=matrices[MARKET_CAP],
        volume=matrices[VOLUME],
    )


def _coin_codes(coin_ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    if isinstance(coin_ids.dtype, pd.CategoricalDtype):
        used = coin_ids.cat.remove_unused_categories()
        return used.cat.codes.to_numpy(), pd.Index(used.cat.categories.astype(str))
    codes, uniques = pd.factorize(coin_ids, sort=True)
    return codes, pd.Index(uniques.astype(str))
