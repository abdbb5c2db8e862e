"""Between the tidy market frame and the store's rows: epoch milliseconds, NULL for missing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from aisector.core.schema import (
    COIN_ID,
    MARKET_CAP,
    MARKET_COLUMNS,
    PRICE,
    SOURCE,
    SYMBOL,
    TIMESTAMP,
    VOLUME,
    validate_market_frame,
)

READ_COLUMNS = ("coin_id", "ts_ms", "symbol", "price", "market_cap", "volume")
EPOCH = pd.Timestamp(0, tz="UTC")
MILLISECOND = pd.Timedelta(milliseconds=1)


def epoch_ms(stamp: pd.Timestamp) -> int:
    """A UTC timestamp as integer epoch milliseconds."""
    return (pd.Timestamp(stamp) - EPOCH) // MILLISECOND


def from_epoch_ms(value: int) -> pd.Timestamp:
    """Integer epoch milliseconds as a UTC timestamp."""
    return pd.Timestamp(value, unit="ms", tz="UTC")


def row_batches(
    frame: pd.DataFrame, order: Sequence[str], size: int
) -> Iterator[list[tuple[object, ...]]]:
    """A validated frame as lists of at most ``size`` plain-Python tuples in ``order``."""
    columns = {
        "source": frame[SOURCE].astype(str).to_numpy(dtype=object),
        "coin_id": frame[COIN_ID].astype(str).to_numpy(dtype=object),
        "ts_ms": frame[TIMESTAMP].dt.as_unit("ms").astype("int64").to_numpy(dtype=object),
        "symbol": frame[SYMBOL].astype(str).to_numpy(dtype=object),
        "price": frame[PRICE].to_numpy(dtype=object),
        "market_cap": _nullable(frame[MARKET_CAP]),
        "volume": _nullable(frame[VOLUME]),
    }
    ordered = [columns[key] for key in order]
    for start in range(0, len(frame), size):
        yield list(zip(*(column[start : start + size] for column in ordered), strict=True))


def _column(values: Sequence[object], name: str) -> np.ndarray:
    """One stored column as a numpy array of its frame type (NULL floats become NaN)."""
    if name in ("coin_id", "symbol"):
        return np.array(values, dtype=object)
    return np.array(values, dtype="int64" if name == "ts_ms" else "float64")


def _nullable(values: pd.Series) -> np.ndarray:
    """Floats with NaN as None, so both databases store NULL (PostgreSQL would keep NaN)."""
    out = values.to_numpy(dtype=object)
    out[values.isna().to_numpy()] = None
    return out


def market_frame(rows: Sequence[Sequence[object]], source: str) -> pd.DataFrame:
    """Rows in ``READ_COLUMNS`` order as the validated tidy frame."""
    values = dict(zip(READ_COLUMNS, zip(*rows, strict=True), strict=True)) if rows else {}
    raw = pd.DataFrame({c: _column(values.get(c, ()), c) for c in READ_COLUMNS})
    raw[TIMESTAMP] = pd.to_datetime(raw.pop("ts_ms"), unit="ms", utc=True)
    raw[SOURCE] = source
    return validate_market_frame(raw[list(MARKET_COLUMNS)])
