"""One row per sector over a window: market-cap change, index returns, volume and its share.

Market-cap change is CoinGecko-category style: ``sum(cap_i(t)) / sum(cap_i(t - w)) - 1`` over
members with both values. Index returns are the chain-linked indices' moves over the window. A
figure without inputs (no member with a cap, no volume, no weights) is missing, never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisector.analytics.index import (
    BASE_LEVEL,
    CAP_WEIGHTED,
    CAPPED_CAP_WEIGHTED,
    EQUAL_WEIGHTED,
    VOLUME_WEIGHTED,
    index_levels,
)
from aisector.analytics.membership import members_per_sector, membership_matrix, sector_keys
from aisector.analytics.shares import (
    ALL,
    SHARES_OF,
    VOLUME_SHARE,
    ShareUniverse,
    sector_totals,
    shares_of_total,
)
from aisector.analytics.windows import Window
from aisector.core.schema import MARKET_CAP, SECTOR, VOLUME

MEMBERS = "members"
COUNTED = "counted"
CAP_COUNTED = "market_cap_counted"
MARKET_CAP_CHANGE = "market_cap_change"


def return_column(method: str) -> str:
    """The sectors-table column holding an index method's return over the window."""
    return f"return_{method}"


def counted_sum(values: np.ndarray, both: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Per sector, the sum of members' values where ``both`` ends are known; NaN where none is."""
    return sector_totals(np.where(both, values, np.nan), membership)


def sector_summary(
    window: Window,
    members: pd.DataFrame,
    max_weight: float | None = None,
    universe: ShareUniverse = ALL,
) -> pd.DataFrame:
    """The sectors table (see DESIGN.md), indexed by sector key; volume share of ``universe``."""
    panel = window.panel
    membership = membership_matrix(members, panel.coins)
    priced = np.isfinite(window.at_start(panel.price)) & np.isfinite(window.at_end(panel.price))
    cap_start, cap_end = window.at_start(panel.market_cap), window.at_end(panel.market_cap)
    both_caps = np.isfinite(cap_start) & np.isfinite(cap_end)
    with np.errstate(invalid="ignore", divide="ignore"):
        cap_change = (
            counted_sum(cap_end, both_caps, membership)
            / counted_sum(cap_start, both_caps, membership)
            - 1.0
        )
    volume = sector_totals(window.at_end(panel.volume), membership)
    table = pd.DataFrame(
        {
            MEMBERS: members_per_sector(members).to_numpy(),
            COUNTED: membership @ priced,
            CAP_COUNTED: membership @ both_caps,
            MARKET_CAP: sector_totals(cap_end, membership),
            MARKET_CAP_CHANGE: cap_change,
        },
        index=sector_keys(members),
    )
    table[[COUNTED, CAP_COUNTED]] = table[[COUNTED, CAP_COUNTED]].astype("int64")
    for method, returns in window_returns(window, membership, max_weight).items():
        table[return_column(method)] = np.where(table[COUNTED] > 0, returns, np.nan)
    table[VOLUME] = volume
    table[VOLUME_SHARE] = shares_of_total(volume, universe.mask(table.index))
    table[SHARES_OF] = universe.name
    return table.rename_axis(SECTOR)


def window_returns(
    window: Window, membership: np.ndarray, max_weight: float | None
) -> dict[str, np.ndarray]:
    """Each index method's return over the window: final level / 100 - 1, per sector."""
    methods = [CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED]
    if max_weight is not None:
        methods.insert(1, CAPPED_CAP_WEIGHTED)
    levels = index_levels(window, membership, tuple(methods), max_weight)
    return {method: level[-1] / BASE_LEVEL - 1.0 for method, level in levels.items()}
