"""Look-back windows, resolved once: the one rule every figure of a window follows.

A value at time x is the last observation at or before x that is no older than the tolerance
(default 10% of the window); otherwise it is missing, never guessed. A window of length w ending
at t starts at *the values at t - w* under that rule, whatever the observation grid (hourly,
daily, a snapshot at minute 22), and then runs over every observation in ``(t - w, t]``. Inside
the window each coin keeps its last observation until its next one (forward-filled), so a daily
series beside an hourly one moves once a day and a snapshot between history points moves what it
observed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from aisector.analytics.panel import MarketPanel
from aisector.core.periods import DEFAULT_TOLERANCE_SHARE, window_length


def values_at(
    values: np.ndarray, timestamps: pd.DatetimeIndex, at: pd.Timestamp, tolerance: pd.Timedelta
) -> np.ndarray:
    """Per column, the last non-missing value at or before ``at`` within ``tolerance``."""
    hi = int(timestamps.searchsorted(at, side="right"))
    lo = int(timestamps.searchsorted(at - tolerance, side="left"))
    if hi <= lo:
        return np.full(values.shape[1], np.nan)
    recent = values[lo:hi][::-1]
    present = ~np.isnan(recent)
    first = present.argmax(axis=0)
    picked = recent[first, np.arange(values.shape[1])]
    return np.where(present.any(axis=0), picked, np.nan)


def forward_filled(first: np.ndarray, later: np.ndarray) -> np.ndarray:
    """``first`` stacked on ``later``, each column's gaps filled with its last value above.

    One output matrix and 32-bit row numbers: a year of hourly data for 1,000 coins needs
    ~110 MB beside its input instead of ~210 MB."""
    index_type = np.int32 if len(later) < np.iinfo(np.int32).max else np.int64
    rows = np.where(np.isnan(later), -1, np.arange(len(later), dtype=index_type)[:, None])
    np.maximum.accumulate(rows, axis=0, out=rows)
    filled = np.empty((len(later) + 1, later.shape[1]))
    filled[0] = first
    unseen = rows < 0  # no observation yet in the window: the start value stands
    np.maximum(rows, 0, out=rows)
    filled[1:] = np.take_along_axis(later, rows, axis=0)
    np.copyto(filled[1:], np.broadcast_to(first, later.shape), where=unseen)
    return filled


@dataclass(frozen=True)
class Window:
    """One look-back window over one panel: its bounds, its start values and the rows inside.

    Row 0 of every matrix holds the values at ``start`` (the as-of rule); rows 1.. are the
    panel's observations in ``(start, end]``, forward-filled per coin from row 0 on. Every table
    of the pandas layer takes a ``Window``, so none can turn a window into bounds its own way.
    """

    panel: MarketPanel
    label: str
    start: pd.Timestamp
    end: pd.Timestamp
    tolerance: pd.Timedelta

    @cached_property
    def rows(self) -> slice:
        """The panel rows with timestamps in ``(start, end]``."""
        stamps = self.panel.timestamps
        return slice(
            int(stamps.searchsorted(self.start, side="right")),
            int(stamps.searchsorted(self.end, side="right")),
        )

    @cached_property
    def stamps(self) -> pd.DatetimeIndex:
        """The window start, then the timestamps of the rows inside."""
        inside = self.panel.timestamps[self.rows]
        return pd.DatetimeIndex([self.start]).append(inside)

    @cached_property
    def price(self) -> np.ndarray:
        return self._filled(self.panel.price)

    @cached_property
    def market_cap(self) -> np.ndarray:
        return self._filled(self.panel.market_cap)

    @cached_property
    def volume(self) -> np.ndarray:
        return self._filled(self.panel.volume)

    def at_start(self, values: np.ndarray) -> np.ndarray:
        """Per coin, the value at the window start (the as-of rule), from a panel matrix."""
        return values_at(values, self.panel.timestamps, self.start, self.tolerance)

    def at_end(self, values: np.ndarray) -> np.ndarray:
        """Per coin, the value at the window end (the as-of rule), from a panel matrix."""
        return values_at(values, self.panel.timestamps, self.end, self.tolerance)

    def widened(self, before: pd.Timedelta) -> Window:
        """The same end and tolerance, starting ``before`` earlier (a warm-up for smoothing)."""
        return Window(self.panel, self.label, self.start - before, self.end, self.tolerance)

    def _filled(self, values: np.ndarray) -> np.ndarray:
        return forward_filled(self.at_start(values), values[self.rows])


def resolve_window(
    panel: MarketPanel,
    as_of: pd.Timestamp,
    window: str,
    tolerance_share: float = DEFAULT_TOLERANCE_SHARE,
) -> Window:
    """``window`` (e.g. ``"7d"``) ending at ``as_of``, resolved once for every table."""
    length = window_length(window)
    return Window(panel, window, as_of - length, as_of, length * tolerance_share)
