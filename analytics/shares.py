"""Sector totals over time and each sector's share of them: where the liquidity sits.

A coin in several sectors counts in each, so shares are of the sum over tracked sectors, not of
the whole market. A sector none of whose members has a value has no total (and no share), not 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.membership import membership_matrix, sector_keys
from analytics.schema import MARKET_CAP, SECTOR, TIMESTAMP, VOLUME
from analytics.windows import Window

VOLUME_SHARE = "volume_share"
MARKET_CAP_SHARE = "market_cap_share"


def sector_totals(values: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """(... × sector) sums of members' values; a missing value adds nothing, and a sector with no
    value at all is NaN."""
    totals = np.nan_to_num(values, nan=0.0) @ membership.T
    known = np.isfinite(values).astype(float) @ membership.T > 0
    return np.where(known, totals, np.nan)


def shares_of_total(totals: np.ndarray) -> np.ndarray:
    """Each column's share of its row total over the known columns; NaN where a column is
    missing or the row total is zero."""
    row_total = np.nansum(totals, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(row_total > 0, totals / row_total, np.nan)


def sector_shares(window: Window, members: pd.DataFrame) -> pd.DataFrame:
    """Tidy (timestamp, sector) rows over the window's rows (its start first): sector 24h volume
    and market cap, and their shares."""
    membership = membership_matrix(members, window.panel.coins)
    sectors = sector_keys(members)
    volume = sector_totals(window.volume, membership)
    market_cap = sector_totals(window.market_cap, membership)
    stamps = window.stamps
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
