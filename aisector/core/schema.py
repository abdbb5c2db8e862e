"""The tidy frames every connector returns, their column names, and one validator for each.

Market frame: one row per (timestamp, coin). ``coin_id``, ``symbol`` and ``source`` hold strings,
stored as pandas categoricals so that millions of rows stay small and group fast.

Fundamentals frame (protocol activity): one row per (date, protocol, metric); ``date`` is the UTC
day the value covers, as a midnight timestamp; ``value`` is USD for that whole day; a day with no
value has no row (missing is missing, never 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisector.core.errors import BadPayload

TIMESTAMP = "timestamp"
COIN_ID = "coin_id"
SYMBOL = "symbol"
PRICE = "price"
MARKET_CAP = "market_cap"
VOLUME = "volume"
SOURCE = "source"

MARKET_COLUMNS = (TIMESTAMP, COIN_ID, SYMBOL, PRICE, MARKET_CAP, VOLUME, SOURCE)
NUMERIC_COLUMNS = (PRICE, MARKET_CAP, VOLUME)
TEXT_COLUMNS = (COIN_ID, SYMBOL, SOURCE)

# The sector-membership frame has one row per (sector, coin_id).
SECTOR = "sector"

# The fundamentals frame.
DATE = "date"
PROTOCOL = "protocol"
METRIC = "metric"
VALUE = "value"
DATA_SOURCE = "data_source"  # short source name, e.g. "offline", "defillama", "dune"
FEES = "fees"
REVENUE = "revenue"
METRICS = (FEES, REVENUE, VOLUME)  # VOLUME: USD traded through the protocol that day
FUNDAMENTALS_COLUMNS = (DATE, PROTOCOL, METRIC, VALUE, DATA_SOURCE)
FUNDAMENTALS_KEY = (DATE, PROTOCOL, METRIC)


def validate_market_frame(frame: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Check and normalise a connector's output so the pandas layer can trust it.

    Raises ``BadPayload`` naming the column and the first bad row. Zero or negative caps and
    volumes become missing (upstream uses 0 for "unknown"); a missing price drops the row.
    """
    out = _labelled_columns(frame, MARKET_COLUMNS, SOURCE, source, "market data")
    out[TIMESTAMP] = _utc_timestamps(out[TIMESTAMP])
    for column in NUMERIC_COLUMNS:
        out[column] = _numbers(out[column], column)
    if (out[PRICE] < 0).any():
        raise BadPayload(f"negative price for {_first(out, out[PRICE] < 0)}")
    out[PRICE] = out[PRICE].where(out[PRICE] > 0)
    for column in (MARKET_CAP, VOLUME):
        out[column] = out[column].where(out[column] > 0)
    out = out[out[PRICE].notna() & out[TIMESTAMP].notna()]
    coin_text = out[COIN_ID].astype("string").str.strip()
    if coin_text.isna().any() or (coin_text == "").any():
        raise BadPayload("market data has a row without a coin_id")
    out[COIN_ID] = coin_text.astype("category")
    out[SYMBOL] = out[SYMBOL].astype("string").str.upper().fillna("").astype("category")
    out[SOURCE] = out[SOURCE].astype("string").fillna("unknown").astype("category")
    duplicated = out.duplicated([TIMESTAMP, COIN_ID])
    if duplicated.any():
        raise BadPayload(
            f"market data has {int(duplicated.sum())} duplicate (timestamp, coin_id) rows, "
            f"first {_first(out, duplicated)}"
        )
    return out.sort_values([TIMESTAMP, COIN_ID], kind="stable").reset_index(drop=True)


