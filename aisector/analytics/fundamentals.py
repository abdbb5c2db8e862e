"""Protocol fundamentals: daily activity beside the tokens' market caps, as pure pandas.

Inputs are the validated fundamentals frame (``aisector.core.schema``: one row per date, protocol
and metric), the sectors file's protocol table (``SectorBook.protocol_members()``) and, for the
cap-to-revenue ratio, the validated tidy market frame. Per-protocol results are wide: one row per
UTC day (every day from the first to the last, so a gap is a row of NaN, never a skipped row), one
column per protocol.

Missing is missing: a sum over days is NaN unless every day in it has a value; a change or a ratio
whose base is missing, zero or negative is NaN (undefined, never 0 or infinite).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aisector.core.schema import (
    COIN_ID,
    DATA_SOURCE,
    DATE,
    FUNDAMENTALS_COLUMNS,
    FUNDAMENTALS_KEY,
    MARKET_CAP,
    METRIC,
    METRICS,
    PRICE,
    PROTOCOL,
    SECTOR,
    TIMESTAMP,
    VALUE,
)

DAY = pd.Timedelta(days=1)
REVENUE_DAYS = 30  # the revenue that market cap is set against
DAYS_PER_YEAR = 365
CHANGE = "change"  # over the export's window, a fraction
COUNTED = "counted"  # protocols of a sector with a value that day
MEMBERS = "members"  # protocols configured in the sector


@dataclass(frozen=True)
class FundamentalsData:
    """A validated fundamentals frame and where it came from (for badges and exports)."""

    frame: pd.DataFrame
    source: str  # the source that served, e.g. "offline"
    label: str  # e.g. "offline – simulated activity"
    live: bool
    warnings: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # data_source name -> its label
    history_since: pd.Timestamp | None = None  # provenance field shared with MarketData

    @property
    def as_of(self) -> pd.Timestamp:
        """The end of the newest day: its values cover the day up to this instant."""
        return self.frame[DATE].max() + DAY


def days_through(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The rows of the days that were over by ``as_of`` (a day's value needs the whole day)."""
    return frame[frame[DATE] + DAY <= as_of].reset_index(drop=True)


def daily_series(
    frame: pd.DataFrame, metric: str, protocols: Sequence[str] | None = None
) -> pd.DataFrame:
    """Day x protocol values of one metric, every UTC day from the frame's first to its last date;
    NaN where a protocol has no value (also for ``protocols`` the frame has no row of); no rows
    for a frame without rows."""
    rows = frame[frame[METRIC] == metric]
    wide = rows.pivot(index=DATE, columns=PROTOCOL, values=VALUE)
    names = sorted(frame[PROTOCOL].unique()) if protocols is None else list(protocols)
    if frame.empty:
        days = pd.DatetimeIndex([], dtype=frame[DATE].dtype, name=DATE)
    else:
        days = pd.date_range(frame[DATE].min(), frame[DATE].max(), freq="D", name=DATE)
    return wide.reindex(index=days, columns=pd.Index(names, name=PROTOCOL))


def trailing_sum(series: pd.DataFrame, days: int) -> pd.DataFrame:
    """Each day's sum over the ``days`` days ending with it; NaN unless all of them have a value
    (the first ``days - 1`` rows never do)."""
    values = series.to_numpy(dtype="float64")
    sums = np.full(values.shape, np.nan)
    if len(values) >= days:
        windows = np.lib.stride_tricks.sliding_window_view(values, days, axis=0)
        sums[days - 1 :] = windows.sum(axis=-1)  # each window summed afresh: no drift
    return pd.DataFrame(sums, index=series.index, columns=series.columns)


def window_change(series: pd.DataFrame, days: int) -> pd.DataFrame:
    """Change over ``days``: the sum of the last ``days`` days against the ``days`` days before,
    minus 1 (a fraction); NaN unless both spans are complete and the earlier sum is positive."""
    recent = trailing_sum(series, days)
    earlier = recent.shift(days)
    return (recent / earlier.where(earlier > 0)) - 1


