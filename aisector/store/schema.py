"""The store's tables, its schema version, and the steps that create or upgrade it in place.

Timestamps are integer UTC epoch milliseconds (BIGINT): the same type and the same exact key
equality in SQLite (which has no timestamp type) and PostgreSQL, no time-zone text to parse, and
a vectorised conversion from and to pandas' datetime64. Sources give milliseconds at best.
Every table name starts with ``aisector_`` so a team can keep the store in a shared database.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from aisector.core.errors import StoreError

metadata = sa.MetaData()

# Key text compares byte by byte in PostgreSQL too (SQLite always does): ids need no locale,
# and PostgreSQL's "C" collation makes the key index several times cheaper to maintain.
KEY_TEXT = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

schema_info = sa.Table(
    "aisector_schema",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

# One row per collected source: how to label it, and its newest observation (picks what to serve).
sources = sa.Table(
    "aisector_sources",
    metadata,
    sa.Column("name", KEY_TEXT, primary_key=True),
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("live", sa.Boolean, nullable=False),
    sa.Column("newest_ms", sa.BigInteger, nullable=False),
)


def market_columns(keyed: bool) -> list[sa.Column]:
    """The market table's columns (new objects each call), with or without the primary key."""
    return [
        sa.Column("source", KEY_TEXT, primary_key=keyed),
        sa.Column("coin_id", KEY_TEXT, primary_key=keyed),
        sa.Column("ts_ms", sa.BigInteger, primary_key=keyed),
        sa.Column("symbol", sa.Text, nullable=False),
        sa.Column("price", sa.Double, nullable=False),
        sa.Column("market_cap", sa.Double),
        sa.Column("volume", sa.Double),
    ]


# The tidy market rows, keyed by (source, coin, timestamp); reads filter on exactly that prefix.
market = sa.Table("aisector_market", metadata, *market_columns(keyed=True), sqlite_with_rowid=False)

# Where one write's rows land first (bulk-loaded), to be upserted into ``market`` in one statement.
staging = sa.Table(
    "aisector_staging", sa.MetaData(), *market_columns(keyed=False), prefixes=["TEMPORARY"]
)

# Time ranges already asked of a source, per coin, merged into disjoint intervals. A range with
# no rows (a coin not launched yet) is covered too, so a backfill never asks for it twice.
fetched = sa.Table(
    "aisector_fetched",
    metadata,
    sa.Column("source", KEY_TEXT, primary_key=True),
    sa.Column("coin_id", KEY_TEXT, primary_key=True),
    sa.Column("start_ms", sa.BigInteger, primary_key=True),
    sa.Column("end_ms", sa.BigInteger, nullable=False),
)


# Who collects for this store: one row per job (``collector``), its holder and until when (epoch
# ms). Taken and renewed inside a write transaction, so two collectors never both hold it.
leases = sa.Table(
    "aisector_leases",
    metadata,
    sa.Column("name", KEY_TEXT, primary_key=True),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("expires_ms", sa.BigInteger, nullable=False),
)


def _create_v1(connection: sa.Connection) -> None:
    """Version 1: rows, sources and fetched ranges."""
    metadata.create_all(connection, tables=[sources, market, fetched])


def _add_leases_v2(connection: sa.Connection) -> None:
    """Version 2: the collector lease (one collector per store, others only read)."""
    metadata.create_all(connection, tables=[leases])


# One row per alert a rule fired: the (rule, subject) and the market time it fired at (what the
# cooldown counts from), the message, and how its delivery went. Never a notification URL.
alerts = sa.Table(
    "aisector_alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("rule", KEY_TEXT, nullable=False),
    sa.Column("subject", KEY_TEXT, nullable=False),
    sa.Column("as_of_ms", sa.BigInteger, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Index("aisector_alerts_by_rule", "rule", "subject", "as_of_ms"),
)

# Per rule that compares with the last check (leader_change), the subject seen at that check.
alert_marks = sa.Table(
    "aisector_alert_marks",
    metadata,
    sa.Column("rule", KEY_TEXT, primary_key=True),
    sa.Column("subject", KEY_TEXT, nullable=False),
    sa.Column("as_of_ms", sa.BigInteger, nullable=False),
)


def _add_alerts_v3(connection: sa.Connection) -> None:
    """Version 3: alerts sent (once per rule and subject per cooldown) and each rule's last-check mark."""
    metadata.create_all(connection, tables=[alerts, alert_marks])


# Daily protocol activity (fundamentals), keyed by (source, protocol, day, metric): each source's
# values side by side, so a read can prefer one source per protocol and metric.
activity = sa.Table(
    "aisector_activity",
    metadata,
    sa.Column("source", KEY_TEXT, primary_key=True),
    sa.Column("protocol", KEY_TEXT, primary_key=True),
    sa.Column("day_ms", sa.BigInteger, primary_key=True),
    sa.Column("metric", KEY_TEXT, primary_key=True),
    sa.Column("value", sa.Double, nullable=False),
    sqlite_with_rowid=False,
)


def _add_activity_v4(connection: sa.Connection) -> None:
    """Version 4: daily protocol activity (fees, revenue, volume) per source."""
    metadata.create_all(connection, tables=[activity])


# MIGRATIONS[n] takes a store from version n to n + 1; a new store runs them all from 0.
# A step's number is its position: new steps go at the end, each creating only its own tables.
MIGRATIONS: list[Callable[[sa.Connection], None]] = [
    _create_v1,
    _add_leases_v2,
    _add_alerts_v3,
    _add_activity_v4,
]


def schema_version() -> int:
    """The version this code writes and reads."""
    return len(MIGRATIONS)


def stored_version(connection: sa.Connection) -> int | None:
    """The version recorded in the database, or None when it holds no aisector store."""
    names = set(sa.inspect(connection).get_table_names())
    if schema_info.name not in names:
        ours = sorted(n for n in names if n.startswith("aisector_"))
        if ours:
            raise StoreError(f"has aisector tables ({', '.join(ours)}) but no schema version")
        return None
    version = connection.execute(sa.select(schema_info.c.version)).scalar_one_or_none()
    if version is None:
        raise StoreError("has an empty aisector_schema table")
    return version


def require_known(version: int | None) -> None:
    """Refuse a store written by a newer aisector: its schema may mean something else."""
    if version is not None and version > schema_version():
        raise StoreError(
            f"was written by a newer aisector (schema {version}, this one knows "
            f"{schema_version()}); upgrade aisector"
        )


def upgrade(connection: sa.Connection, version: int | None) -> int:
    """Create or upgrade the schema inside the caller's write transaction; returns the version."""
    require_known(version)
    current = schema_version()
    if version is None:
        schema_info.create(connection)
        connection.execute(schema_info.insert().values(version=0))
    for step in MIGRATIONS[version or 0 :]:
        step(connection)
    connection.execute(schema_info.update().values(version=current))
    return current
