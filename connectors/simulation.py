"""Seeded factor-model markets: hourly prices, caps and 24 h volumes, fully vectorised.

Each coin's hourly log return is a common market factor, plus its sector's factor, plus its own
noise, all with fat tails and a shared volatility regime, so returns co-move like real ones.
Prices are ``exp`` of cumulative log returns, market cap is price times a constant circulating
supply, and ``volume`` is the USD traded in the 24 h up to each hour (CoinGecko's
``total_volume``), built from an hourly turnover that rises with the size of the move.

The offline market (``connectors.offline``) tells its story with these building blocks; the
benchmarks build their generic markets of millions of rows from them too
(``benchmarks/generic_market.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aisector.core.schema import (
    COIN_ID,
    MARKET_CAP,
    PRICE,
    SOURCE,
    SYMBOL,
    TIMESTAMP,
    VOLUME,
)

DAY = 24  # hours in the rolling volume window
TAIL_DF = 4.0  # Student-t degrees of freedom of the factor shocks: fat-ish tails, finite variance
IDIO_DAILY_SPREAD = 0.35  # log-sd of each coin's day-to-day idiosyncratic volatility (more tails)
REGIME_STRENGTH = 0.3  # log-sd of the market-wide volatility regime
REGIME_SPAN = 72  # hours over which the volatility regime is smoothed (volatility clusters)
VOLUME_REACTION = 1.5  # extra hourly turnover per unit of |return| / volatility
VOLUME_NOISE = 0.3  # log-sd of hourly turnover noise
INTRADAY_SWING = 0.35  # relative swing of turnover over the day
INTRADAY_PEAK_HOUR = 15  # UTC hour when Europe and the US trade together


def hourly_grid(start: pd.Timestamp, hours: int, warmup: int = DAY - 1) -> pd.DatetimeIndex:
    """Hourly UTC stamps from ``warmup`` hours before ``start``, so the first 24 h volume is full."""
    start = pd.Timestamp(start)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    first = start - pd.Timedelta(hours=warmup)
    return pd.date_range(first, periods=hours + warmup, freq="h").as_unit("ns")


def fat_tailed(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance Student-t shocks: crypto moves have more big hours than a normal law."""
    return rng.standard_t(TAIL_DF, shape) * np.sqrt((TAIL_DF - 2.0) / TAIL_DF)


def volatility_regime(rng: np.random.Generator, hours: int) -> np.ndarray:
    """A slowly wandering market-wide volatility multiplier (mean square 1): calm and wild days."""
    shocks = np.cumsum(rng.standard_normal(hours + REGIME_SPAN))
    smooth = (shocks[REGIME_SPAN:] - shocks[:-REGIME_SPAN]) / np.sqrt(REGIME_SPAN)
    return np.exp(REGIME_STRENGTH * smooth - REGIME_STRENGTH**2)


