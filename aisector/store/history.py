"""``HistoryStore``: write tidy frames as idempotent upserts, read windows back as tidy frames.

Rows are keyed by (source, coin_id, timestamp). ``write`` is one transaction: the rows, the
source's label and the fetched range land together or not at all. The same code serves SQLite
and PostgreSQL: SQLAlchemy renders each dialect's SQL (both say ``ON CONFLICT DO UPDATE``), and
only the bulk load differs (see ``aisector.store.upsert``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pandas as pd
import sqlalchemy as sa

from aisector.core.errors import BadPayload, StoreError
from aisector.core.schema import SOURCE, TIMESTAMP, empty_market_frame, validate_market_frame
from aisector.store import activity, alerts, lease, schema
from aisector.store.alerts import Claim, Claimed
from aisector.store.engine import create_engine, read_transaction, sqlite_file, store_errors
from aisector.store.engine import write_transaction as writing
from aisector.store.frames import READ_COLUMNS, epoch_ms, from_epoch_ms, market_frame
from aisector.store.location import database_url, shown, store_url
from aisector.store.upsert import UPSERTS, upsert_rows

Interval = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class Origin:
    """A collected source as the store remembers it: its name, label and whether it is live."""

    name: str
    label: str
    live: bool = False


@dataclass(frozen=True)
class Fetched:
    """The time range [start, end] asked of a source for these coins, rows or not."""

    coins: tuple[str, ...]
    start: pd.Timestamp
    end: pd.Timestamp


class HistoryStore:
    """Market history in one database; open with ``open_store`` or ``open_existing``."""

    def __init__(self, engine: sa.Engine, url: sa.URL) -> None:
        self._engine = engine
        self._url = url

    @property
    def url(self) -> str:
        """Where the store is, as messages may print it."""
        return shown(self._url)

    @property
    def schema_version(self) -> int:
        """The schema version the database holds."""
        with store_errors(self._url), read_transaction(self._engine) as connection:
            return schema.stored_version(connection) or 0

    def write(
        self, frame: pd.DataFrame, origin: Origin | None = None, fetched: Fetched | None = None
    ) -> int:
        """Upsert ``frame`` (and mark ``fetched`` as asked) in one transaction; rows added."""
        origin = origin or _origin_of(frame)
        rows = validate_market_frame(frame, source=origin.name)
        with store_errors(self._url), writing(self._engine) as connection:
            added = upsert_rows(connection, rows)
            if not rows.empty:
                _record_source(connection, origin, epoch_ms(rows[TIMESTAMP].max()))
            if fetched is not None:
                _record_fetched(connection, origin.name, fetched)
        return added

    def read(
        self,
        coins: Sequence[str] | None = None,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        source: str | None = None,
    ) -> pd.DataFrame:
        """Validated tidy rows of one source within [start, end]; by default the freshest source."""
        with store_errors(self._url), read_transaction(self._engine) as connection:
            name = source or _freshest(connection)
            if name is None:
                return empty_market_frame()
            query = _rows_query(name, coins, start, end)
            rows = connection.execute(query).all()
        return market_frame(rows, name)

    def coverage(self, source: str, coins: Sequence[str]) -> dict[str, list[Interval]]:
        """The time ranges already fetched from ``source``, per coin (disjoint, in order)."""
        table = schema.fetched
        query = (
            sa.select(table.c.coin_id, table.c.start_ms, table.c.end_ms)
            .where(table.c.source == source, table.c.coin_id.in_(list(coins)))
            .order_by(table.c.coin_id, table.c.start_ms)
        )
        with store_errors(self._url), read_transaction(self._engine) as connection:
            found = connection.execute(query).all()
        covered: dict[str, list[Interval]] = {coin: [] for coin in coins}
        for coin, start, end in found:
            covered[coin].append((from_epoch_ms(start), from_epoch_ms(end)))
        return covered

    def origins(self) -> tuple[Origin, ...]:
        """Every source the store holds rows of, freshest first."""
        table = schema.sources
        query = sa.select(table.c.name, table.c.label, table.c.live).order_by(*_freshest_first())
        with store_errors(self._url), read_transaction(self._engine) as connection:
            return tuple(Origin(*row) for row in connection.execute(query))

    def coins_with_rows(self, source: str, coins: Sequence[str]) -> tuple[str, ...]:
        """Which of ``coins`` have at least one row from ``source``."""
        table = schema.market
        query = sa.select(table.c.coin_id).distinct().where(table.c.source == source)
        query = query.where(table.c.coin_id.in_(list(coins)))
        with store_errors(self._url), read_transaction(self._engine) as connection:
            found = set(connection.execute(query).scalars())
        return tuple(c for c in coins if c in found)

    def newest(self, source: str, coins: Sequence[str]) -> pd.Timestamp | None:
        """The newest row's time among ``coins`` from ``source`` (None when there is none): what
        changes whenever a collector lands rows, so readers know to read again."""
        table = schema.market
        query = sa.select(sa.func.max(table.c.ts_ms)).where(
            table.c.source == source, table.c.coin_id.in_(list(coins))
        )
        with store_errors(self._url), read_transaction(self._engine) as connection:
            found = connection.execute(query).scalar_one_or_none()
        return None if found is None else from_epoch_ms(found)

    def take_lease(
        self,
        name: str,
        holder: str,
        now: pd.Timestamp,
        ttl: pd.Timedelta,
        replace: str | None = None,
    ) -> lease.Lease:
        """Claim or renew the lease ``name`` for ``holder`` (see ``aisector.store.lease``); the lease as it
        stands afterwards, whoever holds it."""
        with store_errors(self._url), writing(self._engine) as connection:
            return lease.take(connection, name, holder, now, ttl, replace)

    def release_lease(self, name: str, holder: str) -> None:
        """Give up the lease ``name`` if ``holder`` holds it."""
        with store_errors(self._url), writing(self._engine) as connection:
            lease.release(connection, name, holder)

    def claim_alerts(
        self, claims: Sequence[Claim], source: str, status: str, now: pd.Timestamp
    ) -> list[Claimed]:
        """Record the claims allowed to fire (once per rule and subject per cooldown) in one
        write transaction, so no other process can claim the same ones; the winners."""
        with store_errors(self._url), writing(self._engine) as connection:
            return alerts.claim(connection, claims, source, status, now)

    def record_alert(self, alert_id: int, status: str, attempts: int, detail: str | None) -> None:
        """How an alert's delivery went."""
        with store_errors(self._url), writing(self._engine) as connection:
            alerts.record(connection, alert_id, status, attempts, detail)

    def recent_alerts(self, limit: int = 20) -> pd.DataFrame:
        """The newest alerts, newest first (see ``aisector.store.alerts.RECENT_COLUMNS``)."""
        with store_errors(self._url), read_transaction(self._engine) as connection:
            return alerts.recent(connection, limit)

    def write_activity(self, frame: pd.DataFrame) -> int:
        """Upsert daily protocol activity (a fundamentals frame) in one transaction; rows added."""
        with store_errors(self._url), writing(self._engine) as connection:
            return activity.write(connection, frame)

    def read_activity(
        self, protocols: Sequence[str], sources: Sequence[str] | None = None
    ) -> pd.DataFrame:
        """The stored activity of ``protocols`` (of ``sources`` only, when given)."""
        with store_errors(self._url), read_transaction(self._engine) as connection:
            return activity.read(connection, protocols, sources)

    def activity_sources(self) -> tuple[str, ...]:
        """The sources the store holds protocol activity of."""
        with store_errors(self._url), read_transaction(self._engine) as connection:
            return activity.sources(connection)

    def migrate(self) -> int:
        """Create or upgrade the schema in place, under the write lock; returns the version."""
        with store_errors(self._url), writing(self._engine) as connection:
            return schema.upgrade(connection, schema.stored_version(connection))

    def close(self) -> None:
        """Release the connections."""
        self._engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def open_store(url: str | None = None) -> HistoryStore:
    """Open the store at ``url`` (default: ``store_url()``) for writing; create or upgrade it."""
    target = database_url(store_url(url))
    path = sqlite_file(target)
    if path is not None:
        _make_folder(path, target)
    store = HistoryStore(create_engine(target, writer=True), target)
    with _closed_on_error(store):
        store.migrate()
    return store


