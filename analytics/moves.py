"""Token moves over a window: ``price(t) / price(t - w) - 1``, missing when either end is missing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.panel import MarketPanel
from analytics.schema import COIN_ID, MARKET_CAP, PRICE, SYMBOL, VOLUME
from analytics.windows import DEFAULT_TOLERANCE_SHARE, tolerance_for, values_at, window_length


def window_ends(
    values: np.ndarray,
    timestamps: pd.DatetimeIndex,
    as_of: pd.Timestamp,
    window: str,
    tolerance_share: float = DEFAULT_TOLERANCE_SHARE,
) -> tuple[np.ndarray, np.ndarray]:
    """Per coin, the value at the window's start and at its end (``as_of``)."""
    tolerance = tolerance_for(window, tolerance_share)
    start = values_at(values, timestamps, as_of - window_length(window), tolerance)
    end = values_at(values, timestamps, as_of, tolerance)
    return start, end


def window_change(
    values: np.ndarray,
    timestamps: pd.DatetimeIndex,
    as_of: pd.Timestamp,
    window: str,
    tolerance_share: float = DEFAULT_TOLERANCE_SHARE,
) -> np.ndarray:
    """Per coin, ``end / start - 1`` over the window; NaN when either end is missing."""
    start, end = window_ends(values, timestamps, as_of, window, tolerance_share)
    with np.errstate(invalid="ignore", divide="ignore"):
        return end / start - 1.0


def token_moves(
    panel: MarketPanel,
    as_of: pd.Timestamp,
    windows: tuple[str, ...],
    tolerance_share: float = DEFAULT_TOLERANCE_SHARE,
) -> pd.DataFrame:
    """One row per coin: latest price, cap and 24h volume at ``as_of``, and ``change_<w>`` per window."""
    tolerance = tolerance_for(windows[0], tolerance_share)
    table = pd.DataFrame(
        {
            SYMBOL: panel.symbols.to_numpy(),
            PRICE: values_at(panel.price, panel.timestamps, as_of, tolerance),
            MARKET_CAP: values_at(panel.market_cap, panel.timestamps, as_of, tolerance),
            VOLUME: values_at(panel.volume, panel.timestamps, as_of, tolerance),
        },
        index=panel.coins.rename(COIN_ID),
    )
    for window in windows:
        table[f"change_{window}"] = window_change(
            panel.price, panel.timestamps, as_of, window, tolerance_share
        )
    return table