def sector_totals(series: pd.DataFrame, protocols: pd.DataFrame) -> pd.DataFrame:
    """Per day and sector, the sum over its protocols that have a value: tidy rows of ``date,
    sector, value, counted, members``; ``value`` is NaN when no protocol of the sector has one."""
    membership = _sector_matrix(protocols)
    values = series.reindex(columns=membership.index).to_numpy(dtype="float64")
    present = ~np.isnan(values)
    matrix = membership.to_numpy(dtype="float64")
    counted = present.astype("float64") @ matrix
    totals = np.where(counted > 0, np.where(present, values, 0.0) @ matrix, np.nan)
    sectors = membership.columns
    return pd.DataFrame(
        {
            DATE: np.repeat(series.index.to_numpy(), len(sectors)),
            SECTOR: np.tile(sectors.to_numpy(dtype=object), len(series)),
            VALUE: totals.reshape(-1),
            COUNTED: counted.reshape(-1).astype("int64"),
            MEMBERS: np.tile(matrix.sum(axis=0).astype("int64"), len(series)),
        }
    )


def revenue_share(revenue: pd.DataFrame, protocols: pd.DataFrame, days: int = 1) -> pd.DataFrame:
    """Each protocol's share of its sector's revenue over the ``days`` days ending each day, among
    the sector's protocols with a complete sum (``sector_totals`` of ``trailing_sum`` counts them);
    NaN where its own sum is missing or the sector's is not positive."""
    sums = trailing_sum(revenue, days)
    totals = sector_totals(sums, protocols).pivot(index=DATE, columns=SECTOR, values=VALUE)
    sector_of = protocols.drop_duplicates(PROTOCOL).set_index(PROTOCOL)[SECTOR]
    sector_of = sector_of.reindex(sums.columns)
    denominator = totals.reindex(columns=sector_of.to_numpy()).to_numpy()
    denominator = np.where(denominator > 0, denominator, np.nan)
    return sums / denominator


def protocol_caps(
    market: pd.DataFrame, protocols: pd.DataFrame, days: pd.DatetimeIndex
) -> pd.DataFrame:
    """Day x protocol market cap at the close of each UTC day: each token's last cap at or before
    the next midnight, no older than one day, summed over the protocol's tokens (NaN unless every
    token has one)."""
    closes, members = _token_closes(market, protocols, days, MARKET_CAP)
    caps = closes.to_numpy(dtype="float64")
    matrix = members.to_numpy(dtype="float64")
    complete = (~np.isnan(caps)).astype("float64") @ matrix == matrix.sum(axis=0)
    summed = np.where(complete, np.nan_to_num(caps) @ matrix, np.nan)
    return pd.DataFrame(summed, index=days, columns=pd.Index(members.columns, name=PROTOCOL))


def protocol_prices(
    market: pd.DataFrame, protocols: pd.DataFrame, days: pd.DatetimeIndex
) -> pd.DataFrame:
    """Day x protocol: its token's price at the close of each UTC day (the same rule as
    ``protocol_caps``); NaN for a protocol with several tokens, whose prices do not add up."""
    closes, members = _token_closes(market, protocols, days, PRICE)
    matrix = members.to_numpy(dtype="float64")
    single = matrix.sum(axis=0) == 1
    prices = np.where(single, np.nan_to_num(closes.to_numpy(dtype="float64")) @ matrix, np.nan)
    priced = (~closes.isna()).to_numpy(dtype="float64") @ matrix > 0
    prices = np.where(priced, prices, np.nan)
    return pd.DataFrame(prices, index=days, columns=pd.Index(members.columns, name=PROTOCOL))


