"""Connections to the store's database, its two kinds of transaction, and its error messages.

Writers are serialised; readers never wait for them:

- SQLite runs in WAL mode, so readers keep reading the last committed state while a writer
  writes. A write transaction starts with ``BEGIN IMMEDIATE``, which takes the database's one
  write lock at once (waiting up to ``BUSY_SECONDS``), so two writers queue instead of failing.
  ``synchronous=FULL``: a commit is on disk before the collector moves on.
- PostgreSQL: a write transaction first takes a transaction-level advisory lock; readers see
  committed rows through MVCC.

Either lock is released by the database when the transaction ends or its process dies, so a
killed collector never leaves a stale lock behind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from aisector.core.errors import StoreError
from aisector.store.location import shown

BUSY_SECONDS = 60  # how long a writer waits for another writer's transaction to finish
CONNECT_SECONDS = 5  # how long to wait for a PostgreSQL server before giving up
WRITE_LOCK_KEY = 0x6169_7365_6374  # "aisect": the advisory lock every writer takes first
WRITING = "aisector_writing"  # execution option marking a connection that will write


def create_engine(url: sa.URL, writer: bool) -> sa.Engine:
    """An engine for ``url``; a writer may create the SQLite file, a reader never does."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, writer)
    return sa.create_engine(url, connect_args={"connect_timeout": CONNECT_SECONDS})


def sqlite_file(url: sa.URL) -> Path | None:
    """The SQLite file a URL names, or None for another database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _sqlite_engine(url: sa.URL, writer: bool) -> sa.Engine:
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_SECONDS})
    event.listen(engine, "connect", _sqlite_connected if writer else _sqlite_reader_connected)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_reader_connected(dbapi: sqlite3.Connection, _record: object) -> None:
    """Leave transactions to ``_sqlite_begin``; a reader changes nothing in the file."""
    dbapi.isolation_level = None
    dbapi.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")


def _sqlite_connected(dbapi: sqlite3.Connection, record: object) -> None:
    """Writers switch the file to WAL (persistent) and make each commit durable."""
    _sqlite_reader_connected(dbapi, record)
    dbapi.execute("PRAGMA journal_mode = WAL")
    dbapi.execute("PRAGMA synchronous = FULL")


def _sqlite_begin(connection: sa.Connection) -> None:
    """Writers take the write lock at BEGIN, so a read-then-write never deadlocks."""
    writing = connection.get_execution_options().get(WRITING, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One all-or-nothing transaction holding the store's write lock."""
    with engine.connect().execution_options(**{WRITING: True}) as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITE_LOCK_KEY)))
        yield connection


@contextmanager
def read_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One read-only transaction: a consistent view of committed rows, never blocking writers."""
    with engine.connect() as connection, connection.begin():
        yield connection


@contextmanager
def store_errors(url: sa.URL) -> Iterator[None]:
    """Turn any database failure into one StoreError line naming the store (never its password)."""
    try:
        yield
    except StoreError as error:
        raise StoreError(f"history store {shown(url)} {error}") from None
    except sa.exc.DBAPIError as error:
        raise StoreError(f"history store {shown(url)} {_reason(error)}") from None
    except sa.exc.SQLAlchemyError as error:
        raise StoreError(f"history store {shown(url)} failed: {error}") from None


def _reason(error: sa.exc.DBAPIError) -> str:
    """What went wrong in the user's words, from the driver's error."""
    detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    if "not a database" in detail or "malformed" in detail:
        return f"is not a readable aisector store ({detail}); it was left untouched"
    if "locked" in detail:
        return f"stayed locked by another writer for {BUSY_SECONDS} s ({detail}); try again"
    if isinstance(error, sa.exc.OperationalError):
        return f"cannot be opened: {detail}"
    return f"failed: {detail}"
