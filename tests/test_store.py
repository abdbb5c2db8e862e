"""The history store on real databases: a SQLite file in a temp folder, and a PostgreSQL server."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from aisector.core.errors import BadPayload, ConfigError, StoreError
from aisector.core.schema import validate_market_frame
from aisector.store import Fetched, Origin, open_existing, open_store, schema
from aisector.store.location import database_url, default_store_path, store_url
from connectors.offline import COINS, OfflineMarket
from tests.conftest import hours, tidy
from tests.store_workers import story

OFFLINE = Origin("offline", "offline – simulated market")


@pytest.fixture(scope="module")
def market() -> pd.DataFrame:
    """A quarter of the offline story: eight coins, two launched late."""
    return story()


def raw_count(url: str, sql: str) -> int:
    engine = sa.create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(sql).scalar_one()
    finally:
        engine.dispose()


def test_the_whole_story_reads_back_identical(url):
    whole = OfflineMarket().market_history([coin.coin_id for coin in COINS])
    with open_store(url) as store:
        assert store.write(whole, OFFLINE) == len(whole) == 36_387
        back = store.read()
    pd.testing.assert_frame_equal(back, whole)


def test_writes_are_idempotent_upserts(url, market):
    revised = market.copy()
    revised.loc[revised["coin_id"] == "pippin", "price"] *= 2
    with open_store(url) as store:
        store.write(market, OFFLINE)
        assert store.write(market, OFFLINE) == 0
        assert store.write(revised, OFFLINE) == 0
        back = store.read(["pippin"])
    assert raw_count(url, "SELECT count(*) FROM aisector_market") == len(market)
    pippin = revised[revised["coin_id"] == "pippin"].reset_index(drop=True)
    assert back["price"].tolist() == pippin["price"].tolist()


def test_reading_a_window_returns_only_its_coins_and_hours(url, market):
    start, end = pd.Timestamp("2025-01-20T00:00Z"), pd.Timestamp("2025-01-21T00:00Z")
    with open_store(url) as store:
        store.write(market, OFFLINE)
        window = store.read(["pippin", "bitcoin", "ghost"], start, end)
    assert set(window["coin_id"]) == {"pippin", "bitcoin"}
    assert window["timestamp"].min() == start
    assert window["timestamp"].max() == end
    assert len(window) == 2 * 25
    assert window.equals(validate_market_frame(window))


def test_missing_caps_and_volumes_stay_missing(url):
    frame = tidy([(0, "a", 1.5, np.nan, 10.0), (1, "a", 1.6, 100.0, np.nan)])
    with open_store(url) as store:
        store.write(frame)
        back = store.read()
    assert back["market_cap"].isna().tolist() == [True, False]
    assert back["volume"].isna().tolist() == [False, True]


def test_the_store_serves_its_freshest_source_and_never_a_mix(url, market):
    live = tidy([(0, "bitcoin", 101_000.0, 2e12, 4e10)])  # 2025-01-21, after nothing else
    later = live.assign(timestamp=pd.Timestamp("2026-01-01T00:00Z"))
    with open_store(url) as store:
        store.write(market, OFFLINE)
        store.write(later, Origin("coingecko", "CoinGecko", live=True))
        served = store.read()
        offline = store.read(source="offline")
        assert [o.name for o in store.origins()] == ["coingecko", "offline"]
    assert set(served["source"]) == {"coingecko"}
    assert len(served) == 1
    assert len(offline) == len(market)


def test_fetched_ranges_merge_when_they_touch_and_stay_apart_otherwise(url):
    nothing = tidy([])
    with open_store(url) as store:
        for low, high in ((0, 10), (20, 30), (10, 15), (40, 50)):
            store.write(nothing, OFFLINE, Fetched(("a", "b"), hours(low), hours(high)))
        store.write(nothing, OFFLINE, Fetched(("b",), hours(15), hours(20)))
        covered = store.coverage("offline", ["a", "b", "c"])
    assert covered["a"] == [(hours(0), hours(15)), (hours(20), hours(30)), (hours(40), hours(50))]
    assert covered["b"] == [(hours(0), hours(30)), (hours(40), hours(50))]
    assert covered["c"] == []


def test_a_write_that_fails_half_way_leaves_nothing_of_itself(url, market, monkeypatch):
    def crash(*_arguments):
        raise RuntimeError("killed after the rows, before the fetched mark")

    with open_store(url) as store:
        store.write(market.iloc[:100], OFFLINE)
        monkeypatch.setattr("aisector.store.history._record_fetched", crash)
        whole = Fetched(("bitcoin",), market["timestamp"].min(), market["timestamp"].max())
        with pytest.raises(RuntimeError):
            store.write(market, OFFLINE, whole)
        assert len(store.read()) == 100
        assert store.coverage("offline", ["bitcoin"]) == {"bitcoin": []}


def test_the_schema_is_created_on_first_use_with_its_version(url):
    assert open_existing(url) is None
    with open_store(url) as store:
        assert store.schema_version == schema.schema_version()
    with open_existing(url) as reopened:
        assert reopened.schema_version == schema.schema_version()
        assert reopened.read().empty


def test_an_old_schema_is_upgraded_in_place_keeping_every_row(url, market, monkeypatch):
    with open_store(url) as store:
        store.write(market, OFFLINE)
    added = sa.Table("aisector_upgrade_probe", sa.MetaData(), sa.Column("x", sa.Integer))
    before = len(schema.MIGRATIONS)
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, added.create])
    with open_existing(url) as upgraded:
        assert upgraded.schema_version == len(schema.MIGRATIONS) == before + 1
        assert len(upgraded.read()) == len(market)
    assert raw_count(url, "SELECT count(*) FROM aisector_upgrade_probe") == 0


def test_a_store_from_a_newer_aisector_is_refused_and_left_alone(url, market):
    with open_store(url) as store:
        store.write(market.iloc[:10], OFFLINE)
        with store._engine.begin() as connection:
            connection.execute(schema.schema_info.update().values(version=99))
    for opener in (open_store, open_existing):
        with pytest.raises(StoreError, match="newer aisector \\(schema 99") as error:
            opener(url)
        assert "\n" not in str(error.value)
    assert raw_count(url, "SELECT count(*) FROM aisector_market") == 10


def test_aisector_tables_without_a_version_are_refused(url):
    engine = sa.create_engine(database_url(url))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE aisector_market (x INTEGER)")
    engine.dispose()
    with pytest.raises(StoreError, match="no schema version"):
        open_store(url)


def test_a_corrupt_sqlite_file_is_a_one_line_error_and_stays_untouched(tmp_path):
    path = tmp_path / "history.sqlite"
    garbage = b"this is not a database, it is someone's notes\n" * 200
    path.write_bytes(garbage)
    for opener in (open_store, open_existing):
        with pytest.raises(StoreError, match="is not a readable aisector store") as error:
            opener(str(path))
        assert str(path) in str(error.value)
        assert "\n" not in str(error.value)
    assert path.read_bytes() == garbage


def test_a_reader_never_creates_a_store(tmp_path):
    path = tmp_path / "nested" / "history.sqlite"
    assert open_existing(f"sqlite:///{path}") is None
    assert not path.parent.exists()


def test_sqlite_stores_run_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    open_store(url).close()
    assert raw_count(url, "PRAGMA journal_mode") == "wal"


def test_an_unreachable_server_is_one_line_without_the_password():
    with pytest.raises(StoreError) as error:
        open_store("postgresql://analyst:s3cret-pw@127.0.0.1:9/history")
    message = str(error.value)
    assert "s3cret-pw" not in message
    assert message.startswith("history store postgresql+psycopg://analyst:***@127.0.0.1:9/history")
    assert "\n" not in message


def test_a_write_needs_one_source_or_an_origin(tmp_path):
    frame = tidy([(0, "a", 1.0, 1.0, 1.0), (0, "b", 1.0, 1.0, 1.0)])
    frame["source"] = pd.Categorical(["x", "y"])
    with open_store(str(tmp_path / "h.sqlite")) as store:
        with pytest.raises(BadPayload, match="one source"):
            store.write(frame)
        assert store.write(frame, Origin("csv", "CSV file")) == 2
        assert set(store.read()["source"]) == {"csv"}


def test_store_urls_resolve_from_option_then_environment_then_data_folder(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path)}
    assert default_store_path(env) == tmp_path / "aisector" / "history.sqlite"
    assert store_url(None, env) == f"sqlite:///{tmp_path}/aisector/history.sqlite"
    env["AISECTOR_STORE"] = "postgresql://team@db/history"
    assert store_url(None, env) == "postgresql://team@db/history"
    assert store_url("/tmp/mine.sqlite", env) == "/tmp/mine.sqlite"


@pytest.mark.parametrize(
    ("text", "driver", "database"),
    [
        ("/data/h.sqlite", "sqlite", "/data/h.sqlite"),
        ("sqlite:////data/h.sqlite", "sqlite", "/data/h.sqlite"),
        ("postgresql://u@db:5432/history", "postgresql+psycopg", "history"),
        ("postgres://u@db/history", "postgresql+psycopg", "history"),
    ],
)
def test_store_urls_pick_the_shipped_driver(text, driver, database):
    url = database_url(text)
    assert (url.drivername, url.database) == (driver, database)


def test_an_unsupported_store_url_is_a_config_error():
    with pytest.raises(ConfigError, match="scheme 'mysql' is not supported"):
        database_url("mysql://u@db/history")
