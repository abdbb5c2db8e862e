"""Look-back windows and the rule for "the price at time t".

A value at time t is the last observation at or before t that is no older than the tolerance
(default 10% of the window); otherwise it is missing, never guessed.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aisector.errors import ConfigError

WINDOWS = ("24h", "7d", "30d")
DEFAULT_TOLERANCE_SHARE = 0.10
MAX_WINDOW_DAYS = 36_500  # a century
_WINDOW_PATTERN = re.compile(r"^\s*(\d+)\s*([hd])\s*$", re.ASCII)


def window_length(window: str) -> pd.Timedelta:
    """``"24h"`` -> 24 hours, ``"7d"`` -> 7 days; anything else is a ``ConfigError``."""
    match = _WINDOW_PATTERN.match(window)
    if not match or int(match.group(1)) == 0:
        raise ConfigError(f"window {window!r} is not a length like 24h, 7d or 30d")
    amount, unit = int(match.group(1)), match.group(2)
    days = amount / 24 if unit == "h" else amount
    if days > MAX_WINDOW_DAYS:  # longer ones overflow the nanosecond timestamps
        raise ConfigError(f"window {window!r} is longer than {MAX_WINDOW_DAYS} days")
    return pd.Timedelta(hours=amount) if unit == "h" else pd.Timedelta(days=amount)


def tolerance_for(window: str, share: float = DEFAULT_TOLERANCE_SHARE) -> pd.Timedelta:
    """How stale an observation may be and still stand for a window's end point."""
    return window_length(window) * share


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