def empty_market_frame() -> pd.DataFrame:
    """A valid frame with no rows, for sources that found nothing."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in NUMERIC_COLUMNS})
    frame[TIMESTAMP] = pd.Series(dtype="datetime64[ns, UTC]")
    for column in TEXT_COLUMNS:
        frame[column] = pd.Series(dtype="string")
    return validate_market_frame(frame[list(MARKET_COLUMNS)])


def validate_fundamentals_frame(frame: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """Check and normalise protocol activity so the pandas layer can trust it.

    Raises ``BadPayload`` naming the column and the first bad row. A missing value drops the row
    (an absent day is a missing day); zero stays zero (a day without fees is a fact). Fees and
    volume cannot be negative; revenue can (a protocol may pay out more than it keeps).
    """
    out = _labelled_columns(frame, FUNDAMENTALS_COLUMNS, DATA_SOURCE, source, "protocol activity")
    out[DATE] = _utc_timestamps(out[DATE])
    out[VALUE] = _numbers(out[VALUE], VALUE)
    out = out[out[VALUE].notna()]
    for column in (PROTOCOL, METRIC, DATA_SOURCE):
        text = out[column].astype("string").str.strip()
        if text.isna().any() or (text == "").any():
            raise BadPayload(f"protocol activity has a row without a {column}")
        out[column] = text.astype(str)
    _check_activity_rows(out)
    return out.sort_values(list(FUNDAMENTALS_KEY), kind="stable").reset_index(drop=True)


def _check_activity_rows(frame: pd.DataFrame) -> None:
    """Whole UTC days, known metrics, no negative fees or volume, one row per key."""
    if frame[DATE].isna().any():
        raise BadPayload("protocol activity has a row without a date")
    checks = (
        (frame[DATE] != frame[DATE].dt.floor("D"), "a date that is not a whole UTC day"),
        (~frame[METRIC].isin(METRICS), f"a metric other than {', '.join(METRICS)}"),
        ((frame[VALUE] < 0) & (frame[METRIC] != REVENUE), "negative fees or volume"),
        (frame.duplicated(list(FUNDAMENTALS_KEY)), "duplicate (date, protocol, metric) rows"),
    )
    for bad, problem in checks:
        if bad.any():
            row = frame[bad].iloc[0]
            raise BadPayload(
                f"protocol activity has {problem}: {int(bad.sum())} row(s), first "
                f"{row[PROTOCOL]} {row[METRIC]} on {row[DATE]:%Y-%m-%d %H:%M} UTC "
                f"({float(row[VALUE]):g})"
            )


def empty_fundamentals_frame() -> pd.DataFrame:
    """A valid fundamentals frame with no rows, for sources that found nothing."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in FUNDAMENTALS_COLUMNS})
    frame[DATE] = pd.Series(dtype="datetime64[ns, UTC]")
    frame[VALUE] = pd.Series(dtype="float64")
    return validate_fundamentals_frame(frame)


def _labelled_columns(
    frame: pd.DataFrame, columns: tuple[str, ...], source_column: str, source: str | None, what: str
) -> pd.DataFrame:
    """A copy of the frame's ``columns`` (each required but the source one), the source column
    set to ``source`` when given, else kept, else ``"unknown"``."""
    missing = [c for c in columns if c not in frame.columns and c != source_column]
    if missing:
        raise BadPayload(f"{what} lacks column(s) {', '.join(missing)}")
    out = frame.loc[:, [c for c in columns if c in frame.columns]].copy()
    if source is not None:
        out[source_column] = source
    elif source_column not in out.columns:
        out[source_column] = "unknown"
    return out


def _utc_timestamps(values: pd.Series) -> pd.Series:
    try:  # the cast is inside: a year like -1 or 3000 parses, then overflows nanoseconds
        return pd.to_datetime(values, utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    except (ValueError, TypeError) as error:
        raise BadPayload(f"timestamp column holds a value that is not a date: {error}") from None


def _numbers(values: pd.Series, column: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
    else:
        numbers = pd.to_numeric(values.astype("string").str.strip(), errors="coerce").astype(
            "float64"
        )
        bad = numbers.isna() & values.notna() & (values.astype("string").str.strip() != "")
        if bad.any():
            raise BadPayload(
                f"column {column} holds {values[bad].iloc[0]!r}, which is not a number"
            )
    if np.isinf(numbers).any():
        raise BadPayload(f"column {column} holds an infinite value")
    return numbers


def _first(frame: pd.DataFrame, mask: pd.Series) -> str:
    row = frame[mask].iloc[0]
    return f"{row[COIN_ID]} at {row[TIMESTAMP]}"
