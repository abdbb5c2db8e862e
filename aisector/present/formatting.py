"""How numbers, times and ages read on screen; pure functions, shared by cards, tables and charts."""

from __future__ import annotations

import math

import pandas as pd

MISSING = "—"  # an unknown value: never 0 (see aisector.present.missing for why it is unknown)
_COMPACT_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def signed_percent(fraction: float | None, decimals: int = 2) -> str:
    """A move as signed percent, e.g. 0.1195 -> '+11.95%' (the tables hold fractions)."""
    if _missing(fraction):
        return MISSING
    return f"{fraction * 100:+.{decimals}f}%"


def percent(fraction: float | None, decimals: int = 1) -> str:
    """A share as percent without a sign, e.g. 0.8004 -> '80.0%'."""
    if _missing(fraction):
        return MISSING
    return f"{fraction * 100:.{decimals}f}%"


def multiple(value: float | None) -> str:
    """A ratio as a multiple, e.g. 17.49 -> '17.5×' (market cap to annualised revenue)."""
    if _missing(value):
        return MISSING
    return f"{value:,.1f}×"


def usd_compact(value: float | None) -> str:
    """Dollar amounts with T/B/M/K, e.g. 2.09e12 -> '$2.09T'; caps and volumes read at a glance."""
    if _missing(value):
        return MISSING
    for size, unit in _COMPACT_UNITS:
        if abs(value) >= size:
            return f"${value / size:,.2f}{unit}"
    return f"${value:,.2f}"


def usd_price(value: float | None) -> str:
    """A token price with four significant digits below $1, so $0.00002212 stays readable."""
    if _missing(value):
        return MISSING
    if abs(value) >= 1 or value == 0:
        return f"${value:,.2f}"
    decimals = 3 - math.floor(math.log10(abs(value)))
    return f"${value:.{decimals}f}"


def utc_time(stamp: pd.Timestamp) -> str:
    """A timestamp as '2025-01-22 00:00 UTC'."""
    return f"{stamp.tz_convert('UTC'):%Y-%m-%d %H:%M} UTC"


def age_text(age: pd.Timedelta) -> str:
    """How old data is in words, e.g. '3 h old' or '1 year old'; a future as-of time reads 'just now'."""
    minutes = int(age.total_seconds() // 60)
    days = age.days
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min old"
    if minutes < 48 * 60:
        return f"{minutes // 60} h old"
    if days < 60:
        return f"{days} days old"
    if days < 365:
        return f"{days // 30} months old"
    years = days // 365
    return f"{years} year old" if years == 1 else f"{years} years old"
