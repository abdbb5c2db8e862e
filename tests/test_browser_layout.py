"""The dashboard on a 390 px phone and in the dark theme, in headless Chromium.

Every page at 390 x 844: nothing sticks out sideways (a wide table scrolls inside its own frame),
each plotly chart is visible and inside the screen, and its legend, title and plot do not
overlap. Then the app menu switches a 1440 x 900 window to the dark theme: the page turns dark,
the chart text light, and the sector lines keep at least 3:1 contrast against the page. The
screenshots land in ``artifacts/`` for a human to look at. Chromium missing: skip, or fail under
``CI``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from aisector.core.sectors import load_sectors
from aisector.present import theme
from tests.headless import ROOT, save_full_page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
ARTIFACTS = ROOT / "artifacts"
RENDER_TIMEOUT_MS = 60_000
SETTLE_S = 10  # plotly may lay a chart out again once its container has its final width
EXCEPTION = '[data-testid="stException"]'
# A chart counts once plotly has drawn it (each chart holds several ``.main-svg`` layers).
DRAWN_CHARTS = "[...document.querySelectorAll('.js-plotly-plot')].filter((e) => e.querySelector('.main-svg')).length"
PAGES = [  # url path, page heading, plotly charts on it
    ("", "Sector rotation", 3),
    ("rotation_graph", "Relative rotation", 1),
    ("breakdown", "Sector breakdown", 1),
    ("tokens", "Tokens", 3),
    ("flows", "Flows", 3),
    ("methodology", "Methodology", 0),
]

# Elements of the page that reach past the right edge of the screen, unless an ancestor that
# clips or scrolls sideways (a table's frame) ends inside the screen.
STICKING_OUT = """() => {
  const right = window.innerWidth + 1;
  const framed = (element) => {
    for (let a = element.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= right)
        return true;
    }
    return false;
  };
  return [...document.querySelectorAll('[data-testid=stMain] *')]
    .filter((e) => {
      const box = e.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && box.right > right && !framed(e);
    })
    .map((e) => e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || '').split(' ')[0]);
}"""
PAGE_WIDTHS = """() => ({
  viewport: window.innerWidth,
  document: document.documentElement.scrollWidth,
  main: document.querySelector('[data-testid=stMain]').scrollWidth,
})"""
# Per chart: its box, its container's width, and the boxes of its plot area, legend and title.
CHART_BOXES = """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')].map((chart) => {
  const box = (selector) => {
    const element = chart.querySelector(selector);
    if (!element) return null;
    const r = element.getBoundingClientRect();
    return r.width > 0 && r.height > 0 ? {left: r.left, right: r.right, top: r.top, bottom: r.bottom} : null;
  };
  return {
    title: chart.querySelector('.gtitle')?.textContent || '',
    container: chart.getBoundingClientRect().width,
    svg: box('.main-svg'),
    plot: box('.draglayer .nsewdrag'),
    legend: box('.legend'),
    heading: box('.infolayer .g-gtitle'),
  };
})"""
# The computed colours of the page and of the text and lines of the first line chart.
COLOURS = """() => {
  const chart = [...document.querySelectorAll('.js-plotly-plot')].find((e) => e.querySelector('.scatterlayer .js-line'));
  const fills = (selector) => [...chart.querySelectorAll(selector)].map((e) => getComputedStyle(e).fill);
  return {
    background: getComputedStyle(document.querySelector('.stApp')).backgroundColor,
    text: [...fills('.gtitle'), ...fills('.xtick text'), ...fills('.ytick text'), ...fills('.legendtext')],
    lines: [...chart.querySelectorAll('.scatterlayer .js-line')].map((e) => getComputedStyle(e).stroke),
  };
}"""


@pytest.fixture
def open_page(browser, dashboard_url: str) -> Iterator[Callable[..., Any]]:
    """Open one page of the app in a fresh browser context and wait until it has drawn."""
    contexts = []

    def open_(path: str, heading: str, charts: int, viewport: dict, scheme: str = "light"):
        context = browser.new_context(viewport=viewport, color_scheme=scheme)
        contexts.append(context)
        tab = context.new_page()
        tab.goto(f"{dashboard_url}/{path}")
        wait_for_page(tab, heading, charts)
        return tab

    yield open_
    for context in contexts:
        context.close()


def wait_for_page(tab, heading: str, charts: int) -> None:
    tab.get_by_role("heading", name=heading, exact=True).wait_for(timeout=RENDER_TIMEOUT_MS)
    tab.wait_for_function(f"() => ({DRAWN_CHARTS}) >= {charts}", timeout=RENDER_TIMEOUT_MS)
    tab.get_by_text("offline – simulated market").first.wait_for(timeout=RENDER_TIMEOUT_MS)


def eventually(measure: Callable[[], Any], good: Callable[[Any], bool]) -> Any:
    """The first measurement that is good, else the last one after ``SETTLE_S`` (to assert on)."""
    deadline = time.monotonic() + SETTLE_S
    while not good(value := measure()) and time.monotonic() < deadline:
        time.sleep(0.25)
    return value


def overlaps(a: dict | None, b: dict | None) -> bool:
    """Whether two boxes share more than a pixel's sliver."""
    if a is None or b is None:
        return False
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 1 and (
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 1
    )


