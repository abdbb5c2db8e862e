"""Relative strength of each sector against a benchmark, for the relative-rotation graph (RRG).

JdK-style, with the smoothing spelled out (the original is proprietary). The RS line has two bases:

- price: ``RS(t) = 100 * I_sector(t) / I_bench(t)``, both cap-weighted chain-linked indices;
- volume share: ``RS(t) = 100 * sum_step V_sector / sum_step V_total``, the sector's share (in
  percent) of the 24h volume summed over the tracked sectors (``V_total``), each volume summed
  over the observations in the step ``(t - period, t]``: the benchmark is the total tracked
  volume. The z-scores below are scale-free, so dividing by the sector's own mean share would
  change nothing; dividing by the benchmark coins' share would reduce to ``V_sector / V_bench``
  and ignore where the rest of the volume went.

Both are then z-scored alike:

- ``RS-ratio(t) = 100 + z(RS)(t)``, with ``z(x)(t) = (x(t) - mean_N(x)(t)) / std_N(x)(t)`` over the
  last N samples (rolling, N = 14 by default, no value before N samples, sample std with n - 1);
- ``RS-momentum(t) = 100 + z(roc)(t)``, ``roc(t) = RS-ratio(t) / RS-ratio(t-1) - 1``, same N.

A flat window (std at most 1e-9 of the mean's size) has z = 0: a sector identical to the
benchmark, or with a constant volume share, sits at the centre (100, 100). Steps are one period
apart (hourly for windows up to 7d, 4-hourly beyond, so 30d), from 2·N periods before the window
start so that the whole window has values. A price step takes the last observation no older than
one period; a volume-share step takes every observation in ``(t - period, t]`` (a ratio of sums,
so one odd snapshot cannot set a 4-hour step) and is stamped with the last of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aisector.analytics.index import CAP_WEIGHTED, index_levels
from aisector.analytics.membership import membership_matrix, sector_keys
from aisector.analytics.shares import sector_totals, shares_of_total
from aisector.analytics.windows import Window
from aisector.core.schema import SECTOR, TIMESTAMP

RS_WINDOW = 14
CENTRE = 100.0
FLAT_TOLERANCE = 1e-9
HOURLY = pd.Timedelta(hours=1)
FOUR_HOURLY = pd.Timedelta(hours=4)
RELATIVE_STRENGTH = "relative_strength"
RS_RATIO = "rs_ratio"
RS_MOMENTUM = "rs_momentum"
RS_COLUMNS = (RELATIVE_STRENGTH, RS_RATIO, RS_MOMENTUM)
RS_BASIS = "rs_basis"
PRICE_BASIS = "price"
VOLUME_SHARE_BASIS = "volume-share"
BASES = (PRICE_BASIS, VOLUME_SHARE_BASIS)
QUADRANT = "quadrant"
LEADING, WEAKENING, LAGGING, IMPROVING = "Leading", "Weakening", "Lagging", "Improving"


def rs_period(length: pd.Timedelta) -> pd.Timedelta:
    """The sampling step for a window's length: fine enough for a tail, coarse enough to smooth
    noise."""
    return HOURLY if length <= pd.Timedelta(days=7) else FOUR_HOURLY


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


def step_grid(end: pd.Timestamp, period: pd.Timedelta, count: int) -> pd.DatetimeIndex:
    """The ``count`` step times ending at ``end``, one ``period`` apart."""
    return pd.date_range(end=end, periods=count, freq=period)


def sample_rows(
    timestamps: pd.DatetimeIndex, grid: pd.DatetimeIndex, period: pd.Timedelta
) -> np.ndarray:
    """Rows of the last observation at or before each step time of ``grid``.

    An observation older than one period stands for no step; a row picked twice counts once.
    """
    if timestamps.empty:
        return np.empty(0, dtype=np.int64)
    rows = timestamps.searchsorted(grid, side="right") - 1
    ages = grid - timestamps[np.maximum(rows, 0)]
    fresh = (rows >= 0) & (ages <= period)
    return np.unique(rows[fresh])


def step_sums(
    values: np.ndarray, timestamps: pd.DatetimeIndex, grid: pd.DatetimeIndex, period: pd.Timedelta
) -> tuple[np.ndarray, np.ndarray]:
    """(step × column) sums of the rows in ``(g - period, g]`` for each step g that has a row,
    and each such step's last row; steps without a row are left out.

    The grid is ``period`` apart, so the steps tile time and each sum is one run of rows (summed
    as it is: a running total would leave rounding noise in a constant share).
    """
    upper = timestamps.searchsorted(grid, side="right")
    lower = timestamps.searchsorted(grid - period, side="right")
    filled = upper > lower
    if not filled.any():
        return np.empty((0, values.shape[1])), np.empty(0, dtype=np.int64)
    starts = lower[filled]
    sums = np.add.reduceat(np.nan_to_num(values[: upper[-1]], nan=0.0), starts, axis=0)
    known = np.add.reduceat(np.isfinite(values[: upper[-1]]), starts, axis=0) > 0
    return np.where(known, sums, np.nan), upper[filled] - 1


def benchmark_membership(coins: pd.Index, benchmark: Sequence[str] | None) -> np.ndarray:
    """A (1 × coin) row for the benchmark coins; None means every tracked coin (total market)."""
    in_benchmark = np.ones(len(coins), dtype=bool) if benchmark is None else coins.isin(benchmark)
    return in_benchmark.astype(float)[None, :]


def relative_rotation(
    window: Window,
    members: pd.DataFrame,
    period: pd.Timedelta,
    benchmark: Sequence[str] | None = None,
    periods: int = RS_WINDOW,
    basis: str = PRICE_BASIS,
) -> pd.DataFrame:
    """Tidy (timestamp, sector) RS, RS-ratio and RS-momentum at each step in the window.

    ``basis`` is ``price`` (against ``benchmark``) or ``volume-share`` (the benchmark is unused).
    """
    if basis not in BASES:
        raise ValueError(f"unknown RS basis {basis!r}; known: {', '.join(BASES)}")
    warm = window.widened(period * (2 * periods))
    grid = step_grid(warm.end, period, int((warm.end - warm.start) / period) + 1)
    if basis == VOLUME_SHARE_BASIS:
        stamps, rs = volume_share_strength(warm, members, grid, period)
    else:
        stamps, rs = price_strength(warm, members, grid, period, benchmark)
    ratio = rs_ratio(rs, periods)
    values = np.stack([rs, ratio, rs_momentum(ratio, periods)], axis=-1)
    shown = stamps >= window.start
    return _tidy_rotation(stamps[shown], sector_keys(members), values[shown])


def price_strength(
    window: Window,
    members: pd.DataFrame,
    grid: pd.DatetimeIndex,
    period: pd.Timedelta,
    benchmark: Sequence[str] | None,
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Step times and (step × sector) ``100 * I_sector / I_bench``, each step at its last row no
    older than one period."""
    coins = window.panel.coins
    membership = np.vstack(
        [membership_matrix(members, coins), benchmark_membership(coins, benchmark)]
    )
    picked = sample_rows(window.stamps, grid, period)
    stamps = window.stamps[picked]
    if len(picked) == 0:
        return stamps, np.empty((0, len(membership) - 1))
    levels = index_levels(window, membership, (CAP_WEIGHTED,))[CAP_WEIGHTED][picked]
    return stamps, relative_strength(levels[:, :-1], levels[:, -1])


def volume_share_strength(
    window: Window, members: pd.DataFrame, grid: pd.DatetimeIndex, period: pd.Timedelta
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Step times and (step × sector) ``100 * share of the tracked sectors' 24h volume``,
    each share a ratio of the volumes summed over the step's observations."""
    panel = window.panel
    stamps = panel.timestamps[window.rows]
    totals = sector_totals(panel.volume[window.rows], membership_matrix(members, panel.coins))
    sums, last_rows = step_sums(totals, stamps, grid, period)
    return stamps[last_rows], CENTRE * shares_of_total(sums)


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
    """Each sector's last ``points`` samples of a rotation table: RS values, basis, quadrant."""
    defined = rotation.dropna(subset=[RS_RATIO, RS_MOMENTUM])
    tail = defined.groupby(SECTOR, sort=False).tail(points)
    columns = [TIMESTAMP, SECTOR, *RS_COLUMNS, RS_BASIS]
    return tail[columns].assign(**{QUADRANT: quadrants(tail[RS_RATIO], tail[RS_MOMENTUM])})
