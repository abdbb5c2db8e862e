"""Turning decoded JSON into frames, shared by the live connectors.

Upstream bodies are not to be trusted: numbers arrive as strings ("299.72", "NaN"), nulls and
zeros mean "unknown", lists come back empty or as an error object. These helpers pick the mapped
fields, parse numbers and dates or reject them with a message that names the field and the value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from aisector.core.errors import BadPayload, ConfigError
from aisector.core.schema import (
    COIN_ID,
    MARKET_CAP,
    MARKET_COLUMNS,
    PRICE,
    SOURCE,
    SYMBOL,
    TIMESTAMP,
    VOLUME,
    empty_market_frame,
    validate_market_frame,
)

MISSING_WORDS = frozenset({"", "null", "none", "nan"})  # text upstream uses for "no value"

# Look-back windows a source may report its own percentage change over, and their lengths.
LOOKBACKS = {
    "24h": pd.Timedelta(hours=24),
    "7d": pd.Timedelta(days=7),
    "30d": pd.Timedelta(days=30),
}
MARKET_CAP_CHANGE_24H = "market_cap_change_24h"  # USD, as CoinGecko reports it

# History served when a caller gives an end but no start: a 30d window plus its 10% tolerance,
# and a day to spare.
DEFAULT_HISTORY = pd.Timedelta(days=34)


def change_column(window: str) -> str:
    """Name of the column holding a source's own price change over ``window``, as a fraction."""
    return f"change_{window}"


def object_list(payload: object, where: str) -> list[dict]:
    """The list of JSON objects an endpoint returns, or ``BadPayload`` saying what came instead."""
    if not isinstance(payload, list):
        raise BadPayload(f"{where}: expected a list, got {type(payload).__name__}")
    bad = next((i for i, row in enumerate(payload) if not isinstance(row, dict)), None)
    if bad is not None:
        raise BadPayload(f"{where}: item {bad} is {type(payload[bad]).__name__}, not an object")
    return payload


def pick_fields(rows: list[dict], fields: Mapping[str, str]) -> pd.DataFrame:
    """A frame with one column per ``fields`` key, read from the (dotted) upstream field it names."""
    flat = pd.json_normalize(rows) if rows else pd.DataFrame()
    return pd.DataFrame(
        {ours: _column(flat, theirs) for ours, theirs in fields.items()}, index=flat.index
    )


def _column(flat: pd.DataFrame, name: str) -> pd.Series:
    if name in flat.columns:
        return flat[name].astype(object)
    return pd.Series(None, index=flat.index, dtype=object)


def numbers(values: pd.Series, what: str, labels: pd.Series | None = None) -> pd.Series:
    """Floats from JSON numbers or numeric text; null and "NaN" are missing, other text an error
    naming ``what`` and, when ``labels`` are given (e.g. coin ids), the row's label."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    cells = values.tolist()
    parsed = [_cell_number(v) for v in cells]
    bad = next((i for i, v in enumerate(parsed) if v is None), None)
    if bad is not None:
        row = f" of {labels.iloc[bad]}" if labels is not None else ""
        raise BadPayload(f"{what}{row} holds {cells[bad]!r}, which is not a number")
    return pd.Series(parsed, index=values.index, dtype="float64")


def _cell_number(value: object) -> float | None:
    """A float for a JSON number or numeric text, NaN for a null; None when it is no number."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower() in MISSING_WORDS:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return None


def timestamps(values: pd.Series, what: str, unit: str | None = None) -> pd.Series:
    """UTC timestamps from ISO text (or epoch numbers in ``unit``); null stays missing."""
    try:
        if unit is not None:
            return pd.to_datetime(numbers(values, what), unit=unit, utc=True)
        return pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError) as error:
        raise BadPayload(f"{what} holds a value that is not a date ({first_line(error)})") from None


def first_line(error: Exception) -> str:
    """What went wrong in one line, without the advice pandas adds on further lines (nor the
    clause that announces it, "You might want to try:")."""
    line = next((ln.strip() for ln in str(error).splitlines() if ln.strip()), "")
    return re.sub(r"\s*[^.:]*:$", "", line) or type(error).__name__


def observation_time(now: float) -> pd.Timestamp:
    """The timestamp a snapshot taken at ``now`` (epoch seconds) is filed under: the minute."""
    return pd.Timestamp(now, unit="s", tz="UTC").floor("min")


def lookback_rows(current: pd.DataFrame) -> pd.DataFrame:
    """Rows at ``timestamp - w`` rebuilt from the source's own change over w: ``price / (1 + c)``.

    Upstream defines its change over w against its price w ago, so this restores that price
    exactly; the 24h row also gets the market cap 24 h ago when the source reports its change.
    Windows without a reported change get no row (nothing is guessed).
    """
    rows = []
    for window, length in LOOKBACKS.items():
        column = change_column(window)
        if column not in current.columns:
            continue
        earlier = current.loc[:, [TIMESTAMP, COIN_ID, SYMBOL, SOURCE]].copy()
        earlier[TIMESTAMP] = current[TIMESTAMP] - length
        with np.errstate(divide="ignore", invalid="ignore"):
            earlier[PRICE] = current[PRICE] / (1.0 + current[column])
        earlier[MARKET_CAP] = _cap_before(current) if window == "24h" else np.nan
        earlier[VOLUME] = np.nan
        rows.append(earlier[np.isfinite(earlier[PRICE]) & (earlier[PRICE] > 0)])
    return pd.concat(rows, ignore_index=True) if rows else current.iloc[0:0]


def _cap_before(current: pd.DataFrame) -> pd.Series | float:
    if MARKET_CAP_CHANGE_24H not in current.columns:
        return np.nan
    return current[MARKET_CAP] - current[MARKET_CAP_CHANGE_24H]


def with_lookbacks(current: pd.DataFrame) -> pd.DataFrame:
    """The snapshot rows followed by their look-back rows, in the tidy columns only."""
    frame = pd.concat([current, lookback_rows(current)], ignore_index=True)
    return frame.loc[:, list(MARKET_COLUMNS)]


def history_range(
    start: pd.Timestamp | None, end: pd.Timestamp | None, now: float
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The range a ``market_history`` call asks for, defaults filled in; None means "the latest"."""
    if start is None and end is None:
        return None
    end = observation_time(now) if end is None else end
    return (end - DEFAULT_HISTORY if start is None else start), end


def require_range(start: pd.Timestamp, end: pd.Timestamp) -> None:
    """A history range must not end before it starts."""
    if start > end:
        raise ConfigError(f"history range starts after it ends ({start} > {end})")


def tidy_concat(frames: Sequence[pd.DataFrame | None], source: str) -> pd.DataFrame:
    """One validated tidy frame from per-coin pieces (None or empty when a coin was not served)."""
    served = [f for f in frames if f is not None and not f.empty]
    return validate_market_frame(pd.concat(served), source) if served else empty_market_frame()


def missing_from(requested: Sequence[str], served: pd.Series) -> list[str]:
    """Requested ids that got no row, in request order, so they can be reported by name."""
    have = set(served.astype(str))
    return [coin for coin in dict.fromkeys(requested) if coin not in have]
