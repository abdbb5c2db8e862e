"""Simulated daily protocol activity beside the offline market: deterministic, labelled simulated.

It covers the offline market's whole UTC days (2024-12-01 to 2025-01-21; the market ends at
2025-01-22 00:00, the close of the 21st) and tells the story the January report read from Dune
and DefiLlama:

- Virtuals Protocol's daily volume, fees and revenue all peak on 2025-01-02, fees at exactly
  $1,594,093 (DefiLlama, as two public notes quote it);
- its fees add up to the published $14.68M in December 2024, and to January's published
  $16,585,887 less ten days at February's published average ($2.18M / 28 a day) over 1-21 January
  (the range stops there);
- the AI-agent drain of 17-20 January takes its activity down; by 21 January its daily revenue is
  more than 99% below the peak (the report's reading), and every protocol's activity ticks up on
  21 January with the price rebound.

How: each protocol's fees follow a path through dated knots (log-linear between them) with seeded
day-to-day noise off the knots; stated totals are then met by scaling the days they cover (never
the peak day), and every value is rounded to the cent. Volume is fees over a fee rate (Virtuals and ai16z's launchpad charge 1% of
trades). Revenue is the share of fees the protocol keeps, a share that grows with activity
(``share_elasticity``): launch taxes, which the protocol keeps whole, come and go with the frenzy
while trading fees go mostly to creators. So revenue falls faster than fees; on Virtuals' peak day
it equals them, as the notes read the same $1,594,093 as fees and as revenue.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisector.core.schema import (
    DATE,
    FEES,
    METRIC,
    PROTOCOL,
    REVENUE,
    VALUE,
    VOLUME,
    validate_fundamentals_frame,
)
from aisector.core.sectors import TrackedProtocol
from connectors.base import FundamentalsSource
from connectors.offline import SOURCE_NAME, STORY_END, STORY_START

FIRST_DAY = STORY_START
LAST_DAY = STORY_END - pd.Timedelta(days=1)  # the last whole UTC day of the offline market
ACTIVITY_SEED = 20250102


@dataclass(frozen=True)
class StoryProtocol:
    """One protocol's simulated activity."""

    key: str  # protocol id of the shipped sectors file
    fees: float  # USD fees on a knot of level 1
    knots: tuple[tuple[str, float], ...]  # (UTC day, fees as a multiple of ``fees``)
    fee_rate: float | None  # fees per USD traded; None: the protocol reports no volume
    revenue_share: float  # share of fees kept as revenue on a day of level 1
    share_elasticity: float  # the kept share moves with (fees / level) to this power
    noise: float  # log-sd of day-to-day noise (none on knot days)
    peak: str | None = None  # a knot day whose fees are exact: no noise, no scaling


@dataclass(frozen=True)
class FeeTotal:
    """Fees a protocol made over the days [first, last], met exactly by the simulation."""

    protocol: str
    first: str
    last: str
    total: float


VIRTUALS_PEAK_FEES = 1_594_093.0  # 2025-01-02, DefiLlama per two public notes
FEBRUARY_DAILY_FEES = 2_180_000.0 / 28  # Virtuals, February 2025, published monthly total
JANUARY_TO_21ST = 16_585_887.0 - 10 * FEBRUARY_DAILY_FEES

PROTOCOLS = (
    StoryProtocol(
        "virtuals-protocol",
        VIRTUALS_PEAK_FEES,
        (
            ("2024-12-01", 0.15),
            ("2024-12-31", 0.50),
            ("2025-01-01", 0.66),
            ("2025-01-02", 1.0),
            ("2025-01-03", 0.72),
            ("2025-01-16", 0.40),
            ("2025-01-20", 0.025),
            ("2025-01-21", 0.04),
        ),
        fee_rate=0.01,
        revenue_share=1.0,
        share_elasticity=1.0,
        noise=0.08,
        peak="2025-01-02",
    ),
    StoryProtocol(
        "ai16z-launchpad",
        60_000.0,
        (
            ("2024-12-01", 0.30),
            ("2025-01-02", 1.0),
            ("2025-01-16", 0.50),
            ("2025-01-20", 0.08),
            ("2025-01-21", 0.15),
        ),
        fee_rate=0.01,
        revenue_share=0.5,
        share_elasticity=0.5,
        noise=0.15,
    ),
    StoryProtocol(  # tracked from mid-December: earlier days are missing, not zero
        "arc-rig",
        8_000.0,
        (
            ("2024-12-16", 0.30),
            ("2025-01-02", 0.60),
            ("2025-01-14", 1.0),
            ("2025-01-20", 0.10),
            ("2025-01-21", 0.30),
        ),
        fee_rate=None,
        revenue_share=0.3,
        share_elasticity=0.0,
        noise=0.20,
    ),
    StoryProtocol(
        "render-network",
        25_000.0,
        (
            ("2024-12-01", 1.0),
            ("2024-12-06", 1.3),
            ("2025-01-01", 0.70),
            ("2025-01-07", 0.90),
            ("2025-01-20", 0.75),
            ("2025-01-21", 0.80),
        ),
        fee_rate=None,
        revenue_share=1.0,
        share_elasticity=0.0,
        noise=0.10,
    ),
)

