"""A generic simulated market for the benchmarks: any number of coins and hours, same seed, same
rows, millions of them in a few seconds, from the offline market's building blocks
(``connectors.simulation``). Only the benchmarks (and their tests) use it, so it stays out of the
installed package.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisector.core.schema import COIN_ID, SECTOR
from connectors.simulation import (
    DAY,
    factor_log_returns,
    hourly_grid,
    intraday_profile,
    rolling_volume,
    tidy_market_frame,
)

GENERIC_START = pd.Timestamp("2024-01-01", tz="UTC")


def generic_coin_ids(n_coins: int) -> list[str]:
    """Synthetic ids ``coin-0001``...; zero-padded so text order is number order."""
    width = max(4, len(str(n_coins)))
    return [f"coin-{i:0{width}d}" for i in range(1, n_coins + 1)]


def generic_sector_members(n_coins: int, n_sectors: int = 4) -> pd.DataFrame:
    """The (sector, coin_id) membership the generic market was simulated with: coin i in i mod n."""
    sector_of = np.arange(n_coins) % n_sectors
    names = np.array([f"sector-{k + 1}" for k in range(n_sectors)], dtype=object)
    return pd.DataFrame({SECTOR: names[sector_of], COIN_ID: generic_coin_ids(n_coins)})


def simulate_generic_market(
    n_coins: int,
    hours: int,
    seed: int,
    start: pd.Timestamp = GENERIC_START,
    n_sectors: int = 4,
    source: str = "offline",
) -> pd.DataFrame:
    """A synthetic hourly market of ``n_coins`` x ``hours`` tidy rows, the same for the same seed.

    Coin i sits in sector ``i mod n_sectors`` (see ``generic_sector_members``); levels, supplies,
    volatilities and turnovers are drawn from crypto-like ranges.
    """
    rng = np.random.default_rng(seed)
    grid = hourly_grid(start, hours)
    coins = _generic_coins(rng, n_coins)
    sector_of = np.arange(n_coins) % n_sectors
    returns = factor_log_returns(
        rng, len(grid), sector_of, coins["vol"], coins["market"], coins["sector"]
    )
    returns += coins["drift"]
    price = _prices(returns, coins["price"], anchor=DAY - 1)
    cap = price * coins["supply"]
    profile = intraday_profile(grid)[:, None]
    volume = rolling_volume(returns, cap, coins["turnover"], coins["vol"], rng, profile)
    del returns
    ids = generic_coin_ids(n_coins)
    symbols = [f"C{i:0{len(ids[0]) - 5}d}" for i in range(1, n_coins + 1)]
    rows = slice(DAY - 1, None)
    return tidy_market_frame(grid[rows], ids, symbols, price[rows], cap[rows], volume[rows], source)


def _generic_coins(rng: np.random.Generator, n_coins: int) -> dict[str, np.ndarray]:
    """Per-coin parameters in crypto-like ranges: $0.00001-$10k prices, $10M-$300B caps."""
    price = 10.0 ** rng.uniform(-5.0, 4.0, n_coins)
    return {
        "price": price,
        "supply": 10.0 ** rng.uniform(7.0, 11.5, n_coins) / price,
        "vol": rng.uniform(0.004, 0.025, n_coins),
        "turnover": 10.0 ** rng.uniform(-1.7, -0.4, n_coins),
        "drift": rng.normal(0.0, 2e-4, n_coins),
        "market": rng.uniform(0.2, 0.45, n_coins),
        "sector": rng.uniform(0.1, 0.25, n_coins),
    }


def _prices(returns: np.ndarray, level: np.ndarray, anchor: int) -> np.ndarray:
    """Prices from cumulative log returns, equal to ``level`` at row ``anchor``."""
    prices = np.cumsum(returns, axis=0)
    prices -= prices[anchor].copy()
    prices += np.log(level)
    return np.exp(prices, out=prices)
