"""Relative strength of each sector against a benchmark, for the relative-rotation graph (RRG).

JdK-style, with the smoothing spelled out (the original is proprietary):

- ``RS(t) = 100 * I_sector(t) / I_bench(t)``, both cap-weighted chain-linked indices;
- ``RS-ratio(t) = 100 + z(RS)(t)``, with ``z(x)(t) = (x(t) - mean_N(x)(t)) / std_N(x)(t)`` over the
  last N samples (rolling, N = 14 by default, no value before N samples, sample std with n - 1);
- ``RS-momentum(t) = 100 + z(roc)(t)``, ``roc(t) = RS-ratio(t) / RS-ratio(t-1) - 1``, same N.

A flat window (std at most 1e-9 of the mean's size) has z = 0: a sector identical to the
benchmark sits at the centre (100, 100). Indices are sampled once per period (hourly for windows
up to 7d, 4-hourly beyond, so 30d), from 2·N periods before the window start so that the whole
window has values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.index import CAP_WEIGHTED, index_levels
from analytics.membership import membership_matrix, sector_keys
from analytics.panel import MarketPanel
from analytics.schema import SECTOR, TIMESTAMP
from analytics.windows import window_length

RS_WINDOW = 14
CENTRE = 100.0
FLAT_TOLERANCE = 1e-9
HOURLY = pd.Timedelta(hours=1)
FOUR_HOURLY = pd.Timedelta(hours=4)
RELATIVE_STRENGTH = "relative_strength"
RS_RATIO = "rs_ratio"
RS_MOMENTUM = "rs_momentum"
RS_COLUMNS = (RELATIVE_STRENGTH, RS_RATIO, RS_MOMENTUM)
QUADRANT = "quadrant"
LEADING, WEAKENING, LAGGING, IMPROVING = "Leading", "Weakening", "Lagging", "Improving"


def rs_period(window: str) -> pd.Timedelta:
    """The sampling step for a window: fine enough for a tail, coarse enough to smooth noise."""
    return HOURLY if window_length(window) <= pd.Timedelta(days=7) else FOUR_HOURLY


def relative_strength(sector_levels: np.ndarray, benchmark_levels: np.ndarray) -> np.ndarray:
    """(sample × sector) ``100 * I_sector / I_bench``; NaN where either level is missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return CENTRE * sector_levels / benchmark_levels[:, None]


def rolling_z(values: np.ndarray, periods: int) -> np.ndarray:
    """Column-wise z-score over the last ``periods`` rows; 0 where the window is flat."""
    rolling = pd.DataFrame(values).rolling(periods, min_periods=periods)
    mean, std = rolling.mean().to_numpy(), rolling.std().to_numpy()
    flat = std <= FLAT_TOLERANCE * np.maximum(np.abs(mean), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(flat, 0.0, (values - mean) / std)


def rs_ratio(rs: np.ndarray, periods: int = RS_WINDOW) -> np.ndarray:
    """Where relative strength stands against its own recent range (100 = its rolling mean)."""
    return CENTRE + rolling_z(rs, periods)


def rs_momentum(ratio: np.ndarray, periods: int = RS_WINDOW) -> np.ndarray:
    """Whether the RS-ratio is rising faster than usual (100 = its usual rate of change)."""
    roc = np.full_like(ratio, np.nan)
    roc[1:] = ratio[1:] / ratio[:-1] - 1.0
    return CENTRE + rolling_z(roc, periods)


def sample_rows(
    timestamps: pd.DatetimeIndex, end: pd.Timestamp, period: pd.Timedelta, count: int
) -> np.ndarray:
    """Rows of the last observation at or before each of ``count`` steps back from ``end``.

    An observation older than one period stands for no step; a row picked twice counts once.
    """
    if timestamps.empty:
        return np.empty(0, dtype=np.int64)
    grid = pd.date_range(end=end, periods=count, freq=period)
    rows = timestamps.searchsorted(grid, side="right") - 1
    ages = grid - timestamps[np.maximum(rows, 0)]
    fresh = (rows >= 0) & (ages <= period)
    return np.unique(rows[fresh])


def benchmark_membership(coins: pd.Index, benchmark: Sequence[str] | None) -> np.ndarray:
    """A (1 × coin) row for the benchmark coins; None means every tracked coin (total market)."""
    in_benchmark = np.ones(len(coins), dtype=bool) if benchmark is None else coins.isin(benchmark)
    return in_benchmark.astype(float)[None, :]


def relative_rotation(
    panel: MarketPanel,
    members: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    period: pd.Timedelta,
    benchmark: Sequence[str] | None = None,
    periods: int = RS_WINDOW,
) -> pd.DataFrame:
    """Tidy (timestamp, sector) RS, RS-ratio and RS-momentum at each sampled step in [start, end]."""
    warm_up = period * (2 * periods)
    rows = panel.rows_between(start - warm_up, end)
    sectors = sector_keys(members)
    membership = np.vstack(
        [membership_matrix(members, panel.coins), benchmark_membership(panel.coins, benchmark)]
    )
    count = int((end - start + warm_up) / period) + 1
    picked = sample_rows(panel.timestamps[rows], end, period, count)
    if len(picked) == 0:
        return _tidy_rotation(panel.timestamps[:0], sectors, np.empty((0, len(sectors), 3)))
    levels = index_levels(panel, membership, rows, (CAP_WEIGHTED,))[CAP_WEIGHTED][picked]
    rs = relative_strength(levels[:, :-1], levels[:, -1])
    ratio = rs_ratio(rs, periods)
    values = np.stack([rs, ratio, rs_momentum(ratio, periods)], axis=-1)
    stamps = panel.timestamps[rows][picked]
    shown = stamps >= start
    return _tidy_rotation(stamps[shown], sectors, values[shown])


def _tidy_rotation(stamps: pd.DatetimeIndex, sectors: pd.Index, values: np.ndarray) -> pd.DataFrame:
    """One row per (timestamp, sector) from a (sample × sector × measure) array."""
    frame = pd.DataFrame(values.reshape(-1, len(RS_COLUMNS)), columns=list(RS_COLUMNS))
    frame.insert(0, SECTOR, np.tile(sectors.to_numpy(dtype=object), len(stamps)))
    frame.insert(0, TIMESTAMP, np.repeat(stamps, len(sectors)))
    return frame


def quadrants(ratio: pd.Series, momentum: pd.Series) -> pd.Series:
    """The RRG quadrant of each point: strong and rising leads, weak and rising improves."""
    strong, rising = ratio >= CENTRE, momentum >= CENTRE
    names = np.select(
        [strong & rising, strong, rising], [LEADING, WEAKENING, IMPROVING], default=LAGGING
    )
    return pd.Series(names, index=ratio.index, name=QUADRANT)


def rotation_tail(rotation: pd.DataFrame, points: int) -> pd.DataFrame:
    """Each sector's last ``points`` samples with RS-ratio and RS-momentum, and their quadrant."""
    defined = rotation.dropna(subset=[RS_RATIO, RS_MOMENTUM])
    tail = defined.groupby(SECTOR, sort=False).tail(points)
    columns = [TIMESTAMP, SECTOR, *RS_COLUMNS]
    return tail[columns].assign(**{QUADRANT: quadrants(tail[RS_RATIO], tail[RS_MOMENTUM])})
