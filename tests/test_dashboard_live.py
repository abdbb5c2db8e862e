"""The dashboard on live data with an empty store, against a local CoinGecko that enforces a
per-minute budget: its own collector fills the store and the charts fill in with hourly points."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from aisector.apps.keeper import read_history_status
from aisector.core.sectors import load_sectors
from aisector.store import open_existing
from aisector.store.lease import COLLECTOR
from dashboard import background, cache
from dashboard.launch import launch_options
from tests.fault_server import FaultServer, Reply
from tests.test_dashboard_pages import figure_of, markdown_text, plotly_charts, start
from tests.test_live_cli import ROWS

BUDGET = 60  # calls a minute the server allows; the collector must never earn a 429
FILLED_WITHIN = 90.0  # seconds
HOUR = pd.Timedelta(hours=1)


@pytest.fixture
def live(monkeypatch, tmp_path: Path) -> Iterator[tuple[FaultServer, str]]:
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    with FaultServer(list(ROWS.values()), per_minute=BUDGET) as upstream:
        monkeypatch.setenv("COINGECKO_API_URL", upstream.url)
        monkeypatch.setenv("COINGECKO_CALLS_PER_MINUTE", str(BUDGET))
        monkeypatch.setenv("AISECTOR_STORE", store)
        st.cache_data.clear()
        st.cache_resource.clear()
        yield upstream, store
        for collector in running_collectors(store):
            collector.close()
        st.cache_resource.clear()


def running_collectors(store: str) -> list[background.BackgroundCollector]:
    every = cache.MARKET_TTL.total_seconds()
    found = [background.background_collector(store, s, every) for s in ("coingecko", "auto")]
    return [c for c in found if c.thread is not None]


def index_stamps(at: AppTest) -> list[pd.DatetimeIndex]:
    """Each sector line's timestamps on the Rotation page's index chart."""
    figures = [figure_of(chart) for chart in plotly_charts(at)]
    (figure,) = [f for f in figures if f.layout.title.text.startswith("Sector index")]
    return [pd.DatetimeIndex(pd.to_datetime(trace.x, utc=True)) for trace in figure.data]


def wait_until_filled(store: str) -> None:
    book = load_sectors()
    deadline = time.monotonic() + FILLED_WITHIN
    while time.monotonic() < deadline:
        status = read_history_status(store, "coingecko", book, cache.BACKFILL, now())
        if status.complete:
            return
        time.sleep(0.5)
    pytest.fail(f"the store was not filled within {FILLED_WITHIN:.0f} s: {status.progress()}")


def now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def test_an_empty_store_fills_by_itself_and_the_charts_get_hourly_points(live, monkeypatch):
    upstream, store = live
    at = start(monkeypatch, "--source", "coingecko")
    assert not at.exception
    total = len(load_sectors().coins())
    assert f"history 0 of {total} coins" in markdown_text(at)
    assert all(len(s) <= 3 for s in index_stamps(at))  # the latest view alone
    wait_until_filled(store)
    cache.history_status.clear()  # what the next check (every 10 s) would see
    at.run()
    assert not at.exception
    badge = markdown_text(at)
    assert "CoinGecko (live) · history since" in badge and "coins" not in badge.split("·")[-1]
    for window, length in (("24h", pd.Timedelta(hours=24)), ("7d", pd.Timedelta(days=7))):
        at.segmented_control(key="window").set_value(window).run()
        for stamps in index_stamps(at):
            # across the window: from its first hour (its start's values once the index starts
            # there, issue 10 section 1) to the live quote, an hourly point every hour
            assert stamps[-1] - stamps[0] >= length - HOUR
            assert stamps.to_series().diff().max() <= HOUR
            assert len(stamps) >= length / HOUR
    charts = upstream.count("chart")
    assert upstream.rejected == 0  # never over the budget
    assert charts == len(ROWS)  # one 90-day request per coin id it lists, none twice
    assert len(upstream.log) <= charts + 6  # + pings, quotes, the coin list


def test_a_read_only_dashboard_never_collects(live, monkeypatch):
    upstream, store = live
    at = start(monkeypatch, "--source", "coingecko", "--no-collect")
    assert not at.exception
    time.sleep(2)
    assert upstream.count("chart") == 0
    assert not running_collectors(store)
    assert "history 0 of" in markdown_text(at)


def test_a_second_dashboard_only_reads_while_the_first_holds_the_lease(live, monkeypatch):
    upstream, store = live
    with open_existing(store) or _created(store) as held:
        held.take_lease(COLLECTOR, "dashboard elsewhere:1", now(), pd.Timedelta(minutes=15))
    at = start(monkeypatch, "--source", "coingecko")
    assert not at.exception
    deadline = time.monotonic() + 10
    collectors = running_collectors(store)
    while time.monotonic() < deadline and not any(c.lines for c in collectors):
        time.sleep(0.2)
    assert upstream.count("chart") == 0
    assert any("only reading" in line for c in collectors for line in c.lines)


def _created(store: str):
    from aisector.store import open_store

    return open_store(store)


def test_a_dashboard_stopped_mid_backfill_resumes_where_it_stopped(live, monkeypatch):
    upstream, store = live
    upstream.script("chart", *[Reply(delay=0.25)] * len(ROWS))  # a backfill slow enough to stop
    book = load_sectors()
    start(monkeypatch, "--source", "coingecko")
    deadline = time.monotonic() + FILLED_WITHIN
    while read_history_status(store, "coingecko", book, cache.BACKFILL, now()).covered < 5:
        assert time.monotonic() < deadline, "the backfill did not start"
        time.sleep(0.1)
    for collector in running_collectors(store):
        collector.close()  # what a server stop does (atexit); a kill leaves it to the lease
    stopped = read_history_status(store, "coingecko", book, cache.BACKFILL, now())
    assert not stopped.complete
    st.cache_resource.clear()  # a new server process
    start(monkeypatch, "--source", "coingecko")
    wait_until_filled(store)
    asked = Counter(r.path for r in upstream.log if r.route == "chart")
    assert len(asked) == len(ROWS) and set(asked.values()) == {1}  # no coin asked twice


@pytest.mark.parametrize("flags", [[], ["--no-collect"]])
def test_aisector_dashboard_passes_no_collect_to_the_app(flags, dashboard_start):
    command, _env = dashboard_start("--source", "offline", *flags)
    script_args = command[command.index("--") + 1 :]
    assert ("--no-collect" in script_args) == bool(flags)
    assert launch_options(script_args).collect is not bool(flags)


def test_aisector_dashboard_passes_the_store_as_an_argument(dashboard_start, monkeypatch, tmp_path):
    monkeypatch.setenv("AISECTOR_STORE", "sqlite:////elsewhere/history.sqlite")
    before = dict(os.environ)
    store = f"sqlite:///{tmp_path / 'mine.sqlite'}"
    command, env = dashboard_start("--source", "offline", "--store", store)
    assert dict(os.environ) == before
    assert env == before  # the server gets the store on its command line, not in its environment
    assert launch_options(command[command.index("--") + 1 :]).store == store
    assert launch_options([]).store == "sqlite:////elsewhere/history.sqlite"  # without: the env


def test_a_store_password_reaches_the_server_in_its_environment_not_its_command_line(dashboard_start, monkeypatch):
    monkeypatch.delenv("AISECTOR_STORE", raising=False)
    before = dict(os.environ)
    store = "postgresql://team:hunter2hunter2@db/history"
    command, env = dashboard_start("--source", "offline", "--store", store)
    assert dict(os.environ) == before
    assert not any("hunter2" in part for part in command)  # `ps` shows it to every user
    assert env == {**before, "AISECTOR_STORE": store}
    monkeypatch.setattr("os.environ", env)  # the server process's environment
    assert launch_options(command[command.index("--") + 1 :]).store == store


def test_a_store_the_collector_cannot_write_leaves_the_page_working(live, monkeypatch, tmp_path):
    upstream, _store = live
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    store = f"sqlite:///{blocker / 'history.sqlite'}"
    monkeypatch.setenv("AISECTOR_STORE", store)
    at = start(monkeypatch, "--source", "coingecko")
    assert not at.exception and not at.error
    assert "history 0 of" in markdown_text(at)
    [collector] = running_collectors(store)
    collector.thread.join(10)
    assert any("collector stopped: history store" in line for line in collector.lines)
    at.run()  # a rerun within the round does not start it again
    assert collector.thread is not None and not collector.thread.is_alive()
    assert upstream.count("chart") == 0