def chart_problems(boxes: list[dict], viewport: int) -> list[str]:
    """What is wrong with each chart's fit: off screen, wider than its slot, a plot covered."""
    problems = []
    for chart in boxes:
        name, svg = chart["title"] or "untitled chart", chart["svg"]
        if svg is None:
            problems.append(f"{name}: not drawn")
            continue
        if svg["left"] < 0 or svg["right"] > viewport + 1:
            problems.append(f"{name}: spans {svg['left']:.0f}-{svg['right']:.0f} px")
        if svg["right"] - svg["left"] > chart["container"] + 1:
            problems.append(f"{name}: wider than its container")
        for part, other in (("legend", "plot"), ("heading", "plot"), ("legend", "heading")):
            if overlaps(chart[part], chart[other]):
                problems.append(f"{name}: the {part} covers the {other}")
    return problems


def luminance(css_color: str) -> float:
    """WCAG relative luminance of an ``rgb()``/``rgba()`` colour."""
    red, green, blue = (int(v) / 255 for v in re.findall(r"[\d.]+", css_color)[:3])
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def rgb(hex_color: str) -> str:
    """'#0b1220' -> 'rgb(11, 18, 32)', as the browser computes a colour."""
    return "rgb({}, {}, {})".format(*(int(hex_color[i : i + 2], 16) for i in (1, 3, 5)))


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(("path", "heading", "charts"), PAGES, ids=[p[1] for p in PAGES])
def test_every_page_fits_a_phone(open_page, path: str, heading: str, charts: int) -> None:
    tab = open_page(path, heading, charts, PHONE)
    widths = tab.evaluate(PAGE_WIDTHS)
    assert widths["document"] <= widths["viewport"] + 1
    assert widths["main"] <= widths["viewport"] + 1
    assert tab.evaluate(STICKING_OUT) == []
    boxes = eventually(
        lambda: tab.evaluate(CHART_BOXES), lambda b: not chart_problems(b, PHONE["width"])
    )
    assert len(boxes) == charts
    assert chart_problems(boxes, PHONE["width"]) == []
    assert all(tab.locator(".js-plotly-plot").nth(i).is_visible() for i in range(charts))
    assert tab.locator(EXCEPTION).count() == 0
    if not path:
        save_full_page(tab, ARTIFACTS / "dashboard-phone.png", settle_ms=2500)


def test_the_menu_switches_page_and_charts_to_the_dark_theme(open_page) -> None:
    tab = open_page("", "Sector rotation", 3, DESKTOP, scheme="light")
    light = tab.evaluate(COLOURS)
    assert light["background"] == rgb(theme.LIGHT.background_color)
    assert luminance(light["background"]) > 0.9
    assert max(luminance(c) for c in light["text"]) < 0.3

    tab.get_by_test_id("stMainMenu").click()
    tab.get_by_role("menuitemradio", name="Dark").click()
    tab.keyboard.press("Escape")  # close the menu, and leave no focus ring in the screenshot
    tab.evaluate("() => document.activeElement.blur()")
    dark = eventually(
        lambda: tab.evaluate(COLOURS),
        lambda c: luminance(c["background"]) < 0.05 and min(map(luminance, c["text"])) > 0.5,
    )
    assert dark["background"] == rgb(theme.DARK.background_color)  # the theme module's
    assert luminance(dark["background"]) < 0.05
    assert min(luminance(c) for c in dark["text"]) > 0.5  # title, ticks and legend all light
    assert len(dark["lines"]) == 4  # one line per sector
    assert min(contrast(line, dark["background"]) for line in dark["lines"]) >= 3
    assert tab.evaluate(STICKING_OUT) == []
    assert tab.locator(EXCEPTION).count() == 0
    assert not tab.get_by_test_id("stMainMenuList").is_visible()
    save_full_page(tab, ARTIFACTS / "dashboard-dark.png", settle_ms=2500)


def test_shipped_sector_colours_keep_3_to_1_on_both_theme_backgrounds() -> None:
    backgrounds = [mode.background_color for mode in (theme.LIGHT, theme.DARK)]
    colors = load_sectors().colors()
    weakest = {
        (sector, background): contrast(rgb(color), rgb(background))
        for sector, color in colors.items()
        for background in backgrounds
    }
    assert min(weakest.values()) >= 3, weakest
