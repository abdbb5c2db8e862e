"""The built-in offline market: a simulated, deterministic replay of December 2024 - January 2025.

It works with no network and tells the same story on every run, so the dashboard, the exports and
the tests always have data. The story (hourly, 2024-12-01 to 2025-01-22 00:00 UTC):

- AI agents rally into 2 January 2025, when VIRTUAL trades most, then fade through January;
- TRUMP launches on 17 January and MELANIA on 19 January; meme volume surges and drains AI-agent
  volume; the AI-agent sector's market cap falls exactly 10% on 20 January;
- on 21-22 January money rotates back: over the last 24 h PIPPIN +104.82%, ARC +44.63%,
  AI16Z +30.17%, VIRTUAL +11.95%, and the AI-agent sector's market cap +10.47%.

Prices come from the factor model of ``connectors.simulation`` (market + sector + own noise);
the episodes above are drifts added on top, and the exact figures are calibrated in closed form.
Coins outside the story are simply absent; downstream reports them by name.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisector.core.schema import validate_market_frame
from connectors.base import clip_to_range
from connectors.simulation import (
    DAY,
    factor_log_returns,
    hourly_grid,
    intraday_profile,
    pin_noise,
    rolling_volume,
    tidy_market_frame,
)

STORY_START = pd.Timestamp("2024-12-01 00:00", tz="UTC")
STORY_END = pd.Timestamp("2025-01-22 00:00", tz="UTC")
REFERENCE = pd.Timestamp("2025-01-01 00:00", tz="UTC")  # when coins stand at their table price
STORY_SEED = 20250122
SOURCE_NAME = "offline"


@dataclass(frozen=True)
class StoryCoin:
    """One coin of the story, at its January 2025 level."""

    coin_id: str
    symbol: str
    group: str  # sector of the default sectors file the coin moves with
    price: float  # USD on 2025-01-01 00:00 UTC, or at launch for coins launched later
    supply: float  # circulating supply, constant through the story
    vol: float  # standard deviation of hourly log returns
    turnover: float  # usual 24 h volume as a fraction of market cap
    launch: str | None = None  # first hour it trades (UTC), if after the story starts


COINS = (
    StoryCoin("virtual-protocol", "VIRTUAL", "ai-agents", 3.87, 1.0e9, 0.018, 0.14),
    StoryCoin("ai16z", "AI16Z", "ai-agents", 1.90, 1.1e9, 0.020, 0.16),
    StoryCoin("ai-rig-complex", "ARC", "ai-agents", 0.30, 1.0e9, 0.025, 0.22),
    StoryCoin("pippin", "PIPPIN", "ai-agents", 0.22, 1.0e9, 0.025, 0.22),
    StoryCoin("aixbt", "AIXBT", "ai-agents", 0.40, 8.57e8, 0.022, 0.25),
    StoryCoin("goatseus-maximus", "GOAT", "ai-agents", 0.53, 9.999e8, 0.020, 0.15),
    StoryCoin("zerebro", "ZEREBRO", "ai-agents", 0.30, 1.0e9, 0.025, 0.22),
    StoryCoin("griffain", "GRIFFAIN", "ai-agents", 0.15, 1.0e9, 0.026, 0.28),
    StoryCoin("act-i-the-ai-prophecy", "ACT", "ai-agents", 0.27, 9.48e8, 0.020, 0.18),
    StoryCoin("freysa-ai", "FAI", "ai-agents", 0.035, 8.2e9, 0.025, 0.20),
    StoryCoin("swarms", "SWARMS", "ai-agents", 0.35, 1.0e9, 0.025, 0.22),
    StoryCoin("cookie", "COOKIE", "ai-agents", 0.30, 3.5e8, 0.024, 0.28),
    StoryCoin("bittensor", "TAO", "ai-infrastructure", 455.0, 7.4e6, 0.012, 0.05),
    StoryCoin("render-token", "RENDER", "ai-infrastructure", 7.0, 5.17e8, 0.013, 0.06),
    StoryCoin("fetch-ai", "FET", "ai-infrastructure", 1.30, 2.61e9, 0.013, 0.08),
    StoryCoin("near", "NEAR", "ai-infrastructure", 5.10, 1.2e9, 0.011, 0.07),
    StoryCoin("akash-network", "AKT", "ai-infrastructure", 2.90, 2.5e8, 0.013, 0.03),
    StoryCoin("the-graph", "GRT", "ai-infrastructure", 0.19, 9.55e9, 0.012, 0.05),
    StoryCoin("official-trump", "TRUMP", "meme", 7.0, 2.0e8, 0.040, 1.2, "2025-01-17 14:00"),
    StoryCoin("melania-meme", "MELANIA", "meme", 7.0, 1.5e8, 0.045, 1.5, "2025-01-19 14:00"),
    StoryCoin("dogecoin", "DOGE", "meme", 0.316, 1.476e11, 0.010, 0.06),
    StoryCoin("shiba-inu", "SHIB", "meme", 2.13e-5, 5.893e14, 0.010, 0.04),
    StoryCoin("pepe", "PEPE", "meme", 1.75e-5, 4.2069e14, 0.014, 0.15),
    StoryCoin("bonk", "BONK", "meme", 2.95e-5, 7.6e13, 0.015, 0.15),
    StoryCoin("dogwifcoin", "WIF", "meme", 1.55, 9.99e8, 0.016, 0.25),
    StoryCoin("fartcoin", "FARTCOIN", "meme", 0.78, 1.0e9, 0.024, 0.20),
    StoryCoin("floki", "FLOKI", "meme", 1.85e-4, 9.6e12, 0.013, 0.08),
    StoryCoin("popcat", "POPCAT", "meme", 0.75, 9.8e8, 0.018, 0.15),
    StoryCoin("bitcoin", "BTC", "majors", 93_500.0, 1.98e7, 0.005, 0.025),
    StoryCoin("ethereum", "ETH", "majors", 3_350.0, 1.205e8, 0.007, 0.07),
    StoryCoin("solana", "SOL", "majors", 189.0, 4.84e8, 0.009, 0.05),
)

# Fractions of each coin's return variance from the market factor and from its sector's factor.
GROUP_FACTORS = {
    "ai-agents": (0.25, 0.35),
    "ai-infrastructure": (0.35, 0.30),
    "meme": (0.30, 0.25),
    "majors": (0.60, 0.15),
}


@dataclass(frozen=True)
class Drift:
    """A move spread evenly over the hours in (start, end], added on top of the noise."""

    target: str  # coin id or group
    start: str
    end: str
    log_move: float


PRICE_DRIFTS = (
    Drift("majors", "2024-12-01", "2024-12-17", 0.09),
    Drift("majors", "2024-12-17", "2025-01-01", -0.12),
    Drift("majors", "2025-01-01", "2025-01-07", 0.09),
    Drift("majors", "2025-01-07", "2025-01-10", -0.10),
    Drift("majors", "2025-01-10", "2025-01-19", 0.12),
    Drift("majors", "2025-01-19", "2025-01-21", -0.03),
    Drift("majors", "2025-01-21", "2025-01-22", 0.04),
    Drift("solana", "2025-01-17", "2025-01-19 12:00", 0.18),
    Drift("solana", "2025-01-19 12:00", "2025-01-21", -0.08),
    Drift("ethereum", "2025-01-10", "2025-01-22", -0.08),
    Drift("ai-agents", "2024-12-01", "2025-01-02 12:00", 0.80),
    Drift("ai-agents", "2025-01-02 12:00", "2025-01-07", -0.25),
    Drift("ai-agents", "2025-01-07", "2025-01-15", 0.05),
    Drift("ai-agents", "2025-01-15", "2025-01-20", -0.25),
    Drift("virtual-protocol", "2024-12-01", "2025-01-02 12:00", 0.40),
    Drift("virtual-protocol", "2024-12-31", "2025-01-02 12:00", 0.30),
    Drift("virtual-protocol", "2025-01-02 12:00", "2025-01-04", -0.25),
    Drift("ai16z", "2024-12-01", "2025-01-02 12:00", 0.90),
    Drift("ai16z", "2024-12-31", "2025-01-02 12:00", 0.20),
    Drift("ai16z", "2025-01-02 12:00", "2025-01-04", -0.20),
    Drift("ai16z", "2025-01-04", "2025-01-20", -0.32),
    Drift("ai-rig-complex", "2025-01-07", "2025-01-15", 0.20),
    Drift("aixbt", "2025-01-07", "2025-01-16", 0.60),
    Drift("aixbt", "2025-01-16", "2025-01-20", -0.25),
    Drift("griffain", "2025-01-07", "2025-01-19", 1.00),
    Drift("cookie", "2025-01-07", "2025-01-15", 0.40),
    Drift("ai-infrastructure", "2024-12-01", "2024-12-06", 0.10),
    Drift("ai-infrastructure", "2024-12-06", "2025-01-01", -0.25),
    Drift("ai-infrastructure", "2025-01-01", "2025-01-07", 0.08),
    Drift("ai-infrastructure", "2025-01-07", "2025-01-13", -0.15),
    Drift("ai-infrastructure", "2025-01-13", "2025-01-22", 0.05),
    Drift("meme", "2024-12-01", "2024-12-08", 0.12),
    Drift("meme", "2024-12-08", "2025-01-01", -0.30),
    Drift("meme", "2025-01-01", "2025-01-06", 0.10),
    Drift("meme", "2025-01-06", "2025-01-13", -0.15),
    Drift("meme", "2025-01-13", "2025-01-19", 0.12),
    Drift("meme", "2025-01-19", "2025-01-22", -0.05),
    Drift("dogecoin", "2025-01-13", "2025-01-20", 0.06),
    Drift("fartcoin", "2025-01-10", "2025-01-19", 0.50),
    Drift("official-trump", "2025-01-17 14:00", "2025-01-19 02:00", 2.30),
    Drift("official-trump", "2025-01-19 02:00", "2025-01-20 12:00", -0.20),
    Drift("official-trump", "2025-01-20 12:00", "2025-01-22", -0.35),
    Drift("melania-meme", "2025-01-19 14:00", "2025-01-20", 0.60),
    Drift("melania-meme", "2025-01-20", "2025-01-21", -0.90),
    Drift("melania-meme", "2025-01-21", "2025-01-22", -0.10),
)


@dataclass(frozen=True)
class Surge:
    """A bell-shaped change in hourly turnover; a factor below 1 is a drought."""

    target: str  # coin id or group
    peak: str
    hours: float  # standard deviation of the bell, in hours
    factor: float  # turnover multiple at the peak


VOLUME_SURGES = (
    Surge("ai-infrastructure", "2024-12-06", 48.0, 1.6),
    Surge("ai-agents", "2025-01-02 12:00", 96.0, 2.0),
    Surge("virtual-protocol", "2025-01-02 06:00", 10.0, 4.0),
    Surge("official-trump", "2025-01-18 12:00", 20.0, 2.5),
    Surge("meme", "2025-01-19", 30.0, 1.8),
    Surge("solana", "2025-01-19 06:00", 24.0, 3.0),
    Surge("ai-agents", "2025-01-19 06:00", 30.0, 0.45),
    Surge("melania-meme", "2025-01-20", 10.0, 2.0),
    Surge("majors", "2025-01-20 16:00", 18.0, 1.4),
    Surge("ai-agents", "2025-01-21 15:00", 8.0, 2.2),
)

# The exact figures the story is calibrated to (fractions, DESIGN.md formulas).
CALIBRATED_SECTOR = "ai-agents"
SELLOFF_DAY = pd.Timestamp("2025-01-20 00:00", tz="UTC")
SELLOFF_CHANGE = -0.10
ROTATION_MOVES = {
    "pippin": 1.0482,
    "ai-rig-complex": 0.4463,
    "ai16z": 0.3017,
    "virtual-protocol": 0.1195,
}
ROTATION_SECTOR_CHANGE = 0.1047


class OfflineMarket:
    """The simulated market behind ``--source offline`` and the last fallback of ``auto``."""

    name = SOURCE_NAME
    label = "offline – simulated market"
    live = False

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Validated story rows for ``coins`` within [start, end]; unknown coins are absent."""
        return clip_to_range(_validated_story(), coins, start, end)


