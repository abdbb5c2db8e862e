"""The Rotation page's first screen in headless Chromium: event marks never overlap, and the
screenshots of the page at its defaults, light and dark (``artifacts/rotation-*.png``).

Chromium missing: skip, or fail under ``CI``.
"""

from __future__ import annotations

import pytest

from tests.headless import ROOT
from tests.test_browser_layout import DESKTOP, PHONE, overlaps

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts"
TIMEOUT_MS = 60_000
# Per chart: its title and the boxes of its annotations (the numbered event marks).
EVENT_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map((chart) => ({
  title: chart.querySelector('.gtitle')?.textContent || '',
  marks: [...chart.querySelectorAll('g.annotation')].map((note) => {
    const r = note.getBoundingClientRect();
    return {text: note.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
  }).filter((box) => box.right > box.left),
}))"""
DRAWN = "() => [...document.querySelectorAll('.js-plotly-plot')].filter((e) => e.querySelector('.main-svg')).length >= 3"


def open_rotation(browser, url: str, viewport: dict, scheme: str = "light"):
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    tab = context.new_page()
    tab.goto(url)
    tab.get_by_role("heading", name="Sector rotation", exact=True).wait_for(timeout=TIMEOUT_MS)
    tab.wait_for_function(DRAWN, timeout=TIMEOUT_MS)
    return context, tab


def crossing_marks(charts: list[dict]) -> list[str]:
    """Pairs of event marks whose boxes intersect, per chart."""
    return [
        f"{chart['title']}: {a['text']} × {b['text']}"
        for chart in charts
        for i, a in enumerate(chart["marks"])
        for b in chart["marks"][i + 1 :]
        if overlaps(a, b)
    ]


def test_event_marks_never_overlap_at_30d_on_desktop_and_phone(browser, dashboard_url) -> None:
    context, tab = open_rotation(browser, dashboard_url, DESKTOP)
    try:
        tab.get_by_test_id("stSidebar").get_by_role("radio", name="30d", exact=True).click()
        tab.get_by_text("30d window ending").first.wait_for(timeout=TIMEOUT_MS)
        tab.wait_for_function(DRAWN, timeout=TIMEOUT_MS)
        for viewport in (DESKTOP, PHONE):
            tab.set_viewport_size(viewport)
            tab.wait_for_timeout(2500)  # plotly lays the charts out again at the new width
            charts = tab.evaluate(EVENT_BOXES)
            marked = [c for c in charts if len(c["marks"]) >= 4]
            assert len(marked) >= 3, charts  # heatmap, index and share chart: 4 events each
            assert crossing_marks(charts) == [], viewport
    finally:
        context.close()


def test_crossing_marks_are_found() -> None:
    """The check above can fail: two boxes a few pixels apart on both axes do intersect."""
    a = {"text": "1", "left": 0, "right": 12, "top": 0, "bottom": 16}
    b = {"text": "2", "left": 8, "right": 20, "top": 10, "bottom": 26}
    assert crossing_marks([{"title": "t", "marks": [a, b]}]) == ["t: 1 × 2"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_rotation_first_screen_screenshots(browser, dashboard_url, scheme: str) -> None:
    context, tab = open_rotation(browser, dashboard_url, DESKTOP, scheme)
    try:
        tab.wait_for_timeout(2500)
        heatmap = tab.locator(".js-plotly-plot", has_text="Where the 24h volume went")
        box = heatmap.bounding_box()
        assert box is not None and box["y"] + box["height"] <= DESKTOP["height"]  # no scrolling
        assert tab.locator('[data-testid="stException"]').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"rotation-{scheme}.png"))
    finally:
        context.close()
