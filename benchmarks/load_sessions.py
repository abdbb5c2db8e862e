"""Load: browser sessions at once on one dashboard, against a local CoinGecko that counts requests.

    python -m benchmarks.load_sessions [--sessions N]      default: 20 sessions

One ``aisector dashboard --source coingecko --no-collect`` server (headless, on a free port) reads
live quotes from a CoinGecko-shaped server on 127.0.0.1 (``tests/fault_server.py``, every coin of
the sectors file); it does not collect, so what is counted is what the viewers ask. One headless
Chromium opens N separate browser contexts at once; each loads the page and times its first
drawn plotly chart, then switches the sidebar's window from 24h to 7d and times the page's rerun
(the caption names the new window, the charts are drawn, Streamlit is idle).
Upstream requests are counted: the cache (``dashboard/cache.py``) should ask upstream once per
``MARKET_TTL`` whatever the number of sessions. CPU seconds of the dashboard server and of the
browser are reported too: on one small machine the sessions' browsers, not the server, set the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from playwright.async_api import Browser, async_playwright

from aisector.core.sectors import load_sectors
from dashboard.cache import MARKET_TTL
from tests.fault_server import FaultServer, market_rows
from tests.headless import CHART, CHROMIUM_ARGS, free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; from aisector.apps.cli import main; sys.exit(main())"
# --no-collect: this measures what the viewers ask; the collector is timed and counted in
# benchmarks/time_to_full_charts.py
DASHBOARD = [sys.executable, "-c", CLI, "dashboard", "--source", "coingecko", "--no-collect"]
CHROMIUM = "/usr/bin/chromium"
FIRST, SECOND = "24h", "7d"  # the window each session starts on, and the one it switches to
TIMEOUT_S = 600  # twenty sessions on two cores shared with other work take their time
EXCEPTION = '[data-testid="stException"]'
RUNNING = '[data-testid="stStatusWidget"]'  # Streamlit's "Running..." while a script runs
CHARTS_ON_PAGE = 3  # the rotation page: index, volume share, market-cap share


@dataclass(frozen=True)
class Session:
    """One browser session's seconds to its first chart and to its rerun, or what went wrong."""

    first_chart: float | None = None
    rerun: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class Load:
    """What N sessions at once did, and what upstream was asked meanwhile."""

    sessions: list[Session]
    seconds: float  # from the server's start to the last session's end
    requests: dict[str, int]  # upstream requests per route
    server_cpu: float  # CPU seconds of the dashboard server while the sessions ran
    browser_cpu: float  # CPU seconds of the browser (all its processes)

    @property
    def allowed(self) -> int:
        """Snapshot requests the cache may make: one per market-data lifetime begun."""
        return math.ceil(self.seconds / MARKET_TTL.total_seconds())


def upstream_rows() -> list[dict]:
    """A /coins/markets row for every coin of the shipped sectors file, updated now."""
    templates = market_rows()
    now = pd.Timestamp.now(tz="UTC").isoformat().replace("+00:00", "Z")
    return [
        {
            **templates[i % len(templates)],
            "id": coin,
            "symbol": coin[:5],
            "name": coin.title(),
            "current_price": 1.0 + i,
            "market_cap": (1.0 + i) * 1e8,
            "last_updated": now,
        }
        for i, coin in enumerate(load_sectors().coins())
    ]


@dataclass(frozen=True)
class Server:
    """A running dashboard: its URL and its process (with the Streamlit server under it)."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        root = psutil.Process(self.pid)
        return cpu_seconds([root, *root.children(recursive=True)])


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """CPU seconds (user + system) the living ``processes`` have used."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@contextmanager
def dashboard(upstream: str, folder: Path) -> Iterator[Server]:
    """``aisector dashboard --source coingecko`` on a free port, live from ``upstream``; its URL.

    Started in its own process group: ``aisector dashboard`` runs the server as a child.
    """
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("COINGECKO_")}
    environ |= {
        "COINGECKO_API_URL": upstream,
        "STREAMLIT_SERVER_HEADLESS": "true",
        "XDG_DATA_HOME": str(folder),  # no user's store
    }
    log = (folder / "dashboard.log").open("w")
    server = subprocess.Popen(
        [*DASHBOARD, "--port", str(port)],
        cwd=folder,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://localhost:{port}"
        wait_until_healthy(url, server, folder / "dashboard.log")
        yield Server(url, server.pid)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)
        log.close()


