"""The report as one self-contained HTML page: plotly.js inlined once, opens offline, prints clean.

The page is a Jinja2 template (``templates/report.html.j2``) with its style sheet beside it
(``templates/report.css``), both package data. The environment escapes every value, so a token
symbol, sector label or warning from the data prints as text; only two things go in unescaped:
plotly.js and each chart's div and script, whose JSON plotly escapes (``<`` and ``/``), and plotly
draws hover text as text. The style sheet's colours and font are the theme module's, set as CSS
custom properties on the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import jinja2
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
from markupsafe import Markup

from aisector.present import theme
from aisector.present.report_tables import Table

CHART_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}
# The theme's values under the names report.css reads: var(--text), var(--font), ...
THEME_PROPERTIES = {
    "--font": theme.FONT,
    "--text": theme.TEXT,
    "--muted": theme.MUTED,
    "--line": theme.LINE,
    "--up": theme.GAIN,
    "--down": theme.LOSS,
    "--background": theme.LIGHT.background_color,
    "--panel": theme.NEUTRAL,
    "--warning-bg": theme.WARNING_BACKGROUND,
    **{f"--{kind}": text for kind, (text, _) in theme.SOURCE_BADGES.items()},
    **{f"--{kind}-bg": background for kind, (_, background) in theme.SOURCE_BADGES.items()},
}


@dataclass(frozen=True)
class Badge:
    """Where the numbers come from and how old they are, shown above everything else."""

    label: str
    kind: str  # live, offline or file: the badge colour
    note: str
    as_of: str
    age: str
    stale: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """One window: its charts (index first, full width) and its sector table."""

    window: str
    charts: Mapping[str, go.Figure]
    sectors_table: Table


@dataclass(frozen=True)
class FundamentalsSection:
    """Protocol activity beside the prices: where it comes from, a table per window, the
    market cap / annualised revenue chart."""

    label: str  # the activity source's label, e.g. "offline – simulated activity"
    through: str  # the last whole UTC day of activity used
    warnings: tuple[str, ...]
    tables: Mapping[str, Table]  # window -> usage.protocol_window as text
    chart: go.Figure


@dataclass(frozen=True)
class Page:
    """Everything the page shows, already computed and formatted."""

    title: str
    headline: str
    badge: Badge
    summary: Mapping[str, Sequence[str]]
    sections: Sequence[Section]
    tokens_table: Table
    notes: Mapping[str, str]
    colophon: str
    alerts: Sequence[str] = ()  # recent alerts, one line each, newest first
    fundamentals: FundamentalsSection | None = None  # without [protocols] tables: none


def report_page(page: Page) -> str:
    """The whole ``report.html``."""
    template = _environment().get_template("report.html.j2")
    return template.render(page=page, theme=THEME_PROPERTIES, plotly_js=_plotly_js())


@cache
def _environment() -> jinja2.Environment:
    """The templates shipped in ``aisector/present/templates``, every value escaped."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("aisector.present", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["chart"] = _chart
    return environment


def _chart(figure: go.Figure, name: str) -> Markup:
    """A chart's div and script; a fixed id keeps the page the same from run to run."""
    return Markup(
        pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            config=CHART_CONFIG,
            div_id=f"chart-{name}",
            default_height=f"{figure.layout.height or 450}px",
        )
    )


@cache
def _plotly_js() -> Markup:
    """plotly.js, inlined once for every chart (about 4.8 MB), so the page needs no network."""
    return Markup(plotly.offline.get_plotlyjs())
