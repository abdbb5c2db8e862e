"""Attacker-controlled names stay text: in every CSV, in the report and in the dashboard.

A CSV market and a sectors file whose symbols, coin ids, sector names and labels are formulas
(``=HYPERLINK(...)``, ``+1+1``, ``-2``, ``@SUM(A1)``, tab- and CR-prefixed) and markup
(``<script>``, ``<img onerror>``, ``<a href>``). Every CSV cell that a spreadsheet would run is
neutralised; the report's HTML creates no element from them; the dashboard, read in headless
Chromium, shows them literally on every page, in chart legends, labels and hovers, and runs none.
"""

from __future__ import annotations

import csv
import dataclasses
import html.parser
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from aisector.analytics.index import CAP_WEIGHTED
from aisector.analytics.rotation import rotation_tail
from aisector.analytics.shares import VOLUME_SHARE
from aisector.apps.cli import main
from aisector.apps.exports import FORMULA_STARTS, neutralise_formula
from aisector.core.events import Event
from aisector.core.sectors import load_sectors
from aisector.present import charts
from aisector.sources.market_data import load_market
from dashboard.downloads import csv_contents
from dashboard.selection import Selection, selected_views
from tests.headless import CHART
from tests.test_security_keys import dashboard_server

SYMBOLS = {  # coin id -> its symbol in the CSV
    "c-formula": '=HYPERLINK("http://x")',
    "c-plus": "+1+1",
    "c-minus": "-2",
    "c-at": "@SUM(A1)",
    "c-tab": "\tTAB",
    "c-cr": "\rCR",
    "c-script": "<script>alert(1)</script>",
    "c-img": "<img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(3)>": "IDX",  # ids are lower-case text, nothing more
    '=cmd|" /c calc"!a0': "ID2",
}
SECTORS = {  # sector name -> (label, coins)
    "=cmd|' /C calc'!A0": ("<img src=x onerror=alert(1)>", ["c-formula", "c-img", "c-plus"]),
    "\tkey": ("<script>alert(1)</script>", ["c-minus", "c-at", "c-script"]),
    "+sum": ('=HYPERLINK("http://x")', ["c-tab", "c-cr", '=cmd|" /c calc"!a0']),
    "@at": ("@SUM(A1)", ["c-plus", "<img src=x onerror=alert(3)>"]),
    "link": ('<a href="https://x.example/">click</a>', ["c-img", "c-minus"]),
}
LABELS = [label for label, _ in SECTORS.values()]
MARKUP = ("<img", "<script", "<a href")  # what must never reach a page or chart as markup
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
EXPORTS = ("tokens", "sectors", "index", "rotation")
PAGES = ("Rotation", "Relative rotation", "Sector breakdown", "Tokens", "Flows", "Methodology")
HEADINGS = {"Rotation": "Sector rotation"}
RENDER_TIMEOUT_MS = 60_000


def toml_text(value: str) -> str:
    return json.dumps(value)  # a TOML basic string takes JSON's escapes


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """The hostile market (three timestamps, moves and volumes that shift shares) and sectors."""
    market = folder / "market.csv"
    with market.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(["timestamp", "coin_id", "symbol", "price", "market_cap", "volume"])
        for step, stamp in enumerate(
            ["2025-01-21T00:00Z", "2025-01-21T12:00Z", "2025-01-22T00:00Z"]
        ):
            for i, (coin, symbol) in enumerate(SYMBOLS.items()):
                factor = (1 + 0.1 * step) if i % 2 else (1 - 0.05 * step)
                volume = (5 + i) * (1 + step * (i % 3))
                writer.writerow(
                    [stamp, coin, symbol, (i + 1) * factor, 100 * (i + 1) * factor, volume]
                )
    sectors = folder / "sectors.toml"
    tables = [
        f"[sectors.{toml_text(name)}]\nlabel = {toml_text(label)}\n"
        f"coins = [{', '.join(toml_text(c) for c in coins)}]\n"
        for name, (label, coins) in SECTORS.items()
    ]
    sectors.write_text(
        "\n".join([*tables, '[benchmark]\ncoins = ["c-formula"]\n']), encoding="utf-8"
    )
    return market, sectors


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_inputs(tmp_path_factory.mktemp("hostile"))