def open_existing(url: str | None = None) -> HistoryStore | None:
    """The store at ``url`` for reading, or None when nothing was ever stored there."""
    target = database_url(store_url(url))
    path = sqlite_file(target)
    if path is not None and not path.is_file():
        return None
    store = HistoryStore(create_engine(target, writer=False), target)
    with _closed_on_error(store):
        version = store.schema_version
    if version == schema.schema_version():
        return store
    store.close()
    with store_errors(target):
        schema.require_known(version)
    return open_store(url) if version else None  # upgrading is a write: the writer's lock


@contextmanager
def _closed_on_error(store: HistoryStore) -> Iterator[None]:
    """Release the store's connections if opening it fails."""
    try:
        yield
    except BaseException:
        store.close()
        raise


def _make_folder(path: Path, url: sa.URL) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"history store {shown(url)} cannot be created: {error}") from None


def _origin_of(frame: pd.DataFrame) -> Origin:
    """The one source a frame's rows come from, when the caller did not say."""
    names = pd.unique(frame[SOURCE].astype(str)) if SOURCE in frame.columns else []
    if len(names) != 1:
        raise BadPayload(f"a store write needs rows of one source, got {len(names)}")
    return Origin(str(names[0]), str(names[0]))


def _record_source(connection: sa.Connection, origin: Origin, newest_ms: int) -> None:
    """Remember the source's label and push its newest timestamp forward (never back)."""
    table = schema.sources
    statement = UPSERTS[connection.dialect.name](table).values(
        name=origin.name, label=origin.label, live=origin.live, newest_ms=newest_ms
    )
    new = statement.excluded
    newest = sa.case((new.newest_ms > table.c.newest_ms, new.newest_ms), else_=table.c.newest_ms)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.name],
            set_={"label": new.label, "live": new.live, "newest_ms": newest},
        )
    )


