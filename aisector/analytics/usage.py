"""Protocol activity beside its token's price: the daily table of the Fundamentals page, each
protocol's figures over a window (the report), and where usage and price disagree (the summary).

Pure pandas over the fundamentals frame (``aisector.core.schema``), the tidy market frame, the
sectors file's protocol table (``SectorBook.protocol_members()``) and the window's token moves.
Activity is cut to the days that were over by the market's as-of time, so a price is never set
against usage from after it.

Usage and price *disagree* for a protocol and one of its tokens when either
- the token rose over the window while the protocol's usage on its newest day is at least
  ``FAR_BELOW_PEAK`` (half) below its peak of the ``PEAK_DAYS`` days up to then (VIRTUAL +11.95%
  while Virtuals' revenue is 99.84% below its 2 January peak), or
- over the window's whole days the token and the usage (``window_change``: the last days' sum
  against the days before) moved in opposite directions, each by at least ``MIN_MOVE``.
Usage is the protocol's revenue, else its fees, else its volume: the first it has a value of on
its newest day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisector.analytics.fundamentals import (
    DAY,
    cap_to_revenue,
    daily_series,
    days_through,
    protocol_caps,
    protocol_prices,
    revenue_share,
    window_change,
)
from aisector.analytics.market import MarketData
from aisector.core.schema import (
    COIN_ID,
    DATE,
    FEES,
    MARKET_CAP,
    METRIC,
    METRICS,
    PRICE,
    PROTOCOL,
    REVENUE,
    SECTOR,
    VOLUME,
)

CAP_TO_REVENUE = "cap_to_revenue"  # market cap / annualised 30-day revenue
REVENUE_SHARE = "revenue_share"  # of the sector's revenue over the window's days
PRICE_CHANGE = "price_change"
USAGE_CHANGE = "usage_change"  # window_change of the usage metric
FROM_PEAK = "from_peak"  # newest day's usage / its peak - 1
PEAK_DATE = "peak_date"
KIND = "kind"
BELOW_PEAK, OPPOSITE = "below_peak", "opposite"
USAGE_ORDER = (REVENUE, FEES, VOLUME)  # what "usage" is, first that has a value
PEAK_DAYS = 90
STALE_AFTER = pd.Timedelta(
    days=2
)  # activity that ended longer before the prices says nothing of them
FAR_BELOW_PEAK = 0.5
MIN_MOVE = 0.05


def change_column(metric: str) -> str:
    """The column of a metric's change over the window, e.g. ``revenue_change``."""
    return f"{metric}_change"


def protocol_days(
    activity: pd.DataFrame, market: pd.DataFrame, protocols: pd.DataFrame
) -> pd.DataFrame:
    """One row per (date, protocol) in file order: ``fees, revenue, volume``, the token's
    ``price`` and the protocol's ``market_cap`` at the day's close, and ``cap_to_revenue``."""
    keys = list(pd.unique(protocols[PROTOCOL]))
    series = {m: daily_series(activity, m, keys) for m in METRICS}
    days = series[REVENUE].index
    series[PRICE] = protocol_prices(market, protocols, days)
    series[MARKET_CAP] = protocol_caps(market, protocols, days)
    series[CAP_TO_REVENUE] = cap_to_revenue(series[REVENUE], series[MARKET_CAP])
    wide = pd.concat(series, axis=1, names=[None])
    table = wide.stack(PROTOCOL, future_stack=True).reset_index()
    table[PROTOCOL] = pd.Categorical(table[PROTOCOL], categories=keys)
    table = table.sort_values([PROTOCOL, DATE], kind="stable")
    return table.assign(**{PROTOCOL: table[PROTOCOL].astype(str)}).reset_index(drop=True)[
        [DATE, PROTOCOL, *series]
    ]


def protocol_window(
    activity: pd.DataFrame, market: pd.DataFrame, protocols: pd.DataFrame, days: int
) -> pd.DataFrame:
    """One row per protocol at the newest day: each metric's change over ``days`` (NaN unless
    both spans are complete), market cap / annualised revenue, and its share of the sector's
    revenue over the ``days`` days."""
    keys = list(pd.unique(protocols[PROTOCOL]))
    revenue = daily_series(activity, REVENUE, keys)
    columns = {
        change_column(m): _newest(window_change(daily_series(activity, m, keys), days))
        for m in METRICS
    }
    caps = protocol_caps(market, protocols, revenue.index)
    columns[CAP_TO_REVENUE] = _newest(cap_to_revenue(revenue, caps))
    columns[REVENUE_SHARE] = _newest(revenue_share(revenue, protocols, days))
    table = pd.DataFrame(columns).rename_axis(PROTOCOL).reset_index()
    sector_of = protocols.drop_duplicates(PROTOCOL).set_index(PROTOCOL)[SECTOR]
    table.insert(1, SECTOR, table[PROTOCOL].map(sector_of))
    table.insert(0, DATE, revenue.index.max())
    return table