FEE_TOTALS = (
    FeeTotal("virtuals-protocol", "2024-12-01", "2024-12-31", 14_680_000.0),
    FeeTotal("virtuals-protocol", "2025-01-01", "2025-01-21", JANUARY_TO_21ST),
)


class OfflineActivity(FundamentalsSource):
    """The simulated protocol activity behind ``--source offline`` for fundamentals."""

    name = SOURCE_NAME
    label = "offline – simulated activity"
    live = False

    def protocol_activity(self, protocols: Sequence[TrackedProtocol]) -> pd.DataFrame:
        """Validated rows for ``protocols``; others are absent."""
        keys = [p.key for p in protocols]
        activity = simulated_activity()
        return activity[activity[PROTOCOL].isin(keys)].reset_index(drop=True)


@functools.cache
def simulated_activity() -> pd.DataFrame:
    """Every simulated protocol's validated rows (the same on every call)."""
    days = pd.date_range(FIRST_DAY, LAST_DAY, freq="D").as_unit("ns")
    rng = np.random.default_rng(ACTIVITY_SEED)
    frames = [_protocol_rows(protocol, days, rng) for protocol in PROTOCOLS]
    return validate_fundamentals_frame(pd.concat(frames, ignore_index=True), source=SOURCE_NAME)


def _protocol_rows(
    protocol: StoryProtocol, days: pd.DatetimeIndex, rng: np.random.Generator
) -> pd.DataFrame:
    """One protocol's tidy rows: fees, revenue and (when it has a fee rate) volume."""
    level, on_knot = _fee_level(protocol, days)
    noise = np.where(on_knot, 0.0, rng.normal(0.0, protocol.noise, len(days)))
    fees = protocol.fees * level * np.exp(noise)
    fees = _meet_totals(fees, days, protocol)
    share = protocol.revenue_share * (fees / protocol.fees) ** protocol.share_elasticity
    metrics = {FEES: fees, REVENUE: fees * share}
    if protocol.fee_rate is not None:
        rate_noise = np.where(on_knot, 0.0, rng.normal(0.0, protocol.noise / 2, len(days)))
        metrics[VOLUME] = fees / (protocol.fee_rate * np.exp(rate_noise))
    cents = {metric: np.round(values, 2) for metric, values in metrics.items()}
    tracked = days >= pd.Timestamp(protocol.knots[0][0], tz="UTC")
    return pd.concat(
        pd.DataFrame({DATE: days, PROTOCOL: protocol.key, METRIC: metric, VALUE: values})[tracked]
        for metric, values in cents.items()
    )


def _fee_level(protocol: StoryProtocol, days: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Fees per day as a multiple of ``protocol.fees``, log-linear between the knots (flat
    outside them), and which days are knots."""
    knot_days = pd.DatetimeIndex([pd.Timestamp(d, tz="UTC") for d, _ in protocol.knots])
    log_levels = np.log([level for _, level in protocol.knots])
    level = np.exp(np.interp(days.asi8, knot_days.as_unit("ns").asi8, log_levels))
    return level, days.isin(knot_days)


def _meet_totals(fees: np.ndarray, days: pd.DatetimeIndex, protocol: StoryProtocol) -> np.ndarray:
    """Scale each ``FEE_TOTALS`` span of the protocol so its fees add up exactly; the peak day
    is held fixed."""
    fees = fees.copy()
    peak = (
        days == pd.Timestamp(protocol.peak, tz="UTC")
        if protocol.peak
        else np.zeros(len(days), bool)
    )
    for total in (t for t in FEE_TOTALS if t.protocol == protocol.key):
        span = (days >= pd.Timestamp(total.first, tz="UTC")) & (
            days <= pd.Timestamp(total.last, tz="UTC")
        )
        free = span & ~peak
        fees[free] *= (total.total - fees[span & peak].sum()) / fees[free].sum()
    return fees
