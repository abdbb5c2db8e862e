"""One row per sector over a window: market-cap change, index returns, volume and its share.

Market-cap change is CoinGecko-category style: ``sum(cap_i(t)) / sum(cap_i(t - w)) - 1`` over
members with both values. Index returns are the chain-linked indices' moves over the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.index import (
    BASE_LEVEL,
    CAP_WEIGHTED,
    CAPPED_CAP_WEIGHTED,
    EQUAL_WEIGHTED,
    VOLUME_WEIGHTED,
    index_levels,
)
from analytics.membership import members_per_sector, membership_matrix, sector_keys
from analytics.moves import window_ends
from analytics.panel import MarketPanel
from analytics.schema import MARKET_CAP, SECTOR, VOLUME
from analytics.shares import VOLUME_SHARE, shares_of_total
from analytics.windows import DEFAULT_TOLERANCE_SHARE, window_length

MEMBERS = "members"
COUNTED = "counted"
CAP_COUNTED = "market_cap_counted"
MARKET_CAP_CHANGE = "market_cap_change"


def return_column(method: str) -> str:
    """The sectors-table column holding an index method's return over the window."""
    return f"return_{method}"


def counted_sum(values: np.ndarray, both: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """Per sector, the sum of members' values where ``both`` ends are known."""
    return membership @ np.where(both, values, 0.0)


def sector_summary(
    panel: MarketPanel,
    members: pd.DataFrame,
    as_of: pd.Timestamp,
    window: str,
    max_weight: float | None = None,
    tolerance_share: float = DEFAULT_TOLERANCE_SHARE,
) -> pd.DataFrame:
    """The sectors table (see DESIGN.md), indexed by sector key."""
    membership = membership_matrix(members, panel.coins)
    price_start, price_end = window_ends(
        panel.price, panel.timestamps, as_of, window, tolerance_share
    )
    cap_start, cap_end = window_ends(
        panel.market_cap, panel.timestamps, as_of, window, tolerance_share
    )
    _, volume_end = window_ends(panel.volume, panel.timestamps, as_of, window, tolerance_share)
    both_caps = np.isfinite(cap_start) & np.isfinite(cap_end)
    with np.errstate(invalid="ignore", divide="ignore"):
        cap_change = (
            counted_sum(cap_end, both_caps, membership)
            / counted_sum(cap_start, both_caps, membership)
            - 1.0
        )
    volume = membership @ np.nan_to_num(volume_end, nan=0.0)
    table = pd.DataFrame(
        {
            MEMBERS: members_per_sector(members).to_numpy(),
            COUNTED: membership @ (np.isfinite(price_start) & np.isfinite(price_end)),
            CAP_COUNTED: membership @ both_caps,
            MARKET_CAP: membership @ np.nan_to_num(cap_end, nan=0.0),
            MARKET_CAP_CHANGE: cap_change,
        },
        index=sector_keys(members),
    )
    table[[COUNTED, CAP_COUNTED]] = table[[COUNTED, CAP_COUNTED]].astype("int64")
    for method, returns in window_returns(panel, membership, as_of, window, max_weight).items():
        table[return_column(method)] = np.where(table[COUNTED] > 0, returns, np.nan)
    table[VOLUME] = volume
    table[VOLUME_SHARE] = shares_of_total(volume)
    return table.rename_axis(SECTOR)


def window_returns(
    panel: MarketPanel,
    membership: np.ndarray,
    as_of: pd.Timestamp,
    window: str,
    max_weight: float | None,
) -> dict[str, np.ndarray]:
    """Each index method's return over the window: final level / 100 - 1, per sector."""
    rows = panel.rows_between(as_of - window_length(window), as_of)
    methods = [CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED]
    if max_weight is not None:
        methods.insert(1, CAPPED_CAP_WEIGHTED)
    if rows.stop - rows.start < 2:
        return {method: np.full(membership.shape[0], np.nan) for method in methods}
    levels = index_levels(panel, membership, rows, tuple(methods), max_weight)
    return {method: level[-1] / BASE_LEVEL - 1.0 for method, level in levels.items()}