def idiosyncratic_noise(rng: np.random.Generator, hours: int, n_coins: int) -> np.ndarray:
    """Each coin's own unit-variance shocks, with volatility that changes from day to day."""
    noise = rng.standard_normal((hours, n_coins))
    daily = rng.standard_normal((-(-hours // DAY), n_coins))
    scale = np.exp(IDIO_DAILY_SPREAD * daily - IDIO_DAILY_SPREAD**2)
    noise *= np.repeat(scale, DAY, axis=0)[:hours]
    return noise


def factor_log_returns(
    rng: np.random.Generator,
    hours: int,
    sector_of: np.ndarray,
    volatility: np.ndarray,
    market_share: np.ndarray,
    sector_share: np.ndarray,
) -> np.ndarray:
    """Hourly log returns (hours x coins): market + sector factor + own noise, scaled per coin.

    ``market_share`` and ``sector_share`` are the fractions of each coin's variance that come
    from the common factors; ``sector_of`` holds each coin's sector number.
    """
    returns = idiosyncratic_noise(rng, hours, len(sector_of))
    returns *= np.sqrt(1.0 - market_share - sector_share)
    returns += fat_tailed(rng, (hours, 1)) * np.sqrt(market_share)
    sectors = fat_tailed(rng, (hours, int(sector_of.max()) + 1))
    returns += np.take(sectors, sector_of, axis=1) * np.sqrt(sector_share)
    returns *= volatility
    returns *= volatility_regime(rng, hours)[:, None]
    return returns


def pin_noise(returns: np.ndarray, knots: np.ndarray, traded: np.ndarray) -> np.ndarray:
    """Take out each coin's net noise move between consecutive ``knots`` rows (a Brownian bridge).

    The path still wanders between knots but returns, so declared levels and drifts decide where
    a coin stands at each knot. Only ``traded`` hours carry the correction; the last knot should
    be the last row.
    """
    returns = np.where(traded, returns, 0.0)
    starts = np.r_[0, np.asarray(knots)[:-1] + 1]
    sums = np.add.reduceat(returns, starts, axis=0)
    counts = np.add.reduceat(traded.astype(float), starts, axis=0)
    segment = np.searchsorted(starts, np.arange(len(returns)), side="right") - 1
    returns -= (sums / np.maximum(counts, 1.0))[segment] * traded
    return returns


def intraday_profile(timestamps: pd.DatetimeIndex) -> np.ndarray:
    """Turnover multiplier by UTC hour of day (mean 1): more trading when Europe and the US overlap."""
    phase = 2.0 * np.pi * (timestamps.hour.to_numpy() - INTRADAY_PEAK_HOUR) / 24.0
    return 1.0 + INTRADAY_SWING * np.cos(phase)


def rolling_volume(
    log_returns: np.ndarray,
    market_cap: np.ndarray,
    turnover: np.ndarray,
    volatility: np.ndarray,
    rng: np.random.Generator,
    multiplier: np.ndarray | None = None,
) -> np.ndarray:
    """USD traded in the 24 h up to each hour; hourly turnover grows with the size of the move.

    ``turnover`` is each coin's usual 24 h volume as a fraction of its market cap; hours with no
    market cap (before a launch) trade nothing. Rows before the 24th only hold a partial window.
    """
    hourly = np.abs(log_returns) / volatility
    hourly *= VOLUME_REACTION
    hourly += 1.0
    hourly /= 1.0 + VOLUME_REACTION * np.sqrt(2.0 / np.pi)  # mean |z| of a unit normal
    noise = rng.standard_normal(hourly.shape)
    noise *= VOLUME_NOISE
    noise -= VOLUME_NOISE**2 / 2.0
    hourly *= np.exp(noise, out=noise)
    del noise
    hourly *= market_cap
    hourly *= turnover / DAY
    if multiplier is not None:
        hourly *= multiplier
    np.nan_to_num(hourly, copy=False, nan=0.0)
    return _trailing_sum(hourly)


def _trailing_sum(hourly: np.ndarray) -> np.ndarray:
    """Sum over the last ``DAY`` rows (fewer at the top), via one cumulative sum."""
    total = np.cumsum(hourly, axis=0, out=hourly)
    window = np.empty_like(total)
    window[:DAY] = total[:DAY]
    np.subtract(total[DAY:], total[:-DAY], out=window[DAY:])
    return window


def tidy_market_frame(
    timestamps: pd.DatetimeIndex,
    coin_ids: Sequence[str],
    symbols: Sequence[str],
    price: np.ndarray,
    market_cap: np.ndarray,
    volume: np.ndarray,
    source: str,
) -> pd.DataFrame:
    """Wide (hours x coins) arrays as the tidy frame, already in ``validate_market_frame`` form.

    Rows come sorted by (timestamp, coin_id) with categorical text, so a benchmark can skip
    validation; hours without a price (before a launch) are left out.
    """
    order = np.argsort(np.asarray(coin_ids, dtype=object), kind="stable")
    if not np.array_equal(order, np.arange(len(order))):
        price, market_cap, volume = price[:, order], market_cap[:, order], volume[:, order]
        coin_ids, symbols = [coin_ids[i] for i in order], [symbols[i] for i in order]
    hours, n_coins = price.shape
    coin_codes = np.tile(np.arange(n_coins, dtype=np.int32), hours)
    frame = pd.DataFrame(
        {
            TIMESTAMP: timestamps.as_unit("ns").repeat(n_coins),
            COIN_ID: _categories(list(coin_ids), coin_codes),
            SYMBOL: _categories([s.upper() for s in symbols], coin_codes),
            PRICE: price.reshape(-1),
            MARKET_CAP: market_cap.reshape(-1),
            VOLUME: volume.reshape(-1),
            SOURCE: _categories([source], np.zeros(hours * n_coins, dtype=np.int8)),
        },
        copy=False,  # the float columns are stacked into one block anyway; skip a second copy
    )
    priced = np.isfinite(frame[PRICE].to_numpy())
    return frame if priced.all() else frame[priced].reset_index(drop=True)


def _categories(labels: list[str], codes: np.ndarray) -> pd.Categorical:
    """Categorical of ``labels[codes]`` with sorted categories, as ``astype("category")`` makes."""
    unique, position = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(
        position.astype(codes.dtype)[codes], categories=pd.Index(unique, dtype="string")
    )
