"""Time from navigation to the first rendered plotly chart, ours against a trivial floor page.

Run: ``.venv/bin/python -m benchmarks.first_chart [--runs N]``. Each round starts a fresh
Streamlit server per app (cold: imports, data, first script run), opens the page in headless
Chromium and reads ``performance.now()`` when the first ``.js-plotly-plot .main-svg`` appears; a
second load on the same server gives the warm time (caches filled). The browser's main-thread
busy time up to that moment (Chrome's ``TaskDuration``) is printed too: it is far less sensitive
than wall time to other load on the machine. The apps take turns, so such load hits both alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.headless import CHART, CHROMIUM_ARGS, free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
OURS = "dashboard (offline market)"
FLOOR = "floor (3 plotly charts)"
APPS = {  # (server module, script and its arguments): each app started the way it ships
    OURS: ("dashboard.serve", ["dashboard/app.py", "--", "--source", "offline"]),
    FLOOR: ("streamlit", ["benchmarks/floor_app.py"]),
}
TARGET_RATIO = 1.3


@dataclass
class Timings:
    """Milliseconds per run: wall time to first chart (cold, warm) and main-thread busy time."""

    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    cold_busy: list[float] = field(default_factory=list)


@contextmanager
def streamlit_server(app: tuple[str, Sequence[str]]) -> Iterator[str]:
    """A fresh headless server for ``app``; yields its URL once healthy, always stops it."""
    module, script = app
    port = free_port()
    command = [sys.executable, "-m", module, "run", script[0]]
    command += ["--server.headless", "true", "--server.port", str(port), *script[1:]]
    server = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://localhost:{port}"
        wait_until_healthy(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def first_chart(browser: Browser, url: str) -> tuple[float, float]:
    """(ms from navigation start to the first rendered chart, main-thread busy ms until then)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        devtools = context.new_cdp_session(page)
        devtools.send("Performance.enable")
        page.goto(url, wait_until="commit")
        page.wait_for_selector(CHART, timeout=60_000)
        wall = float(page.evaluate("performance.now()"))
        metrics = devtools.send("Performance.getMetrics")["metrics"]
        busy = next(m["value"] for m in metrics if m["name"] == "TaskDuration") * 1000
        return wall, busy
    finally:
        context.close()


def measure(browser: Browser, runs: int) -> dict[str, Timings]:
    """Timings per app over ``runs`` rounds; each round starts a fresh server per app."""
    results = {name: Timings() for name in APPS}
    for round_ in range(runs):
        names = list(APPS) if round_ % 2 == 0 else list(reversed(APPS))
        for name in names:
            with streamlit_server(APPS[name]) as url:
                wall, busy = first_chart(browser, url)
                results[name].cold.append(wall)
                results[name].cold_busy.append(busy)
                results[name].warm.append(first_chart(browser, url)[0])
    return results


def print_table(results: dict[str, Timings], runs: int) -> None:
    """Medians per app, then ours / floor against the target."""
    median = statistics.median
    print(f"first rendered plotly chart after navigation, median of {runs} fresh servers (ms)")
    print(f"{'app':<28} {'cold':>7} {'(min–max)':>13} {'warm':>7} {'main-thread busy':>17}")
    for name, t in results.items():
        spread = f"{min(t.cold):.0f}–{max(t.cold):.0f}"
        print(
            f"{name:<28} {median(t.cold):>7.0f} {spread:>13} {median(t.warm):>7.0f} "
            f"{median(t.cold_busy):>17.0f}"
        )
    ours, floor = results[OURS], results[FLOOR]
    ratios = {
        "cold": median(ours.cold) / median(floor.cold),
        "warm": median(ours.warm) / median(floor.warm),
        "busy": median(ours.cold_busy) / median(floor.cold_busy),
    }
    verdict = "within" if ratios["cold"] <= TARGET_RATIO else "OVER"
    shown = ", ".join(f"{k} {v:.2f}×" for k, v in ratios.items())
    print(f"ours / floor: {shown} (target cold ≤ {TARGET_RATIO}×: {verdict})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds of fresh servers (default 5)")
    options = parser.parse_args(argv)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            results = measure(browser, options.runs)
        finally:
            browser.close()
    print_table(results, options.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