def cap_to_revenue(revenue: pd.DataFrame, caps: pd.DataFrame) -> pd.DataFrame:
    """Market cap / annualised revenue, per day and protocol: ``cap / (R30 * 365 / 30)`` with
    ``R30`` the revenue of the 30 days ending that day; NaN where the cap or any of those days is
    missing, or ``R30`` is not positive (a protocol earning nothing has no such ratio)."""
    annual = trailing_sum(revenue, REVENUE_DAYS) * (DAYS_PER_YEAR / REVENUE_DAYS)
    caps = caps.reindex(index=annual.index, columns=annual.columns)
    return caps / annual.where(annual > 0)


def fundamentals_table(frame: pd.DataFrame, protocols: pd.DataFrame, days: int) -> pd.DataFrame:
    """The export: every row of the frame, with its protocol's ``sector`` and the ``change`` of
    its metric over the ``days`` days ending that date (``window_change``)."""
    changes = pd.concat(
        {m: window_change(daily_series(frame, m), days).stack() for m in METRICS},
        names=[METRIC, DATE, PROTOCOL],
    ).rename(CHANGE)
    sector_of = protocols.drop_duplicates(PROTOCOL).set_index(PROTOCOL)[SECTOR]
    table = frame.join(changes, on=[METRIC, DATE, PROTOCOL])
    table.insert(len(FUNDAMENTALS_COLUMNS), SECTOR, table[PROTOCOL].map(sector_of))
    return table.sort_values(list(FUNDAMENTALS_KEY), kind="stable").reset_index(drop=True)


def prefer_sources(frame: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """One source per (protocol, metric) series: the first of ``order`` that has any row of it
    (sources not in ``order`` come last). Series are never stitched from two sources, whose
    methods differ."""
    rank = frame[DATA_SOURCE].astype(str).map({s: i for i, s in enumerate(order)})
    rank = rank.fillna(len(order))
    best = rank.groupby([frame[PROTOCOL], frame[METRIC]], observed=True).transform("min")
    return frame[rank == best].reset_index(drop=True)


def _sector_matrix(protocols: pd.DataFrame) -> pd.DataFrame:
    """Protocol x sector 0/1 membership, protocols and sectors in file order."""
    pairs = protocols[[PROTOCOL, SECTOR]].drop_duplicates()
    matrix = pd.crosstab(pairs[PROTOCOL], pairs[SECTOR])
    return matrix.reindex(index=pairs[PROTOCOL].unique(), columns=pairs[SECTOR].unique())


def _token_closes(
    market: pd.DataFrame, protocols: pd.DataFrame, days: pd.DatetimeIndex, column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Day x coin closes of ``column`` for the protocols' tokens, and the coin x protocol 0/1
    membership matrix to combine them with."""
    coins = pd.Index(protocols[COIN_ID].unique(), name=COIN_ID)
    members = pd.crosstab(protocols[COIN_ID], protocols[PROTOCOL]).clip(upper=1)
    members = members.reindex(index=coins, columns=protocols[PROTOCOL].unique(), fill_value=0)
    return _daily_closes(market, coins, days, column), members


def _daily_closes(
    market: pd.DataFrame, coins: pd.Index, days: pd.DatetimeIndex, column: str
) -> pd.DataFrame:
    """Day x coin: the last ``column`` value at or before each day's close (next midnight), no
    older than one day; NaN otherwise."""
    rows = market.loc[market[column].notna(), [TIMESTAMP, COIN_ID, column]]
    rows = rows.assign(**{COIN_ID: rows[COIN_ID].astype(str)}).sort_values(TIMESTAMP)
    grid = pd.MultiIndex.from_product([days, coins], names=[DATE, COIN_ID]).to_frame(index=False)
    grid[TIMESTAMP] = grid[DATE] + DAY
    picked = pd.merge_asof(
        grid.sort_values(TIMESTAMP),
        rows,
        on=TIMESTAMP,
        by=COIN_ID,
        tolerance=DAY,
        direction="backward",
    )
    return picked.pivot(index=DATE, columns=COIN_ID, values=column).reindex(
        index=days, columns=coins
    )
