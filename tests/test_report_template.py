"""The report's template: a hostile name in every place it fills prints as text, and its style
takes every colour and the font from the theme module."""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd

from aisector.analytics.index import CAP_WEIGHTED, LEVEL, METHOD
from aisector.core.events import Event
from aisector.core.schema import SECTOR, TIMESTAMP
from aisector.present import charts, theme
from aisector.present.report_html import THEME_PROPERTIES, Badge, Page, Section, report_page
from aisector.present.report_tables import Cell, Column, Table
from tests.test_security_names import MARKUP, Elements

PLACES = (
    "title",
    "headline",
    "source",
    "badge note",
    "as of",
    "age",
    "warning",
    "window",
    "summary",
    "alert",
    "column",
    "sector label",
    "token symbol",
    "hover reason",
    "note term",
    "note",
    "colophon",
    "event label",
)


def hostile(place: str) -> str:
    """Markup that would run if it reached the page unescaped; the place names itself."""
    return f'<img src=x onerror=alert("{place}")><script>alert("{place}")</script>'


def hostile_page() -> Page:
    """A page with a hostile name in every place the template fills, one chart with an event."""
    stamps = pd.date_range("2025-01-21", periods=3, freq="h", tz="UTC")
    index = pd.DataFrame(
        {TIMESTAMP: stamps, SECTOR: "s", METHOD: CAP_WEIGHTED, LEVEL: [100.0, 101.0, 99.5]}
    )
    event = Event(stamps[1], hostile("event label"))
    figure = charts.index_chart(
        index, CAP_WEIGHTED, {"s": hostile("sector label")}, {}, events=(event,)
    )
    sectors = Table(
        (Column("label", hostile("column"), numeric=False), Column("cap", "Market cap")),
        ((Cell(hostile("sector label")), Cell("—", "num", hostile("hover reason"))),),
    )
    tokens = Table((Column("symbol", "Token", numeric=False),), ((Cell(hostile("token symbol")),),))
    badge = Badge(
        label=hostile("source"),
        kind="offline",
        note=hostile("badge note"),
        as_of=hostile("as of"),
        age=hostile("age"),
        stale=True,
        warnings=(hostile("warning"),),
    )
    return Page(
        title=hostile("title"),
        headline=hostile("headline"),
        badge=badge,
        summary={hostile("window"): [hostile("summary")]},
        sections=[Section(hostile("window"), {"index_24h": figure}, sectors)],
        tokens_table=tokens,
        notes={hostile("note term"): hostile("note")},
        colophon=hostile("colophon"),
        alerts=(hostile("alert"),),
    )


def test_a_hostile_name_in_every_templated_place_prints_as_text() -> None:
    page = Elements()
    page.feed(report_page(hostile_page()))
    tags = [tag for tag, _ in page.tags]
    assert not {"img", "a", "iframe", "object", "embed", "svg"} & set(tags)
    assert tags.count("script") == 2  # plotly.js and the one chart
    assert not [name for _, attrs in page.tags for name, _ in attrs if name.startswith("on")]
    text = "".join(page.text)
    titles = [value for _, attrs in page.tags for name, value in attrs if name == "title"]
    for place in PLACES[:-1]:  # the event label is inside the chart
        assert hostile(place) in (titles if place == "hover reason" else text), place
    chart = page.scripts[1]
    assert chart.lstrip().startswith("window.PLOTLYENV")
    assert not any(markup in chart.lower() for markup in MARKUP)
    assert "event label" in chart and "sector label" in chart  # there, as escaped JSON text


def test_the_report_style_takes_its_colours_and_font_from_the_theme() -> None:
    css = (resources.files("aisector.present") / "templates" / "report.css").read_text("utf-8")
    assert re.findall(r"#[0-9a-fA-F]{3,6}\b|rgba?\(|sans-serif", css) == []
    used = set(re.findall(r"var\((--[\w-]+)\)", css))
    assert used == set(THEME_PROPERTIES)  # each property the sheet reads is set, and no more
    page = Elements()
    page.feed(report_page(hostile_page()))
    [(_, attrs)] = [(tag, attrs) for tag, attrs in page.tags if tag == "html"]
    style = dict(attrs)["style"]
    assert f"--text: {theme.TEXT}" in style and f"--up: {theme.GAIN}" in style
    assert f"--font: {theme.FONT}" in style  # the quotes in the font list arrive as quotes
    assert f"--offline-bg: {theme.SOURCE_BADGES['offline'][1]}" in style
