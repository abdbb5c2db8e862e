"""Sector totals over time and each sector's share of them: where the liquidity sits.

A coin in several sectors counts in each, so shares are of the sum over tracked sectors, not of
the whole market.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.membership import membership_matrix, sector_keys
from analytics.panel import MarketPanel
from analytics.schema import MARKET_CAP, SECTOR, TIMESTAMP, VOLUME

VOLUME_SHARE = "volume_share"
MARKET_CAP_SHARE = "market_cap_share"


def sector_totals(values: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """(row × sector) sums of members' values; a missing value adds nothing."""
    return np.nan_to_num(values, nan=0.0) @ membership.T


def shares_of_total(totals: np.ndarray) -> np.ndarray:
    """Each column's share of its row total; NaN where the row total is zero."""
    row_total = totals.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(row_total > 0, totals / row_total, np.nan)


def sector_shares(panel: MarketPanel, members: pd.DataFrame, rows: slice) -> pd.DataFrame:
    """Tidy (timestamp, sector) rows: sector 24h volume and market cap, and their shares."""
    membership = membership_matrix(members, panel.coins)
    sectors = sector_keys(members)
    volume = sector_totals(panel.volume[rows], membership)
    market_cap = sector_totals(panel.market_cap[rows], membership)
    stamps = panel.timestamps[rows]
    return pd.DataFrame(
        {
            TIMESTAMP: np.repeat(stamps, len(sectors)),
            SECTOR: np.tile(sectors.to_numpy(dtype=object), len(stamps)),
            VOLUME: volume.ravel(),
            MARKET_CAP: market_cap.ravel(),
            VOLUME_SHARE: shares_of_total(volume).ravel(),
            MARKET_CAP_SHARE: shares_of_total(market_cap).ravel(),
        }
    )
