"""The Fundamentals page in headless Chromium: every configured protocol's usage chart draws, with
the event marks, beside the cap-to-revenue chart; full-page screenshots light and dark, at 1440
and 390 px (``artifacts/fundamentals-*.png``; the README's copies are in ``docs/``).

Chromium missing: skip, or fail under ``CI``.
"""

from __future__ import annotations

import pytest

from aisector.core.sectors import load_sectors
from tests.headless import ROOT, save_full_page
from tests.test_browser_layout import DESKTOP, PHONE

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
TIMEOUT_MS = 60_000
EXCEPTION = '[data-testid="stException"]'
TITLES = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter((chart) => chart.querySelector('.main-svg'))
  .map((chart) => ({
    title: chart.querySelector('.gtitle')?.textContent || '',
    marks: [...chart.querySelectorAll('g.annotation')].map((n) => n.textContent),
  }))"""


def open_fundamentals(browser, url: str, viewport: dict, scheme: str = "light"):
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    tab = context.new_page()
    tab.goto(f"{url}/fundamentals")
    tab.get_by_role("heading", name="Protocol fundamentals", exact=True).wait_for(
        timeout=TIMEOUT_MS
    )
    protocols = len(load_sectors(None).protocols)
    drawn = (
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        f".filter((e) => e.querySelector('.main-svg')).length >= {protocols + 1}"
    )
    tab.wait_for_function(drawn, timeout=TIMEOUT_MS)
    return context, tab


def test_every_protocol_has_its_usage_chart_with_events(browser, dashboard_url) -> None:
    context, tab = open_fundamentals(browser, dashboard_url, DESKTOP)
    try:
        charts = {chart["title"]: chart for chart in tab.evaluate(TITLES)}
        for protocol in load_sectors(None).protocols:
            title = next(
                (t for t in charts if t.startswith(f"{protocol.label}: usage beside")), None
            )
            assert title is not None, (protocol.label, list(charts))
            assert charts[title]["marks"] == ["1", "2", "3", "4"]  # the four shipped events
        ratio = next(t for t in charts if t.startswith("Market cap to annualised revenue"))
        assert charts[ratio]["marks"] == ["1", "2", "3", "4"]
        assert tab.get_by_text("offline – simulated activity", exact=False).first.is_visible()
        assert tab.get_by_text("VIRTUAL +11.95% while Virtuals Protocol revenue").is_visible()
        tab.get_by_role("button", name="Fundamentals CSV").wait_for(timeout=TIMEOUT_MS)
        assert tab.locator(EXCEPTION).count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_fundamentals_screenshots(browser, dashboard_url, scheme: str, viewport: dict) -> None:
    context, tab = open_fundamentals(browser, dashboard_url, viewport, scheme)
    try:
        tab.wait_for_timeout(1500)
        save_full_page(tab, ARTIFACTS / f"fundamentals-{scheme}-{viewport['width']}.png")
        assert tab.locator(EXCEPTION).count() == 0
    finally:
        context.close()