@functools.cache
def _validated_story() -> pd.DataFrame:
    """The story validated once: it never changes, so one copy serves the whole process."""
    return validate_market_frame(simulate_story(), source=SOURCE_NAME)


def story_coins() -> pd.DataFrame:
    """The story's coin table as a frame, one row per coin in table order."""
    return pd.DataFrame(COINS)


def simulate_story() -> pd.DataFrame:
    """Generate the story's tidy frame from scratch (same output on every call)."""
    coins = story_coins()
    grid = hourly_grid(STORY_START, _hours(STORY_START, STORY_END))
    rng = np.random.default_rng(STORY_SEED)
    log_price = _log_prices(_factor_returns(rng, grid, coins) + _drifts(grid, coins), grid, coins)
    _calibrate(log_price, grid, coins)
    price = np.exp(log_price)
    cap = price * coins["supply"].to_numpy()
    moves = np.nan_to_num(np.diff(log_price, axis=0, prepend=log_price[:1]))
    surges = _surges(grid, coins) * intraday_profile(grid)[:, None]
    volume = rolling_volume(
        moves, cap, coins["turnover"].to_numpy(), coins["vol"].to_numpy(), rng, surges
    )
    rows = slice(DAY - 1, None)
    return tidy_market_frame(
        grid[rows],
        coins["coin_id"].tolist(),
        coins["symbol"].tolist(),
        price[rows],
        cap[rows],
        volume[rows],
        SOURCE_NAME,
    )


