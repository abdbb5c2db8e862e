"""The real dashboard in headless Chromium: charts render, the badge shows, a CSV downloads.

Needs Playwright and a Chromium binary (Debian's ``/usr/bin/chromium``). Without Chromium the
tests skip, or fail when the ``CI`` environment variable is set. The full-page screenshot lands in
``artifacts/dashboard.png`` for a human to look at.
"""

from __future__ import annotations

import csv
import io
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.tables import TOKENS_COLUMNS
from tests.headless import CHART, CHROMIUM_ARGS, chromium_path, missing

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "artifacts" / "dashboard.png"
EXCEPTION = '[data-testid="stException"]'
START_TIMEOUT_S = 60
RENDER_TIMEOUT_MS = 60_000
WIDTH = 1440


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    """Poll Streamlit's health endpoint until it answers, or fail with the server's log."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"dashboard exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"dashboard did not answer within {START_TIMEOUT_S} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running dashboard server on the offline market, as ``aisector dashboard`` starts it."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "dashboard.serve",  # how `aisector dashboard` starts it
        "run",
        "dashboard/app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--",
        "--source",
        "offline",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://localhost:{port}"
        wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed; pip install -e '.[dev]'")
    executable = chromium_path()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, dashboard_url: str) -> Iterator:
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, accept_downloads=True)
    try:
        tab = context.new_page()
        tab.goto(dashboard_url)
        yield tab
    finally:
        context.close()


def save_full_page(tab, path: Path) -> None:
    """Screenshot the whole app: Streamlit scrolls inside its main block, so grow the viewport."""
    height = tab.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    tab.set_viewport_size({"width": WIDTH, "height": min(int(height) + 40, 8000)})
    tab.wait_for_timeout(1000)  # plotly re-lays out on resize
    path.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(path), full_page=True)


def test_rotation_page_renders_charts_and_badge(page) -> None:
    page.wait_for_selector(CHART, timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHART}').length >= 3", timeout=RENDER_TIMEOUT_MS
    )
    page.get_by_text("24h volume share by sector").wait_for(timeout=RENDER_TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0
    assert page.get_by_text("offline – simulated market").first.is_visible()
    assert page.get_by_text("as of 2025-01-22 00:00 UTC", exact=False).first.is_visible()
    save_full_page(page, SCREENSHOT)
    assert page.locator(EXCEPTION).count() == 0


def test_tokens_csv_downloads_with_the_design_columns(page) -> None:
    page.wait_for_selector(CHART, timeout=RENDER_TIMEOUT_MS)
    page.get_by_role("link", name="Tokens").click()
    button = page.get_by_role("button", name="Tokens CSV")
    button.wait_for(timeout=RENDER_TIMEOUT_MS)
    with page.expect_download(timeout=RENDER_TIMEOUT_MS) as event:
        button.click()
    download = event.value
    assert download.suggested_filename == "aisector_tokens_24h_offline.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert set(TOKENS_COLUMNS) <= set(rows[0])
    assert len(rows) == 32  # header + the 31 coins of the offline market
    assert page.locator(EXCEPTION).count() == 0


def test_relative_rotation_page_draws_its_graph(page) -> None:
    page.wait_for_selector(CHART, timeout=RENDER_TIMEOUT_MS)
    page.get_by_role("link", name="Relative rotation").click()
    graph = page.locator(".js-plotly-plot", has_text="Relative rotation graph")
    graph.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert graph.get_by_text("Leading").is_visible()
    assert page.locator(EXCEPTION).count() == 0


@pytest.mark.parametrize(
    ("link", "heading", "charts"),
    [("Tokens", "Tokens", 3), ("Flows", "Flows", 3), ("Sector breakdown", "Sector breakdown", 0)],
)
def test_every_other_page_renders_without_an_exception(page, link, heading, charts) -> None:
    page.wait_for_selector(CHART, timeout=RENDER_TIMEOUT_MS)
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading).wait_for(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHART}').length >= {charts}", timeout=RENDER_TIMEOUT_MS
    )
    page.get_by_text("offline – simulated market").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0