def _record_fetched(connection: sa.Connection, source: str, fetched: Fetched) -> None:
    """Merge [start, end] into each coin's fetched ranges, touching ones included."""
    table = schema.fetched
    start, end = epoch_ms(fetched.start), epoch_ms(fetched.end)
    touching = sa.and_(
        table.c.source == source,
        table.c.coin_id.in_(list(fetched.coins)),
        table.c.start_ms <= end + 1,
        table.c.end_ms >= start - 1,
    )
    merged = {coin: (start, end) for coin in fetched.coins}
    query = sa.select(table.c.coin_id, table.c.start_ms, table.c.end_ms).where(touching)
    for coin, low, high in connection.execute(query):
        merged[coin] = (min(merged[coin][0], low), max(merged[coin][1], high))
    connection.execute(table.delete().where(touching))
    values = [
        {"source": source, "coin_id": coin, "start_ms": low, "end_ms": high}
        for coin, (low, high) in merged.items()
    ]
    if values:
        connection.execute(table.insert(), values)


def _freshest_first() -> tuple[sa.ColumnElement, ...]:
    """Order of preference among sources: newest data, then live, then by name."""
    table = schema.sources
    return table.c.newest_ms.desc(), table.c.live.desc(), table.c.name


def _freshest(connection: sa.Connection) -> str | None:
    """The source whose data is newest: what the store serves unless told otherwise."""
    query = sa.select(schema.sources.c.name).order_by(*_freshest_first()).limit(1)
    return connection.execute(query).scalar_one_or_none()


def _rows_query(
    source: str,
    coins: Sequence[str] | None,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> sa.Select:
    table = schema.market
    query = sa.select(*(table.c[c] for c in READ_COLUMNS)).where(table.c.source == source)
    if coins is not None:
        query = query.where(table.c.coin_id.in_(list(coins)))
    if start is not None:
        query = query.where(table.c.ts_ms >= epoch_ms(start))
    if end is not None:
        query = query.where(table.c.ts_ms <= epoch_ms(end))
    return query