def source_options(inputs: tuple[Path, Path]) -> list[str]:
    market, sectors = inputs
    return ["--source", f"csv:{market}", "--sectors", str(sectors)]


def spreadsheet_rows(text: str, where: str) -> list[list[str]]:
    """The CSV's rows; every cell a spreadsheet would run as a formula is a plain number."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for row in rows:
        assert len(row) == len(rows[0]), f"{where}: a row came apart: {row}"
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) or PLAIN_NUMBER.fullmatch(cell), (
                where,
                cell,
            )
    return rows


def as_records(rows: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- CSV exports --------------------------------------------------------------------------------


@pytest.mark.parametrize("table", EXPORTS)
def test_every_export_neutralises_formula_cells(table, inputs, tmp_path, capsys) -> None:
    out = tmp_path / f"{table}.csv"
    assert main(["export", table, "--out", str(out), *source_options(inputs)]) == 0, (
        capsys.readouterr().err
    )
    with out.open(encoding="utf-8", newline="") as stream:  # keep a "\r" inside a cell
        records = as_records(spreadsheet_rows(stream.read(), table))
    assert {r["sector"] for r in records if "sector" in r} <= {
        neutralise_formula(s) for s in SECTORS
    }
    if table == "tokens":
        symbols = {r["coin_id"]: r["symbol"] for r in records}
        assert symbols == {
            neutralise_formula(c): neutralise_formula(s.upper()) for c, s in SYMBOLS.items()
        }
    if table == "sectors":
        assert [r["label"] for r in records] == [neutralise_formula(label) for label in LABELS]


def dashboard_tables(inputs: tuple[Path, Path]) -> dict[str, pd.DataFrame]:
    """Every table a dashboard page offers as a CSV download, as the pages build them."""
    market, sectors = inputs
    book = load_sectors(sectors)
    data = load_market(f"csv:{market}", book)
    views = selected_views(data, book, Selection(tuple(book.labels())), data.as_of)
    tables = {
        f.name: getattr(views, f.name)
        for f in dataclasses.fields(views)
        if isinstance(getattr(views, f.name), pd.DataFrame)
    }
    return tables | {
        "correlation": views.correlation.reset_index(),  # sector names become the header
        "strength": rotation_tail(views.rotation, 8),
    }


def test_every_dashboard_download_neutralises_formula_cells_headers_too(inputs) -> None:
    market, sectors = inputs
    data = load_market(f"csv:{market}", load_sectors(sectors))
    tables = dashboard_tables(inputs)
    assert {"tokens", "sectors", "index", "rotation", "movers", "flows"} <= set(tables)
    for name, table in tables.items():
        rows = spreadsheet_rows(csv_contents(table, data)(), name)
        assert len(rows) == len(table) + 1, name
    header = spreadsheet_rows(csv_contents(tables["correlation"], data)(), "correlation")[0]
    assert {neutralise_formula(s) for s in SECTORS} <= set(header)


# --- the report ---------------------------------------------------------------------------------


class Elements(html.parser.HTMLParser):
    """Every element, attribute and text of a page, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