def _hours(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Number of hourly stamps from start to end inclusive."""
    return int((end - start) / pd.Timedelta(hours=1)) + 1


def _factor_returns(
    rng: np.random.Generator, grid: pd.DatetimeIndex, coins: pd.DataFrame
) -> np.ndarray:
    """Market + sector + own noise for every story coin, netting to zero between story knots."""
    groups = coins["group"].to_numpy()
    sector_of = np.unique(groups, return_inverse=True)[1]
    shares = np.array([GROUP_FACTORS[g] for g in groups])
    noise = factor_log_returns(
        rng, len(grid), sector_of, coins["vol"].to_numpy(), shares[:, 0], shares[:, 1]
    )
    knots = grid.get_indexer(pd.DatetimeIndex([STORY_START, REFERENCE, STORY_END]))
    traded = np.arange(len(grid))[:, None] > _launch_rows(grid, coins)[None, :]
    return pin_noise(noise, knots, traded)


def _launch_rows(grid: pd.DatetimeIndex, coins: pd.DataFrame) -> np.ndarray:
    """Grid row of each coin's first trade (-1 for coins trading before the story starts)."""
    launch = pd.to_datetime(coins["launch"], utc=True, format="ISO8601").dt.as_unit("ns")
    return np.where(launch.notna(), grid.get_indexer(launch), -1)


def _targets(names: Sequence[str], coins: pd.DataFrame) -> np.ndarray:
    """Episodes x coins: 1 where the episode's target is the coin or the coin's group."""
    names = np.asarray(names, dtype=object)[:, None]
    ids = coins["coin_id"].to_numpy(dtype=object)[None, :]
    groups = coins["group"].to_numpy(dtype=object)[None, :]
    return ((names == ids) | (names == groups)).astype(float)


def _stamps(texts: Sequence[str]) -> np.ndarray:
    """UTC text stamps as datetime64[ns] values comparable with the grid's."""
    return (
        pd.DatetimeIndex(pd.to_datetime(list(texts), utc=True, format="ISO8601")).as_unit("ns").asi8
    )


def _drifts(grid: pd.DatetimeIndex, coins: pd.DataFrame) -> np.ndarray:
    """Hours x coins log drift of all ``PRICE_DRIFTS``, each spread evenly over its window."""
    hours = grid.asi8[None, :]
    start = _stamps([d.start for d in PRICE_DRIFTS])[:, None]
    end = _stamps([d.end for d in PRICE_DRIFTS])[:, None]
    inside = (hours > start) & (hours <= end)
    moves = np.array([d.log_move for d in PRICE_DRIFTS])[:, None]
    rates = moves * inside / inside.sum(axis=1, keepdims=True)
    return rates.T @ _targets([d.target for d in PRICE_DRIFTS], coins)


def _surges(grid: pd.DatetimeIndex, coins: pd.DataFrame) -> np.ndarray:
    """Hours x coins turnover multiplier of all ``VOLUME_SURGES`` (bells multiply)."""
    hours = grid.asi8[None, :]
    peak = _stamps([s.peak for s in VOLUME_SURGES])[:, None]
    width = np.array([s.hours for s in VOLUME_SURGES])[:, None] * 3.6e12  # hours -> ns
    factor = np.array([s.factor for s in VOLUME_SURGES])[:, None]
    bell = np.exp(-0.5 * ((hours - peak) / width) ** 2)
    log_multiple = np.log1p((factor - 1.0) * bell)
    return np.exp(log_multiple.T @ _targets([s.target for s in VOLUME_SURGES], coins))


def _log_prices(returns: np.ndarray, grid: pd.DatetimeIndex, coins: pd.DataFrame) -> np.ndarray:
    """Cumulative log prices at the table level on REFERENCE (or launch), missing before launch."""
    launch = _launch_rows(grid, coins)
    anchor = np.where(launch >= 0, launch, grid.get_loc(REFERENCE))
    log_price = np.cumsum(returns, axis=0)
    log_price -= log_price[anchor, np.arange(len(anchor))]
    log_price += np.log(coins["price"].to_numpy())
    log_price[np.arange(len(grid))[:, None] < launch[None, :]] = np.nan
    return log_price


def _calibrate(log_price: np.ndarray, grid: pd.DatetimeIndex, coins: pd.DataFrame) -> None:
    """Make the sell-off day, then the rotation day, exact (in place); the sell-off moves caps."""
    supply = coins["supply"].to_numpy()
    members = (coins["group"] == CALIBRATED_SECTOR).to_numpy()
    selloff = grid.get_loc(SELLOFF_DAY)
    nobody = np.zeros_like(members)
    shift = _sector_shift(log_price, supply, nobody, members, selloff, SELLOFF_CHANGE)
    _ramp(log_price, members, selloff, shift)
    _calibrate_rotation(log_price, grid.get_loc(STORY_END) - DAY, coins, members)


def _calibrate_rotation(
    log_price: np.ndarray, start: int, coins: pd.DataFrame, members: np.ndarray
) -> None:
    """Set the leaders' last-day moves exactly, then shift the other members to hit the sector."""
    leaders = coins["coin_id"].isin(list(ROTATION_MOVES)).to_numpy()
    wanted = np.log1p(coins.loc[leaders, "coin_id"].map(ROTATION_MOVES).to_numpy())
    day_move = log_price[start + DAY, leaders] - log_price[start, leaders]
    _ramp(log_price, leaders, start, wanted - day_move)
    followers = members & ~leaders
    supply = coins["supply"].to_numpy()
    shift = _sector_shift(log_price, supply, leaders, followers, start, ROTATION_SECTOR_CHANGE)
    _ramp(log_price, followers, start, shift)


def _sector_shift(
    log_price: np.ndarray,
    supply: np.ndarray,
    fixed: np.ndarray,
    free: np.ndarray,
    start: int,
    change: float,
) -> float:
    """Common log shift of ``free`` coins over 24 h from ``start`` so the sector cap moves by ``change``.

    Solves ``(sum cap_fixed(end) + e^s * sum cap_free(end)) / sum cap_all(start) = 1 + change``.
    """
    cap = np.exp(log_price[[start, start + DAY]]) * supply
    before = cap[0, fixed | free].sum()
    return float(np.log(((1.0 + change) * before - cap[1, fixed].sum()) / cap[1, free].sum()))


def _ramp(
    log_price: np.ndarray, columns: np.ndarray, start: int, shift: np.ndarray | float
) -> None:
    """Add ``shift`` evenly over the 24 hourly returns after ``start`` (and keep it afterwards)."""
    ramp = np.clip((np.arange(len(log_price)) - start) / DAY, 0.0, 1.0)
    log_price[:, columns] += ramp[:, None] * shift
