"""Daily protocol activity in the store: validated fundamentals frames in, the same out.

Rows are keyed by (source, protocol, day, metric); a write is one idempotent upsert, so a
collector may write the same days every round (a value DefiLlama revised replaces the old one).
Days are UTC midnights as epoch milliseconds, like the market table's timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from aisector.core.schema import (
    DATA_SOURCE,
    DATE,
    METRIC,
    PROTOCOL,
    VALUE,
    empty_fundamentals_frame,
    validate_fundamentals_frame,
)
from aisector.store.frames import EPOCH, MILLISECOND
from aisector.store.schema import activity
from aisector.store.upsert import UPSERTS

BATCH_ROWS = 5_000  # rows per INSERT statement: bounded parameters


def write(connection: sa.Connection, frame: pd.DataFrame) -> int:
    """Upsert a fundamentals frame inside the caller's write transaction; rows added."""
    rows = validate_fundamentals_frame(frame)
    if rows.empty:
        return 0
    values = pd.DataFrame(
        {
            "source": rows[DATA_SOURCE].astype(str),
            "protocol": rows[PROTOCOL].astype(str),
            "day_ms": (rows[DATE] - EPOCH) // MILLISECOND,
            "metric": rows[METRIC].astype(str),
            "value": rows[VALUE].astype(float),
        }
    ).to_dict("records")
    before = _count(connection)
    insert = UPSERTS[connection.dialect.name]
    for start in range(0, len(values), BATCH_ROWS):
        statement = insert(activity).values(values[start : start + BATCH_ROWS])
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(activity.primary_key.columns),
                set_={"value": statement.excluded.value},
            )
        )
    return _count(connection) - before


def read(
    connection: sa.Connection, protocols: Sequence[str], sources: Sequence[str] | None = None
) -> pd.DataFrame:
    """The stored rows of ``protocols`` (from ``sources`` only, when given), each source's
    validated apart: two sources may both hold a day of one protocol's metric (the store keys
    rows by source), and a reader picks one per series (``prefer_sources``)."""
    table = activity
    query = sa.select(
        table.c.day_ms, table.c.protocol, table.c.metric, table.c.value, table.c.source
    ).where(table.c.protocol.in_(list(protocols)))
    if sources is not None:
        query = query.where(table.c.source.in_(list(sources)))
    found = connection.execute(query).all()
    if not found:
        return empty_fundamentals_frame()
    frame = pd.DataFrame(found, columns=[DATE, PROTOCOL, METRIC, VALUE, DATA_SOURCE])
    frame[DATE] = pd.to_datetime(frame[DATE], unit="ms", utc=True)
    held = [validate_fundamentals_frame(rows) for _, rows in frame.groupby(DATA_SOURCE, sort=True)]
    return pd.concat(held, ignore_index=True)


def sources(connection: sa.Connection) -> tuple[str, ...]:
    """The sources the store holds activity of, by name."""
    query = sa.select(activity.c.source).distinct().order_by(activity.c.source)
    return tuple(connection.execute(query).scalars())


def _count(connection: sa.Connection) -> int:
    return int(connection.execute(sa.select(sa.func.count()).select_from(activity)).scalar_one())
