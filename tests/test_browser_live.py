"""The real dashboard (``aisector dashboard`` on live data, an empty store) in headless Chromium:
its own collector fills the store within the budget and the open page fills in by itself."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from aisector.store import open_existing
from aisector.store.lease import COLLECTOR
from tests.fault_server import FaultServer
from tests.headless import CHART
from tests.test_live_cli import ROWS
from tests.test_security_keys import dashboard_server

pytestmark = pytest.mark.browser

BUDGET = 120  # calls a minute the server allows
FILLED_MS = 90_000  # the store fills in seconds; the page checks for news every 20 s
FIRST_LINE = "() => document.querySelector('.js-plotly-plot').data[0].x.length"


def test_an_open_page_fills_in_as_the_dashboards_collector_lands_history(browser, tmp_path: Path):
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    with FaultServer(list(ROWS.values()), per_minute=BUDGET) as upstream:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COINGECKO_", "AISECTOR_"))}
        env |= {
            "XDG_DATA_HOME": str(tmp_path / "xdg"),
            "COINGECKO_API_URL": upstream.url,
            "COINGECKO_CALLS_PER_MINUTE": str(BUDGET),
            "GECKOTERMINAL_API_URL": "http://127.0.0.1:9/api/v2/",
        }
        options = ["--source", "coingecko", "--store", store]
        with dashboard_server(options, tmp_path, env, tmp_path / "streamlit.log") as url:
            context = browser.new_context(viewport={"width": 1440, "height": 900})
            try:
                tab = context.new_page()
                tab.goto(url)
                tab.get_by_text("history 0 of").first.wait_for(timeout=60_000)
                tab.wait_for_selector(CHART, timeout=60_000)
                assert tab.evaluate(FIRST_LINE) <= 3  # the latest view alone
                tab.get_by_text("history since").first.wait_for(timeout=FILLED_MS)
                tab.wait_for_function(f"({FIRST_LINE})() >= 24", timeout=30_000)
            finally:
                context.close()
        assert upstream.rejected == 0 and upstream.count("chart") == len(ROWS)
    with open_existing(store) as history:  # a stopped server gives the lease up
        now = pd.Timestamp.now(tz="UTC")
        assert history.take_lease(COLLECTOR, "next", now, pd.Timedelta(minutes=1)).held_by("next")