async def session(browser: Browser, url: str, timeout_s: float) -> Session:
    """Open the page in a fresh context, time its first chart, switch the window, time the rerun."""
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = await context.new_page()
        page.set_default_timeout(timeout_s * 1000)
        began = time.perf_counter()
        await page.goto(url, wait_until="commit")
        await page.wait_for_selector(CHART)
        first = time.perf_counter() - began
        await _drawn(page, FIRST)
        clicked = time.perf_counter()
        sidebar = page.get_by_test_id("stSidebar")
        await sidebar.get_by_role("radio", name=SECOND, exact=True).click()
        await _drawn(page, SECOND)
        rerun = time.perf_counter() - clicked
        if await page.locator(EXCEPTION).count():
            return Session(first, rerun, "an exception box on the page")
        return Session(first, rerun)
    except Exception as error:  # a session that failed is a result to report, not a crash
        return Session(error=f"{type(error).__name__}: {str(error).splitlines()[0]}")
    finally:
        await context.close()


async def _drawn(page, window: str) -> None:
    """Wait until the page shows ``window``, its charts are drawn and no script is running."""
    await page.get_by_text(f"{window} window ending").wait_for()
    await page.locator(RUNNING).wait_for(state="detached")
    await page.wait_for_function(
        f"() => document.querySelectorAll('{CHART}').length >= {CHARTS_ON_PAGE}"
    )


async def sessions_at_once(
    server: Server, count: int, chromium: str, timeout_s: float
) -> tuple[list[Session], float]:
    """``count`` sessions in separate contexts of one browser, all started together; and the CPU
    seconds of everything this process started (server and browser), taken before the browser
    closes."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            done = await asyncio.gather(
                *(session(browser, server.url, timeout_s) for _ in range(count))
            )
            return list(done), cpu_seconds(psutil.Process().children(recursive=True))
        finally:
            await browser.close()


def measure_load(count: int, chromium: str = CHROMIUM, timeout_s: float = TIMEOUT_S) -> Load:
    """Start the upstream and the dashboard, run ``count`` sessions at once, count requests;
    a session waiting longer than ``timeout_s`` for one step fails."""
    with tempfile.TemporaryDirectory() as folder, FaultServer(rows=upstream_rows()) as upstream:
        began = time.monotonic()
        with dashboard(upstream.url, Path(folder)) as server:
            idle = server.cpu_seconds()  # start-up: imports, before any session
            results, started = asyncio.run(sessions_at_once(server, count, chromium, timeout_s))
            served = server.cpu_seconds()
            seconds = time.monotonic() - began
        routes = sorted({request.route for request in upstream.log})
        requests = {route: upstream.count(route) for route in routes}
        return Load(results, seconds, requests, served - idle, started - served)


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def print_table(load: Load) -> None:
    firsts = [s.first_chart for s in load.sessions if s.first_chart is not None]
    reruns = [s.rerun for s in load.sessions if s.rerun is not None]
    done = sum(s.error is None for s in load.sessions)
    print(f"{len(load.sessions)} browser sessions at once on one dashboard server (seconds)")
    print(
        f"{'sessions':<9}{'rendered':>9}{'first chart p50 / p95 / max':>30}{'rerun p50 / p95':>18}"
    )
    first = " / ".join(f"{percentile(firsts, q):.1f}" for q in (50, 95, 100))
    again = " / ".join(f"{percentile(reruns, q):.1f}" for q in (50, 95))
    print(f"{len(load.sessions):<9}{f'{done}/{len(load.sessions)}':>9}{first:>30}{again:>18}")
    count = len(load.sessions)
    print(
        f"CPU seconds: dashboard server {load.server_cpu:.0f} ({load.server_cpu / count:.1f} a "
        f"session), browser {load.browser_cpu:.0f} ({load.browser_cpu / count:.1f} a session)"
    )
    asked = ", ".join(f"{route} {n}" for route, n in load.requests.items()) or "none"
    print(
        f"upstream requests in {load.seconds:.0f} s: {asked}; expected markets ≤ "
        f"{load.allowed} (one per {MARKET_TTL.total_seconds() / 60:.0f} min cache lifetime)"
    )
    for problem in sorted({s.error for s in load.sessions if s.error}):
        print(f"failed: {problem}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="sessions at once (default 20)")
    options = parser.parse_args(argv)
    load = measure_load(options.sessions)
    print_table(load)
    ok = all(s.error is None for s in load.sessions)
    return 0 if ok and load.requests.get("markets", 0) <= load.allowed else 1


if __name__ == "__main__":
    sys.exit(main())
