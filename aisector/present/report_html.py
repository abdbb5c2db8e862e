"""The report as one self-contained HTML page: plotly.js inlined once, opens offline, prints clean.

All text from the data (token symbols, sector labels, warnings) is escaped here or arrives as
tables ``report_tables`` escaped; chart data travels as plotly's JSON, whose ``<`` and ``/`` are
escaped by plotly, and plotly draws hover text as text.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline

CHART_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}


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
    sectors_table: str  # already escaped HTML


@dataclass(frozen=True)
class Page:
    """Everything the page shows, already computed and formatted."""

    title: str
    headline: str
    badge: Badge
    summary: Mapping[str, Sequence[str]]
    sections: Sequence[Section]
    tokens_table: str  # already escaped HTML
    notes: Mapping[str, str]
    colophon: str
    alerts: Sequence[str] = ()  # recent alerts, one line each, newest first


def report_page(page: Page) -> str:
    """The whole ``report.html``."""
    body = "".join(
        [
            _header(page),
            _summary(page.summary),
            _alerts(page.alerts),
            *(_section(s) for s in page.sections),
            _tokens(page.tokens_table),
            _notes(page.notes, page.colophon),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(page.title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{_plotly_js()}</script>'
        f'</head><body><main class="report">{body}</main></body></html>\n'
    )


def _header(page: Page) -> str:
    badge = page.badge
    return (
        f'<header><p class="kicker">{html.escape(page.title)}</p>'
        f"<h1>{html.escape(page.headline)}</h1>{_badge(badge)}{_warnings(badge.warnings)}</header>"
    )


def _badge(badge: Badge) -> str:
    age = f'<span class="{"stale" if badge.stale else ""}">{html.escape(badge.age)}</span>'
    return (
        f'<div class="badge-row"><span class="badge {html.escape(badge.kind)}">'
        f"{html.escape(badge.label)}</span>"
        f'<span class="note {html.escape(badge.kind)}">{html.escape(badge.note)}</span>'
        f"<span>as of <strong>{html.escape(badge.as_of)}</strong> · {age}</span></div>"
    )


def _warnings(warnings: Sequence[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return f'<ul class="warnings">{items}</ul>'


def _summary(summary: Mapping[str, Sequence[str]]) -> str:
    blocks = "".join(
        f'<div class="window"><h3>Last {html.escape(window)}</h3><ul>'
        + "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
        + "</ul></div>"
        for window, sentences in summary.items()
    )
    return f'<section class="summary"><h2>Summary</h2><div class="windows">{blocks}</div></section>'


def _alerts(alerts: Sequence[str]) -> str:
    if not alerts:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in alerts)
    return (
        f'<section class="alerts"><h2>Recent alerts ({len(alerts)})</h2><ul>{items}</ul></section>'
    )


def _section(section: Section) -> str:
    charts = "".join(
        f'<figure class="chart">{_chart(name, figure)}</figure>'
        for name, figure in section.charts.items()
    )
    return (
        f'<section class="window-detail"><h2>Last {html.escape(section.window)}</h2>'
        f'<div class="charts">{charts}</div>'
        f"<h3>Sectors over the last {html.escape(section.window)}</h3>"
        f'<div class="table-wrap">{section.sectors_table}</div></section>'
    )


def _chart(name: str, figure: go.Figure) -> str:
    """A chart's div and script; a fixed id keeps the page the same from run to run."""
    return pio.to_html(
        figure,
        full_html=False,
        include_plotlyjs=False,
        config=CHART_CONFIG,
        div_id=f"chart-{name}",
        default_height=f"{figure.layout.height or 450}px",
    )


def _tokens(table: str) -> str:
    return (
        '<section class="tokens"><h2>All tokens</h2>'
        '<p class="caption">Largest market cap first · price and 24h volume at the as-of time · '
        "moves over 24h, 7d and 30d · — means no price at the window's start</p>"
        f'<div class="table-wrap">{table}</div></section>'
    )


def _notes(notes: Mapping[str, str], colophon: str) -> str:
    items = "".join(
        f"<dt>{html.escape(_term(name))}</dt><dd>{html.escape(text)}</dd>"
        for name, text in notes.items()
    )
    return (
        f'<footer><h2>Method</h2><dl class="notes">{items}</dl>'
        f'<p class="colophon">{html.escape(colophon)}</p></footer>'
    )


