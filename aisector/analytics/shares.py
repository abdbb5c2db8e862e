"""Sector totals over time and each sector's share of them: where the liquidity sits.

A coin in several sectors counts in each, so shares are of the sum over tracked sectors, not of
the whole market. A sector none of whose members has a value has no total (and no share), not 0.

Shares are of one *universe* of sectors: all tracked sectors (DESIGN's export contract), or the
rotation universe, which leaves the benchmark groups (e.g. Majors, 80% of the volume) out of the
denominator so the rotation between the others reads. A sector outside the universe has no share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisector.analytics.membership import membership_matrix, sector_keys
from aisector.analytics.windows import Window
from aisector.core.schema import MARKET_CAP, SECTOR, TIMESTAMP, VOLUME

VOLUME_SHARE = "volume_share"
MARKET_CAP_SHARE = "market_cap_share"
SHARES_OF = "shares_of"
ALL_SECTORS = "all"
ROTATION_UNIVERSE = "rotation"
SHARE_UNIVERSES = (ALL_SECTORS, ROTATION_UNIVERSE)


@dataclass(frozen=True)
class ShareUniverse:
    """Which sectors a share is of: ``name`` ("all" or "rotation") and the sector keys left out
    of the denominator (the benchmark groups for "rotation")."""

    name: str = ALL_SECTORS
    excluded: tuple[str, ...] = ()

    def mask(self, sectors: Sequence[str]) -> np.ndarray:
        """True for the sectors inside the universe, in the order given."""
        return ~pd.Index(sectors).isin(self.excluded)


ALL = ShareUniverse()


def sector_totals(values: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """(... × sector) sums of members' values; a missing value adds nothing, and a sector with no
    value at all is NaN."""
    present = np.isfinite(values)
    totals = np.where(present, values, 0.0) @ membership.T
    # float32 counts are exact far beyond any sector's size, at half the memory of float64
    known = present.astype(np.float32) @ membership.T.astype(np.float32) > 0
    return np.where(known, totals, np.nan)


def shares_of_total(totals: np.ndarray, inside: np.ndarray | None = None) -> np.ndarray:
    """Each column's share of its row total over the known columns ``inside`` the universe (all
    when None); NaN where a column is missing, outside, or the row total is zero."""
    inside = np.ones(totals.shape[-1], dtype=bool) if inside is None else inside
    counted = np.where(inside, totals, np.nan)
    row_total = np.nansum(counted, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(row_total > 0, counted / row_total, np.nan)


def sector_shares(
    window: Window, members: pd.DataFrame, universe: ShareUniverse = ALL
) -> pd.DataFrame:
    """Tidy (timestamp, sector) rows over the window's rows (its start first): sector 24h volume
    and market cap, and their shares of ``universe``."""
    membership = membership_matrix(members, window.panel.coins)
    sectors = sector_keys(members)
    inside = universe.mask(sectors)
    volume = sector_totals(window.volume, membership)
    market_cap = sector_totals(window.market_cap, membership)
    stamps = window.stamps
    return pd.DataFrame(
        {
            TIMESTAMP: np.repeat(stamps, len(sectors)),
            SECTOR: np.tile(sectors.to_numpy(dtype=object), len(stamps)),
            VOLUME: volume.ravel(),
            MARKET_CAP: market_cap.ravel(),
            VOLUME_SHARE: shares_of_total(volume, inside).ravel(),
            MARKET_CAP_SHARE: shares_of_total(market_cap, inside).ravel(),
            SHARES_OF: universe.name,
        }
    )


DAY_START = "day_start"
SHARE_CHANGE = "share_change"
STEP = pd.Timedelta(days=1)


def share_steps(
    window: Window,
    members: pd.DataFrame,
    universe: ShareUniverse = ALL,
    column: str = VOLUME,
    step: pd.Timedelta = STEP,
) -> pd.DataFrame:
    """Each sector's share of ``universe`` at every ``step`` back from the window end, and its
    change over each step (a fraction: 0.05 is 5 points), as tidy rows.

    With 24h volume and daily steps, the share at ``t`` is of the trading in ``(t - 1 day, t]``,
    so a row compares the day from ``day_start`` with the day before it. Shares are read from the
    window's rows (the last one at or before each step); a share missing at either end leaves the
    change missing.
    """
    count = int((window.end - window.start) / step)
    instants = window.end - step * np.arange(count, -1, -1)
    rows = np.clip(window.stamps.searchsorted(instants, side="right") - 1, 0, None)
    values = window.volume if column == VOLUME else window.market_cap
    sectors = sector_keys(members)
    membership = membership_matrix(members, window.panel.coins)
    shares = shares_of_total(sector_totals(values[rows], membership), universe.mask(sectors))
    change = shares[1:] - shares[:-1]
    ends = pd.DatetimeIndex(instants[1:])
    return pd.DataFrame(
        {
            DAY_START: np.repeat(ends - step, len(sectors)),
            TIMESTAMP: np.repeat(ends, len(sectors)),
            SECTOR: np.tile(sectors.to_numpy(dtype=object), len(ends)),
            f"{column}_share": shares[1:].ravel(),
            SHARE_CHANGE: change.ravel(),
            SHARES_OF: universe.name,
        }
    )
