"""Token moves over a window: ``price(t) / price(t - w) - 1``, missing when either end is missing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aisector.analytics.windows import Window
from aisector.core.schema import COIN_ID, MARKET_CAP, PRICE, SYMBOL, VOLUME


def window_change(window: Window, values: np.ndarray) -> np.ndarray:
    """Per coin, ``end / start - 1`` of a panel matrix over the window; NaN when an end is missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return window.at_end(values) / window.at_start(values) - 1.0


def token_moves(window: Window, others: Sequence[Window] = ()) -> pd.DataFrame:
    """One row per coin: price, cap and 24h volume at the window end, and ``change_<label>`` for
    ``window`` and each of ``others`` (windows ending at the same time)."""
    panel = window.panel
    table = pd.DataFrame(
        {
            SYMBOL: panel.symbols.to_numpy(),
            PRICE: window.at_end(panel.price),
            MARKET_CAP: window.at_end(panel.market_cap),
            VOLUME: window.at_end(panel.volume),
        },
        index=panel.coins.rename(COIN_ID),
    )
    for each in (window, *others):
        table[f"change_{each.label}"] = window_change(each, panel.price)
    return table