def _term(name: str) -> str:
    """'market_cap_change' -> 'Market cap change'."""
    return name.replace("_", " ").capitalize()


@cache
def _plotly_js() -> str:
    """plotly.js, inlined once for every chart (about 4.8 MB), so the page needs no network."""
    return plotly.offline.get_plotlyjs()


STYLE = """
:root { --text: #1e293b; --muted: #64748b; --line: #e2e8f0; --up: #15803d; --down: #b91c1c;
  --offline: #b45309; --offline-bg: #fef3c7; --live: #15803d; --live-bg: #dcfce7;
  --file: #1d4ed8; --file-bg: #dbeafe; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: #fff;
  font: 15px/1.5 'Source Sans Pro', 'Source Sans 3', 'Segoe UI', Helvetica, Arial, sans-serif; }
.report { max-width: 1160px; margin: 0 auto; padding: 32px 40px 48px; }
header { border-bottom: 1px solid var(--line); padding-bottom: 18px; margin-bottom: 24px; }
.kicker { margin: 0; color: var(--muted); font-size: 13px; letter-spacing: .08em;
  text-transform: uppercase; font-weight: 600; }
h1 { margin: 6px 0 14px; font-size: 30px; line-height: 1.2; font-weight: 700; }
h2 { font-size: 20px; margin: 32px 0 12px; }
h3 { font-size: 15px; margin: 18px 0 8px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .05em; }
.badge-row { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 14px; }
.badge { display: inline-block; padding: 4px 12px; border-radius: 999px; font-weight: 700;
  font-size: 14px; letter-spacing: .02em; }
.badge.offline { color: var(--offline); background: var(--offline-bg);
  border: 1px solid var(--offline); text-transform: uppercase; }
.badge.live { color: var(--live); background: var(--live-bg); }
.badge.file { color: var(--file); background: var(--file-bg); }
.note { font-weight: 600; }
.note.offline { color: var(--offline); }
.note.live { color: var(--live); }
.note.file { color: var(--file); }
.stale { color: var(--offline); font-weight: 600; }
.warnings { margin: 12px 0 0; padding: 8px 12px 8px 28px; background: #fff7ed;
  border-left: 3px solid var(--offline); font-size: 14px; }
.summary { background: #f8fafc; border: 1px solid var(--line); border-radius: 8px;
  padding: 4px 24px 12px; }
.summary h2 { margin-top: 16px; }
.summary .windows { display: grid; grid-template-columns: 1fr 1fr; gap: 0 32px; }
.summary h3 { margin-top: 4px; }
.summary ul { margin: 0; padding-left: 18px; }
.summary li { margin: 0 0 6px; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 28px; }
.chart { margin: 0; min-width: 0; }
.chart:first-child { grid-column: 1 / -1; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 14px;
  font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line);
  padding: 6px 10px; white-space: nowrap; }
td { padding: 5px 10px; border-bottom: 1px solid var(--line); }
th.num, td.num { text-align: right; white-space: nowrap; }
td.up { color: var(--up); }
td.down { color: var(--down); }
.caption { color: var(--muted); font-size: 13px; margin: -4px 0 10px; }
footer { margin-top: 36px; border-top: 1px solid var(--line); color: var(--muted);
  font-size: 13px; }
footer h2 { color: var(--text); font-size: 16px; }
.notes { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
.notes dt { font-weight: 600; color: var(--text); }
.notes dd { margin: 0; }
.colophon { margin-top: 16px; }
@media (max-width: 800px) {
  .report { padding: 20px 16px; }
  .summary .windows, .charts { grid-template-columns: 1fr; }
}
@media print {
  @page { size: A4; margin: 12mm; }
  body { font-size: 11pt; }
  .report { max-width: none; padding: 0; }
  .charts { grid-template-columns: 1fr; }
  .chart, .summary, tr { break-inside: avoid; }
  .window-detail { break-before: page; }
  .modebar-container { display: none !important; }
  .badge, .summary, .warnings { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