def usage_price_disagreements(
    activity: pd.DataFrame,
    moves: pd.DataFrame,
    protocols: pd.DataFrame,
    days: int | None,
) -> pd.DataFrame:
    """Pairs of protocol and token whose usage and price disagree (see the module docstring),
    one row each: ``protocol, coin_id, price_change, metric, usage_change, from_peak, peak_date,
    date, kind``; ``moves`` has each token's ``coin_id`` and its ``change`` over the window,
    ``days`` the window's whole days (None: the opposite-direction rule is not checked)."""
    usage = _usage(activity, list(pd.unique(protocols[PROTOCOL])), days)
    price = moves.set_index(COIN_ID)["change"].rename(PRICE_CHANGE)
    pairs = protocols[[PROTOCOL, COIN_ID]].join(price, on=COIN_ID).join(usage, on=PROTOCOL)
    below_peak = (pairs[PRICE_CHANGE] > 0) & (pairs[FROM_PEAK] <= -FAR_BELOW_PEAK)
    opposite = (
        (np.sign(pairs[PRICE_CHANGE]) * np.sign(pairs[USAGE_CHANGE]) < 0)
        & (pairs[PRICE_CHANGE].abs() >= MIN_MOVE)
        & (pairs[USAGE_CHANGE].abs() >= MIN_MOVE)
    )
    pairs[KIND] = np.select([below_peak, opposite], [BELOW_PEAK, OPPOSITE], default="")
    return pairs[pairs[KIND] != ""].reset_index(drop=True)


def _usage(activity: pd.DataFrame, keys: Sequence[str], days: int | None) -> pd.DataFrame:
    """Per protocol: its usage metric (the first of ``USAGE_ORDER`` with a value on the newest
    day), that value against its ``PEAK_DAYS`` peak, the peak's date and its window change."""
    figures = pd.concat(
        {m: _metric_figures(daily_series(activity, m, keys), days) for m in USAGE_ORDER},
        names=[METRIC, PROTOCOL],
    ).reset_index()
    figures = figures.dropna(subset=[FROM_PEAK])
    return figures.drop_duplicates(PROTOCOL).set_index(PROTOCOL)  # USAGE_ORDER comes first


def _metric_figures(series: pd.DataFrame, days: int | None) -> pd.DataFrame:
    """One metric's newest value against its peak, and its change over ``days``."""
    recent = series.iloc[-PEAK_DAYS:]
    peak = recent.max()
    newest = _newest(recent)
    change = _newest(window_change(series, days)) if days else pd.Series(np.nan, series.columns)
    return pd.DataFrame(
        {
            FROM_PEAK: newest / peak.where(peak > 0) - 1,
            PEAK_DATE: _peak_day(recent).where(peak > 0),
            DATE: series.index.max(),
            USAGE_CHANGE: change,
        }
    )


def _peak_day(wide: pd.DataFrame) -> pd.Series:
    """Each protocol's day of its highest value; NaT when there is no day."""
    if not len(wide):
        return pd.Series(pd.NaT, index=wide.columns, dtype=wide.index.dtype)
    return wide.fillna(-np.inf).idxmax()


def _newest(wide: pd.DataFrame) -> pd.Series:
    """The last day's row of a day x protocol frame; NaN for each protocol when it has no day."""
    return wide.iloc[-1] if len(wide) else pd.Series(np.nan, index=wide.columns)


@dataclass(frozen=True)
class UsageViews:
    """What the Fundamentals page and the report show of protocol activity for one window."""

    days: pd.DataFrame  # protocol_days
    window: pd.DataFrame | None  # protocol_window; None for a window of not whole days
    disagreements: pd.DataFrame  # usage_price_disagreements
    notes: tuple[str, ...] = ()  # why usage is not set against price (``activity_note``)


def usage_views(
    activity: pd.DataFrame,
    market: MarketData,
    protocols: pd.DataFrame,
    moves: pd.DataFrame,
    days: int | None,
) -> UsageViews:
    """The activity of the days over by the market's as-of time, beside its prices and the
    window's token ``moves`` (``coin_id``, ``change``); ``days``: the window's whole days, None
    when it is not a whole number of days. Usage that ``activity_note`` finds too old (or
    absent) disagrees with no price: the note says why."""
    activity = days_through(activity, market.as_of)
    disagreements = usage_price_disagreements(activity, moves, protocols, days)
    note = activity_note(activity, market.as_of)
    return UsageViews(
        protocol_days(activity, market.frame, protocols),
        None if days is None else protocol_window(activity, market.frame, protocols, days),
        disagreements.iloc[0:0] if note else disagreements,
        (note,) if note else (),
    )


def activity_note(activity: pd.DataFrame, as_of: pd.Timestamp) -> str:
    """Why activity cannot be set against prices as of ``as_of``: it has no day over by then,
    or its newest day ended more than ``STALE_AFTER`` before; "" when it can."""
    when = f"the prices' as-of time ({as_of:%Y-%m-%d %H:%M} UTC)"
    if activity.empty:
        return f"no day of protocol activity was over by {when}"
    newest = activity[DATE].max()
    gap = as_of - (newest + DAY)
    if gap <= STALE_AFTER:
        return ""
    return (
        f"protocol activity's newest day is {newest:%Y-%m-%d}, {gap.days} days before {when}: "
        "usage is not set against price"
    )
