"""One write's rows into the market table: bulk-load a staging table, then upsert from it.

The SQL is the same for both databases (SQLAlchemy renders each dialect's ``ON CONFLICT``); only
the bulk load is the driver's own: ``executemany`` for sqlite3, ``COPY`` for psycopg (per-row
statements would cost PostgreSQL a network round trip each).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from aisector.store.frames import row_batches
from aisector.store.schema import market, staging

BATCH_ROWS = 20_000  # rows per executemany or COPY batch: bounded memory
UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
VALUE_COLUMNS = ("symbol", "price", "market_cap", "volume")
KEY_COLUMNS = tuple(c.name for c in market.primary_key)
COPY_TYPES = {
    "source": "text",
    "coin_id": "text",
    "ts_ms": "int8",
    "symbol": "text",
    "price": "float8",
    "market_cap": "float8",
    "volume": "float8",
}


def upsert_rows(connection: sa.Connection, rows: pd.DataFrame) -> int:
    """Insert new rows and update changed ones, inside the caller's transaction; rows added."""
    if rows.empty:
        return 0
    staging.create(connection)
    LOADERS[connection.dialect.name](connection, rows)
    added = connection.execute(_count_new()).scalar_one()
    connection.execute(_upsert_from_staging(connection.dialect.name))
    staging.drop(connection)
    return int(added)


def _insert_many(connection: sa.Connection, rows: pd.DataFrame) -> None:
    """sqlite3's executemany of one prepared INSERT: fast in-process, no round trips."""
    compiled = staging.insert().compile(dialect=connection.dialect)
    for batch in row_batches(rows, compiled.positiontup, BATCH_ROWS):
        connection.exec_driver_sql(str(compiled), batch)


def _copy(connection: sa.Connection, rows: pd.DataFrame) -> None:
    """PostgreSQL's binary COPY: one stream instead of a statement per row, no number text."""
    columns = [c.name for c in staging.columns]
    command = f"COPY {staging.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
    with connection.connection.cursor() as cursor:
        with cursor.copy(command) as copy:
            copy.set_types([COPY_TYPES[c] for c in columns])
            for batch in row_batches(rows, columns, BATCH_ROWS):
                for row in batch:
                    copy.write_row(row)
        cursor.execute(f"ANALYZE {staging.name}")  # row counts for the planner's join choice


LOADERS: dict[str, Callable[[sa.Connection, pd.DataFrame], None]] = {
    "sqlite": _insert_many,
    "postgresql": _copy,
}


def _same_key() -> sa.ColumnElement[bool]:
    return sa.and_(*(market.c[k] == staging.c[k] for k in KEY_COLUMNS))


def _count_new() -> sa.Select:
    """Staged rows whose key is not stored yet: exact, since the write lock is held."""
    stored = sa.exists().where(_same_key())
    return sa.select(sa.func.count()).select_from(staging).where(~stored)


def _upsert_from_staging(dialect: str) -> sa.Insert:
    """``INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE`` where a value differs: idempotent."""
    columns = [c.name for c in staging.columns]
    # SQLite needs a WHERE in an upsert's SELECT to parse its ON CONFLICT clause.
    staged = sa.select(*staging.columns).where(sa.true())
    statement = UPSERTS[dialect](market).from_select(columns, staged)
    new = statement.excluded
    changed = sa.or_(*(market.c[c].is_distinct_from(new[c]) for c in VALUE_COLUMNS))
    return statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS), set_={c: new[c] for c in VALUE_COLUMNS}, where=changed
    )
