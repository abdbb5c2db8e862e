"""Rerun after a control change, ours against a trivial page with the same control, in Chromium.

Run: ``.venv/bin/python -m benchmarks.rerun [--switches N]``. One fresh server per app (ours as
``aisector dashboard`` starts it, on the offline market; the floor ``benchmarks/floor_rerun_app.py``:
the same sidebar window control and three small plotly charts). In one headless Chromium tab per
app at 1440 × 900, the window is switched 24h → 7d → 30d → 24h … N times. A switch has settled
when the caption names the new window, Streamlit is idle and the page has not changed for
``QUIET_MS``; its time is from the click to the last change of the page (a MutationObserver), so
the quiet wait is not counted. The first cycle fills the views cache (cache misses), the rest are
warm. Per switch it also records what the browser received over the websocket (bytes) and
Chrome's main-thread busy, script and layout time (``Performance.getMetrics`` deltas), so the
rerun's cost can be split into server, message size, layout and plotly redraws. The apps take
turns switch by switch, so load from other work on the machine hits both alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from playwright.sync_api import Page, sync_playwright

from benchmarks.first_chart import CHROMIUM, streamlit_server
from tests.headless import CHART, CHROMIUM_ARGS

OURS = "dashboard (offline market)"
FLOOR = "floor (window control, 3 charts)"
APPS = {
    OURS: ("dashboard.serve", ["dashboard/app.py", "--", "--source", "offline"]),
    FLOOR: ("streamlit", ["benchmarks/floor_rerun_app.py"]),
}
CYCLE = ("7d", "30d", "24h")
QUIET_MS = 400
TARGET_RATIO = 1.3
RUNNING = '[data-testid="stStatusWidget"]'
WATCH = """() => {
  window.__lastChange = performance.now();
  new MutationObserver(() => { window.__lastChange = performance.now(); })
    .observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
CLICK = """(label) => {
  const radio = [...document.querySelectorAll('[data-testid=stSidebar] [role=radio]')]
    .find((e) => e.textContent.trim() === label);
  window.__clickedAt = performance.now();
  radio.click();
  return window.__clickedAt;
}"""
QUIET = f"() => performance.now() - window.__lastChange > {QUIET_MS}"


@dataclass
class Switches:
    """Per switch: settle ms, websocket bytes received, main-thread busy/script/layout ms."""

    settle: list[float] = field(default_factory=list)
    received: list[float] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)
    script: list[float] = field(default_factory=list)
    layout: list[float] = field(default_factory=list)


class Tab:
    """One app's page, with its websocket byte count and Chrome's performance counters."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.devtools = page.context.new_cdp_session(page)
        self.devtools.send("Performance.enable")
        self.devtools.send("Network.enable")
        self.received = 0
        self.devtools.on("Network.webSocketFrameReceived", self._frame)

    def _frame(self, event: dict) -> None:
        self.received += len(event["response"]["payloadData"])

    def metrics(self) -> dict[str, float]:
        values = self.devtools.send("Performance.getMetrics")["metrics"]
        return {m["name"]: m["value"] for m in values}

    def switch(self, window: str, into: Switches) -> None:
        before, bytes_before = self.metrics(), self.received
        clicked = self.page.evaluate(CLICK, window)
        self.page.get_by_text(f"{window} window ending").first.wait_for(timeout=60_000)
        self.page.locator(RUNNING).wait_for(state="detached", timeout=60_000)
        self.page.wait_for_function(QUIET, timeout=60_000, polling=50)
        settled = self.page.evaluate("() => window.__lastChange")
        after = self.metrics()
        into.settle.append(settled - clicked)
        into.received.append(self.received - bytes_before)
        for name, key in (("busy", "TaskDuration"), ("script", "ScriptDuration")):
            getattr(into, name).append((after[key] - before[key]) * 1000)
        layout = ("LayoutDuration", "RecalcStyleDuration")
        into.layout.append(sum(after[k] - before[k] for k in layout) * 1000)


def measure(switches: int) -> tuple[dict[str, Switches], dict[str, Switches]]:
    """(first cycle, warm) switches per app."""
    first = {name: Switches() for name in APPS}
    warm = {name: Switches() for name in APPS}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with streamlit_server(APPS[OURS]) as ours, streamlit_server(APPS[FLOOR]) as floor:
            tabs = {}
            for name, url in ((OURS, ours), (FLOOR, floor)):
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page = context.new_page()
                tabs[name] = Tab(page)
                page.goto(url)
                page.wait_for_selector(CHART, timeout=60_000)
                page.locator(RUNNING).wait_for(state="detached", timeout=60_000)
                page.evaluate(WATCH)
                time.sleep(1)
            for n in range(switches):
                window = CYCLE[n % len(CYCLE)]
                order = list(APPS) if n % 2 == 0 else list(reversed(APPS))
                for name in order:
                    tabs[name].switch(window, (first if n < len(CYCLE) else warm)[name])
        browser.close()
    return first, warm


def print_table(title: str, results: dict[str, Switches]) -> None:
    median = statistics.median
    print(f"{title} (medians of {len(results[OURS].settle)} switches)")
    header = f"{'app':<34} {'settle ms':>9} {'(min–max)':>11} {'ws kB':>7} {'busy ms':>8} "
    print(header + f"{'script ms':>9} {'layout ms':>9}")
    for name, s in results.items():
        spread = f"{min(s.settle):.0f}–{max(s.settle):.0f}"
        print(
            f"{name:<34} {median(s.settle):>9.0f} {spread:>11} {median(s.received) / 1000:>7.1f} "
            f"{median(s.busy):>8.0f} {median(s.script):>9.0f} {median(s.layout):>9.0f}"
        )
    ratio = median(results[OURS].settle) / median(results[FLOOR].settle)
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    print(f"ours / floor: {ratio:.2f}× (target ≤ {TARGET_RATIO}×: {verdict})\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=15, help="window switches per app")
    options = parser.parse_args(argv)
    first, warm = measure(max(options.switches, len(CYCLE) + 1))
    print_table("first cycle: new windows, views cache misses", first)
    print_table("warm: cached views", warm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
