"""Time from the first page view to complete 7d hourly charts, on a live dashboard with an empty
store, and the upstream requests it spent, for a Demo key (30 calls/min) and keyless (10/min).

Run: ``.venv/bin/python -m benchmarks.time_to_full_charts [--plans demo keyless]``. Upstream is
``tests.fault_server.FaultServer`` on 127.0.0.1, serving every coin of the shipped sectors file
(31 coins, plus AI16Z's later id) with hourly series whose newest point is now, and ENFORCING the
plan's budget: a request beyond it in any 60 s gets a 429 with ``Retry-After``. The dashboard is
the real app script run through ``streamlit.testing.v1.AppTest`` (the first page view: it loads
the live view and starts the dashboard's own collector thread), with the plans' real budgets
(no ``COINGECKO_CALLS_PER_MINUTE``). Measured:

- **store**: seconds until every coin the server lists holds hourly rows across the last 7 days
  (no gap over an hour from the window start to now), polled every 0.5 s;
- **charts**: that, confirmed by a rerun of the page showing the 7d index chart with a point
  every hour; a viewer sees it at the next auto-refresh check (every ``refresh.CHECK_EVERY``);
- requests the server answered, and 429s it sent (0: the budget was kept).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.io as pio
import streamlit as st
from streamlit.testing.v1 import AppTest

from aisector.core.sectors import load_sectors
from aisector.store import open_existing
from dashboard import background, cache, refresh
from tests.fault_server import FaultServer
from tests.test_live_cli import ROWS

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PLANS = {"demo": ("COINGECKO_DEMO_API_KEY", 30), "keyless": (None, 10)}
KEY = "CG-benchmarkDemoKey"
WEEK = pd.Timedelta(days=7)
HOUR = pd.Timedelta(hours=1)
GIVE_UP = 15 * 60.0  # seconds


@dataclass(frozen=True)
class Result:
    plan: str
    per_minute: int
    store_seconds: float
    chart_seconds: float
    requests: int
    charts: int
    rejected: int


def week_is_hourly(store_url: str, coins: list[str], now: pd.Timestamp) -> bool:
    """Whether every coin has a stored row at least every hour from now - 7d to now - 1h."""
    store = open_existing(store_url)
    if store is None:
        return False
    with store:
        rows = store.read(coins, now - WEEK - HOUR, now, source="coingecko")
    for coin in coins:
        stamps = rows.loc[rows["coin_id"] == coin, "timestamp"]
        if stamps.empty or stamps.min() > now - WEEK or stamps.max() < now - 2 * HOUR:
            return False
        if stamps.diff().max() > HOUR:
            return False
    return True


def chart_is_hourly(at: AppTest) -> bool:
    """Whether the Rotation page's 7d index chart has a point every hour across the week."""
    at.segmented_control(key="window").set_value("7d").run()
    figure = pio.from_json(at.get("plotly_chart")[0].proto.spec)
    for trace in figure.data:
        stamps = pd.DatetimeIndex(pd.to_datetime(trace.x, utc=True))
        if stamps[-1] - stamps[0] < WEEK - HOUR or stamps.to_series().diff().max() > HOUR:
            return False
    return bool(figure.data)


def measure(plan: str) -> Result:
    setting, per_minute = PLANS[plan]
    folder = Path(tempfile.mkdtemp(prefix="aisector-ttfc-"))
    store_url = f"sqlite:///{folder / 'history.sqlite'}"
    with FaultServer(list(ROWS.values()), api_key=KEY, per_minute=per_minute) as upstream:
        os.environ["COINGECKO_API_URL"] = upstream.url
        os.environ["XDG_DATA_HOME"] = str(folder / "xdg")
        for name in (
            "COINGECKO_DEMO_API_KEY",
            "COINGECKO_PRO_API_KEY",
            "COINGECKO_CALLS_PER_MINUTE",
            "AISECTOR_STORE",
        ):
            os.environ.pop(name, None)
        if setting:
            os.environ[setting] = KEY
        st.cache_data.clear()
        st.cache_resource.clear()
        sys.argv = [str(APP), "--source", "coingecko", "--store", store_url]
        started = time.monotonic()
        at = AppTest.from_file(str(APP), default_timeout=120).run()  # the first page view
        coins = list(ROWS)
        while not week_is_hourly(store_url, coins, pd.Timestamp.now(tz="UTC")):
            if time.monotonic() - started > GIVE_UP:
                raise SystemExit(f"{plan}: 7d charts not complete after {GIVE_UP:.0f} s")
            time.sleep(0.5)
        store_seconds = time.monotonic() - started
        cache.history_status.clear()  # as the next history check would find it
        if not chart_is_hourly(at):
            raise SystemExit(f"{plan}: the store is complete but the 7d chart is not hourly")
        chart_seconds = time.monotonic() - started
        collector = background.background_collector(
            store_url, "coingecko", cache.MARKET_TTL.total_seconds()
        )
        collector.close()
        answered = len(upstream.log) - upstream.rejected
        return Result(
            plan,
            per_minute,
            store_seconds,
            chart_seconds,
            answered,
            upstream.count("chart"),
            upstream.rejected,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", nargs="+", choices=list(PLANS), default=list(PLANS))
    options = parser.parse_args(argv)
    coins = len(load_sectors().coins())
    print(f"{coins} coins in the shipped sectors file, {len(ROWS)} ids served upstream")
    print(f"viewers see new history within {refresh.CHECK_EVERY.seconds} s (auto-refresh check)")
    print()
    print(
        "| plan | budget | store: 7d hourly | charts: 7d hourly | requests | of them charts | 429s |"
    )
    print("|---|---|---|---|---|---|---|")
    for plan in options.plans:
        r = measure(plan)
        print(
            f"| {r.plan} | {r.per_minute}/min | {r.store_seconds:.0f} s | {r.chart_seconds:.0f} s "
            f"| {r.requests} | {r.charts} | {r.rejected} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
