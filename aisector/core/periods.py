"""Window lengths as users write them (``24h``, ``7d``, ``30d``), shared by every layer.

A connector needs them to know how stale a quote may be; the analytics resolve windows with them.
"""

from __future__ import annotations

import re

import pandas as pd

from aisector.core.errors import ConfigError

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


def window_days(window: str) -> int:
    """A window over daily data as a number of UTC days: ``"24h"`` -> 1, ``"30d"`` -> 30."""
    length = window_length(window)
    if length % pd.Timedelta(days=1):
        raise ConfigError(f"window {window!r} is not a whole number of days (daily data)")
    return length // pd.Timedelta(days=1)