@pytest.fixture(scope="module")
def report(inputs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--out", str(out), "--no-png", *source_options(inputs)]) == 0
    return next(out.iterdir())


def test_the_report_html_creates_no_element_from_a_name(report: Path) -> None:
    page = Elements()
    page.feed((report / "report.html").read_text(encoding="utf-8"))
    tags = [tag for tag, _ in page.tags]
    assert not {"img", "a", "iframe", "object", "embed", "svg"} & set(tags)
    assert not [name for _, attrs in page.tags for name, _ in attrs if name.startswith("on")]
    figures = [attrs for tag, attrs in page.tags if ("class", "plotly-graph-div") in attrs]
    assert len(figures) >= 4 and tags.count("script") == 1 + len(figures)  # plotly.js + charts
    for script in page.scripts[1:]:  # chart data: names only as JSON-escaped text
        assert script.lstrip().startswith("window.PLOTLYENV")
        assert not any(markup in script.lower() for markup in MARKUP)
    text = "".join(page.text)
    for label in LABELS:
        assert label in text  # shown, as text
    assert "<SCRIPT>ALERT(1)</SCRIPT>" in text and "<IMG SRC=X ONERROR=ALERT(1)>" in text


def test_the_report_tables_neutralise_formula_cells(report: Path) -> None:
    files = sorted((report / "tables").glob("*.csv"))
    assert len(files) >= 8
    for path in files:
        spreadsheet_rows(path.read_text(encoding="utf-8"), path.name)


# --- chart builders (the dashboard's and the report's) ----------------------------------------


def strings(node: Any) -> Iterator[str]:
    """Every string inside a plotly figure's JSON."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "ids":  # identifiers plotly never shows
                yield from strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from strings(value)
    elif hasattr(node, "tolist"):
        yield from strings(node.tolist())


def test_chart_builders_pass_names_to_plotly_as_text(inputs) -> None:
    _, sectors = inputs
    book = load_sectors(sectors)
    tables = dashboard_tables(inputs)
    labels, colors = book.labels(), book.colors()
    event = Event(pd.Timestamp("2025-01-21T12:00Z"), "<img src=x onerror=alert(2)>")
    figures = {
        "index": charts.index_chart(tables["index"], CAP_WEIGHTED, labels, colors, (event,)),
        "share": charts.share_chart(tables["rotation"], VOLUME_SHARE, "t", labels, colors),
        "movers": charts.movers_chart(tables["movers"], "24h", labels, colors),
        "cap_change": charts.cap_change_chart(tables["cap_changes"], "24h", labels, colors),
        "flows": charts.flow_sankey(tables["flows"], "24h", labels, colors),
        "treemap": charts.token_treemap(tables["tokens"], "24h", labels),
        "correlation": charts.correlation_heatmap(
            tables["correlation"].set_index(tables["correlation"].columns[0]), "24h", labels
        ),
    }
    for name, figure in figures.items():
        texts = list(strings(figure.to_plotly_json()))
        for text in texts:
            assert not any(markup in text.lower() for markup in MARKUP), (name, text)
        assert any("&lt;" in text for text in texts), name  # the names are there, escaped
    assert "&lt;img src=x onerror=alert(2)&gt;" in list(strings(figures["index"].to_plotly_json()))


# --- the dashboard and the report in headless Chromium -----------------------------------------

INJECTED = """() => ({
  onAttributes: [...document.querySelectorAll('*')].flatMap(e =>
      [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name)),
  images: [...document.querySelectorAll('img')].filter(e => !e.src.startsWith('data:')
      && !e.src.includes('/static/')).map(e => e.outerHTML),
  scripts: [...document.scripts].filter(s => /^\\s*alert\\(/.test(s.text)).length,
  links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
      .filter(h => h.includes('x.example') || h.startsWith('http://x')),
  inCharts: [...document.querySelectorAll('.main-svg a, .main-svg img, .main-svg foreignObject,'
      + ' .main-svg script, .hoverlayer a, .hoverlayer img')].length,
})"""
CLEAN = {"onAttributes": [], "images": [], "scripts": 0, "links": [], "inCharts": 0}


def svg_texts(tab, selector: str) -> list[str]:
    return tab.eval_on_selector_all(selector, "nodes => nodes.map(n => n.textContent)")


def shown_text(tab, selector: str = "[data-testid=stMain]") -> str:
    """What a reader sees there; the invisible word joiners that stop autolinks left out."""
    return tab.locator(selector).last.inner_text().replace("\u2060", "")


@pytest.fixture(scope="module")
def hostile_url(inputs, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``aisector dashboard`` on the hostile market and sectors file."""
    folder = tmp_path_factory.mktemp("hostile-dashboard")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COINGECKO_", "AISECTOR_"))}
    env |= {"HOME": str(folder), "XDG_DATA_HOME": str(folder / "xdg")}
    with dashboard_server(source_options(inputs), folder, env, folder / "streamlit.log") as url:
        yield url


@dataclasses.dataclass
class Tab:
    """One browser tab on the dashboard and every dialog (``alert``) a page opened in it."""

    page: Any
    dialogs: list[str]


@pytest.fixture(scope="module")
def hostile_tab(browser, hostile_url: str) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    tab = Tab(context.new_page(), [])
    tab.page.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    tab.page.goto(hostile_url)
    tab.page.wait_for_selector(CHART, timeout=RENDER_TIMEOUT_MS)
    try:
        yield tab
    finally:
        context.close()


def open_page(tab, name: str, charts_: int) -> None:
    if name != PAGES[0]:
        tab.get_by_role("link", name=name, exact=True).click()
    heading = tab.get_by_role("heading", name=HEADINGS.get(name, name), exact=True)
    heading.wait_for(timeout=RENDER_TIMEOUT_MS)
    tab.wait_for_function(
        f"() => document.querySelectorAll('{CHART}').length >= {charts_}", timeout=RENDER_TIMEOUT_MS
    )
    tab.wait_for_timeout(300)  # let plotly finish its legends


def wait_for_text(tab, texts: list[str]) -> None:
    """Until every one of ``texts`` shows on the page (word joiners left out)."""
    tab.wait_for_function(
        "texts => { const shown = document.querySelector('[data-testid=stMain]').innerText"
        ".replaceAll('\\u2060', ''); return texts.every(t => shown.includes(t)); }",
        arg=texts,
        timeout=RENDER_TIMEOUT_MS,
    )


@pytest.mark.browser
def test_every_dashboard_page_shows_names_as_text_and_runs_none(hostile_tab: Tab) -> None:
    tab = hostile_tab.page
    ids = ['=cmd|" /c calc"!a0', "<img src=x onerror=alert(3)>"]
    shown = {"Rotation": LABELS, "Methodology": [f"{label} (" for label in LABELS] + ids}
    for name, charts_ in zip(PAGES, (3, 1, 0, 3, 2, 0), strict=True):
        open_page(tab, name, charts_)
        wait_for_text(tab, shown.get(name, []))  # Methodology: the sectors file as a list
        assert tab.evaluate(INJECTED) == CLEAN, name
        if name == "Rotation":  # cards, summary, legends
            assert all(shown_text(tab).count(label) >= 2 for label in LABELS)
            assert set(LABELS) <= set(svg_texts(tab, ".main-svg .legendtext"))
    assert hostile_tab.dialogs == []


@pytest.mark.browser
def test_tokens_page_hovers_and_ticks_show_symbols_as_text(hostile_tab: Tab) -> None:
    tab = hostile_tab.page
    open_page(tab, "Tokens", 3)
    ticks = svg_texts(tab, ".main-svg .ytick text")
    assert {"<SCRIPT>ALERT(1)</SCRIPT>", "<IMG SRC=X ONERROR=ALERT(1)>"} <= set(ticks)
    tile = tab.locator(".js-plotly-plot g.slice", has_text="<IMG SRC=X ONERROR=ALERT(1)>").last
    tile.hover()
    tab.wait_for_selector(".hoverlayer .hovertext", timeout=RENDER_TIMEOUT_MS)
    hover = " ".join(svg_texts(tab, ".hoverlayer .hovertext"))
    assert "<IMG SRC=X ONERROR=ALERT(1)>" in hover and "Market cap" in hover
    assert tab.evaluate(INJECTED) == CLEAN
    with tab.expect_download(timeout=RENDER_TIMEOUT_MS) as event:
        tab.get_by_role("button", name="Correlation CSV").click()
    text = Path(event.value.path()).read_text(encoding="utf-8")
    header = spreadsheet_rows(text, "the correlation download")[0]
    assert {neutralise_formula(s) for s in SECTORS} <= set(header)
    assert hostile_tab.dialogs == []


@pytest.mark.browser
def test_the_report_page_shows_names_as_text_and_runs_none(browser, report: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        dialogs: list[str] = []
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        tab.goto((report / "report.html").as_uri())
        tab.wait_for_function(
            f"() => document.querySelectorAll('{CHART}').length >= 4", timeout=RENDER_TIMEOUT_MS
        )
        assert tab.evaluate(INJECTED) == CLEAN
        assert set(LABELS) <= set(svg_texts(tab, ".main-svg .legendtext"))
        assert dialogs == []
    finally:
        context.close()
