"""The real dashboard in headless Chromium: charts render, the badge shows, a CSV downloads.

Needs Playwright and a Chromium binary (Debian's ``/usr/bin/chromium``). Without Chromium the
tests skip, or fail when the ``CI`` environment variable is set. The full-page screenshot lands in
``artifacts/dashboard.png`` for a human to look at.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisector.analytics.tables import TOKENS_COLUMNS
from tests.headless import CHART, ROOT, save_full_page

pytestmark = pytest.mark.browser

SCREENSHOT = ROOT / "artifacts" / "dashboard.png"
EXCEPTION = '[data-testid="stException"]'
RENDER_TIMEOUT_MS = 60_000
WIDTH = 1440


@pytest.fixture
def page(browser, dashboard_url: str) -> Iterator:
    context = browser.new_context(viewport={"width": WIDTH, "height": 900}, accept_downloads=True)
    try:
        tab = context.new_page()
        tab.goto(dashboard_url)
        yield tab
    finally:
        context.close()


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
    [("Tokens", "Tokens", 3), ("Flows", "Flows", 3), ("Sector breakdown", "Sector breakdown", 1)],
)
def test_every_other_page_renders_without_an_exception(page, link, heading, charts) -> None:
    page.wait_for_selector(CHART, timeout=RENDER_TIMEOUT_MS)
    page.get_by_role("link", name=link).click()
    page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHART}').length >= {charts}", timeout=RENDER_TIMEOUT_MS
    )
    page.get_by_text("offline – simulated market").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert page.locator(EXCEPTION).count() == 0
