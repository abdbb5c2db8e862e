"""Where the money went over a window: each sector's market-cap change in USD, and an estimated
flow of share points from the sectors that lost share to those that gained it.

The flow is an estimate, not an observed transfer: each loser's lost share points are split over
the gainers in proportion to their gains (pro rata). Shares only say who lost and who gained, not
who bought from whom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisector.analytics.membership import membership_matrix, sector_keys
from aisector.analytics.sector_stats import counted_sum
from aisector.analytics.windows import Window
from aisector.core.schema import SECTOR, TIMESTAMP

CAP_START = "market_cap_start"
CAP_END = "market_cap_end"
CAP_CHANGE_USD = "market_cap_change_usd"
SOURCE_SECTOR = "from_sector"
TARGET_SECTOR = "to_sector"
SHARE_START = "share_start"
SHARE_END = "share_end"
SHARE_POINTS = "share_points"


def market_cap_change_usd(window: Window, members: pd.DataFrame) -> pd.DataFrame:
    """Per sector, summed cap at both window ends and their USD difference (members with both;
    missing where no member has both)."""
    membership = membership_matrix(members, window.panel.coins)
    cap = window.panel.market_cap
    cap_start, cap_end = window.at_start(cap), window.at_end(cap)
    both = np.isfinite(cap_start) & np.isfinite(cap_end)
    start = counted_sum(cap_start, both, membership)
    end = counted_sum(cap_end, both, membership)
    table = pd.DataFrame(
        {CAP_START: start, CAP_END: end, CAP_CHANGE_USD: end - start},
        index=sector_keys(members),
    )
    return table.rename_axis(SECTOR).reset_index()


def window_end_shares(rotation: pd.DataFrame, column: str) -> pd.DataFrame:
    """Each sector's ``column`` share at the rotation table's first and last timestamp."""
    stamps = rotation[TIMESTAMP]
    first = rotation[stamps == stamps.min()].set_index(SECTOR)[column]
    last = rotation[stamps == stamps.max()].set_index(SECTOR)[column]
    return pd.DataFrame({SHARE_START: first, SHARE_END: last.reindex(first.index)})


def share_flows(start: pd.Series, end: pd.Series) -> pd.DataFrame:
    """Estimated (from, to, share points) flows: losers' losses split pro rata over gainers.

    A sector missing a share at either end is left out (its change is unknown, not zero). Only
    positive flows are listed, largest first.
    """
    change = (end.reindex(start.index) - start).dropna()
    losses = (-change).clip(lower=0.0)
    gains = change.clip(lower=0.0)
    total_gain = gains.sum()
    if total_gain <= 0:
        return pd.DataFrame({SOURCE_SECTOR: [], TARGET_SECTOR: [], SHARE_POINTS: []})
    matrix = pd.DataFrame(
        np.outer(losses, gains / total_gain), index=change.index, columns=change.index
    )
    flows = matrix.rename_axis(index=SOURCE_SECTOR, columns=TARGET_SECTOR).stack()
    flows = flows[flows > 0].rename(SHARE_POINTS).reset_index()
    return flows.sort_values(SHARE_POINTS, ascending=False, kind="stable").reset_index(drop=True)


def rotation_flows(rotation: pd.DataFrame, column: str) -> pd.DataFrame:
    """The estimated share flows over the rotation table's window for one share column."""
    shares = window_end_shares(rotation, column)
    return share_flows(shares[SHARE_START], shares[SHARE_END])
