"""The wide form of the tidy frame: one (timestamp × coin) matrix per measure.

Every calculation in the layer is array maths on these matrices; building them once from the
tidy frame (categorical codes, no pivot) is what keeps 8.76 million rows under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisector.core.schema import COIN_ID, MARKET_CAP, PRICE, SYMBOL, TIMESTAMP, VOLUME


@dataclass(frozen=True)
class MarketPanel:
    """Aligned matrices of price, market cap and 24h volume; NaN where a coin has no row."""

    timestamps: pd.DatetimeIndex
    coins: pd.Index
    symbols: pd.Series  # coin_id -> latest symbol
    price: np.ndarray
    market_cap: np.ndarray
    volume: np.ndarray


def market_panel(frame: pd.DataFrame) -> MarketPanel:
    """Spread a validated tidy frame into aligned matrices."""
    cells, timestamps, coin_codes, coins = _cells(frame)
    matrices = {
        column: _spread(frame[column], cells, (len(timestamps), len(coins)))
        for column in (PRICE, MARKET_CAP, VOLUME)
    }
    symbol_codes, symbol_names = _codes(frame[SYMBOL])
    latest_symbol = np.zeros(len(coins), dtype=symbol_codes.dtype)
    latest_symbol[coin_codes] = symbol_codes  # rows are time-sorted: the latest row's symbol wins
    coin_index = pd.Index(coins, name=COIN_ID)
    return MarketPanel(
        timestamps=timestamps,
        coins=coin_index,
        symbols=pd.Series(symbol_names[latest_symbol], index=coin_index, name=SYMBOL),
        price=matrices[PRICE],
        market_cap=matrices[MARKET_CAP],
        volume=matrices[VOLUME],
    )


def market_matrix(
    frame: pd.DataFrame, column: str
) -> tuple[pd.DatetimeIndex, pd.Index, np.ndarray]:
    """One measure of a validated tidy frame as a (timestamp × coin) matrix, with its axes:
    what a single aggregation needs, without the panel's other two matrices."""
    cells, timestamps, _, coins = _cells(frame)
    matrix = _spread(frame[column], cells, (len(timestamps), len(coins)))
    return timestamps, pd.Index(coins, name=COIN_ID), matrix


def _cells(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """Each row's flat position in a (timestamp × coin) matrix, the timestamps, the rows' coin
    codes and the coins."""
    cells, timestamps = _time_codes(frame[TIMESTAMP])
    coin_codes, coins = _codes(frame[COIN_ID])
    cells *= len(coins)  # in place: saves two copies of a row-long array
    cells += coin_codes
    return cells, timestamps, coin_codes, coins


def _spread(values: pd.Series, cells: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A NaN matrix of ``shape`` with ``values`` scattered to their flat ``cells``."""
    matrix = np.full(shape, np.nan)
    matrix.ravel()[cells] = values.to_numpy(dtype="float64", na_value=np.nan)
    return matrix


def _time_codes(stamps: pd.Series) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Row codes of each timestamp; a linear scan when sorted (validated frames are)."""
    if not stamps.is_monotonic_increasing:
        codes, uniques = pd.factorize(stamps, sort=True)
        return codes.astype(np.int64), pd.DatetimeIndex(uniques)
    values = stamps.to_numpy(dtype="datetime64[ns]")  # UTC instants; avoids boxing Timestamps
    starts = np.empty(len(values), dtype=bool)
    starts[:1] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    return np.cumsum(starts) - 1, pd.DatetimeIndex(values[starts]).tz_localize("UTC")


def _codes(labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of the labels that occur, and those labels as strings (categorical: no hashing)."""
    if not isinstance(labels.dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(labels, sort=True)
        return codes, np.asarray(uniques, dtype=object).astype(str)
    codes = labels.cat.codes.to_numpy()
    names = labels.cat.categories.to_numpy(dtype=object).astype(str)
    used = np.bincount(codes, minlength=len(names)) > 0
    if used.all():  # the usual case: the small codes serve as they are
        return codes, names
    return (np.cumsum(used) - 1)[codes], names[used]
