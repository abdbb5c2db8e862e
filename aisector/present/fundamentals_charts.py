"""Plotly figures of protocol activity beside token prices (the Fundamentals page and the report).

They take ``aisector.analytics.usage.protocol_days`` and draw in the house style of ``charts``
(layout, axes, numbered event marks). A protocol's panels share one time axis: daily fees and
revenue, volume, then its token's price and market cap, so a price move lines up with the usage
of the same days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from aisector.analytics.usage import CAP_TO_REVENUE
from aisector.core.events import Event
from aisector.core.schema import DATE, FEES, MARKET_CAP, PRICE, PROTOCOL, REVENUE, VOLUME
from aisector.core.sectors import DEFAULT_PALETTE, TrackedProtocol
from aisector.present import theme
from aisector.present.charts import (
    PAPER,
    ChartStyle,
    chart_layout,
    event_marks,
    fixed_margins,
    painted_axis,
    titled_axis,
)
from aisector.present.formatting import MISSING
from aisector.present.labels import chart_text

PANEL_HEIGHT = 170
CHROME_HEIGHT = 190  # title, tick labels and a legend of up to three rows
TOKEN_COLOR = "#7c3aed"  # the price line: reads on the light and the dark page
PANEL_GAP = 0.07  # of the plot height, between panels
DAY_HOVER = "%Y-%m-%d (UTC day)"
USD_TICKS = "$.2s"
METRIC_STYLE = {  # the activity traces: name, colour, trace kind
    REVENUE: ("Revenue", "#0f766e", "lines"),
    FEES: ("Fees", "#e69f00", "lines"),
    VOLUME: ("Volume", "#56b4e9", "bar"),
}


def protocol_colors(protocols: Sequence[str]) -> dict[str, str]:
    """One colour per protocol, in file order (protocols of a sector must not share its colour)."""
    return {p: DEFAULT_PALETTE[i % len(DEFAULT_PALETTE)] for i, p in enumerate(protocols)}


def tokens_text(coins: Sequence[str], symbols: Mapping[str, str]) -> str:
    """A protocol's token(s) by ticker, e.g. 'VIRTUAL' (the coin id where none is known)."""
    return " / ".join(symbols.get(coin) or coin for coin in coins)


def chart_notes(days: pd.DataFrame, protocol: TrackedProtocol, source_label: str) -> list[str]:
    """Why a protocol's chart lacks a series: no activity at all, no volume, no single price."""
    rows = days[days[PROTOCOL] == protocol.key]
    notes = []
    if rows[list(METRIC_STYLE)].isna().all().all():
        notes.append(f"{protocol.label}: {MISSING} {source_label} has no activity for it.")
    elif rows[VOLUME].isna().all():
        notes.append(
            f"{protocol.label}: no protocol volume from {source_label} (fees and revenue only)."
        )
    if len(protocol.coins) > 1:
        notes.append(
            f"{protocol.label}: no single token price (several tokens); the cap is their sum."
        )
    elif rows[PRICE].isna().all():
        notes.append(f"{protocol.label}: {MISSING} no price for its token at any day's close.")
    return notes


def protocol_activity_chart(
    days: pd.DataFrame,
    protocol: str,
    label: str,
    token: str,
    events: Sequence[Event] = (),
    style: ChartStyle = PAPER,
) -> go.Figure:
    """One protocol's daily fees and revenue, its volume (when it has any) and its token's price
    and market cap, in panels over one shared time axis, the events drawn across all of them."""
    rows = days[days[PROTOCOL] == protocol]
    panels = [[FEES, REVENUE], *([[VOLUME]] if rows[VOLUME].notna().any() else []), [PRICE]]
    domains = _panel_domains(len(panels))
    traces: list[go.BaseTraceType] = []
    # Automatic margins, unlike the other time charts: a phone wraps this legend into rows.
    title = f"{chart_text(label)}: usage beside {chart_text(token)}"
    layout = chart_layout(title, _time_x(), {}, "x unified", style)
    for number, (metrics, domain) in enumerate(zip(panels, domains, strict=True), start=1):
        axis = "y" if number == 1 else f"y{number}"
        traces += [_activity_trace(rows, m, axis) for m in metrics if m != PRICE]
        layout[_axis_key(axis)] = painted_axis(titled_axis(_panel_title(metrics)), style) | {
            "domain": domain,
            "anchor": "x",
            "tickformat": USD_TICKS,
        }
    price_axis = f"y{len(panels)}"
    cap_axis = f"y{len(panels) + 1}"
    traces += _token_traces(rows, token, price_axis, cap_axis)
    layout[_axis_key(cap_axis)] = painted_axis(titled_axis("Market cap"), style) | {
        "overlaying": price_axis,
        "side": "right",
        "showgrid": False,
        "tickformat": USD_TICKS,
    }
    layout["xaxis"] |= {"anchor": price_axis}
    lines, notes = event_marks(events, rows[DATE], style)
    layout |= {
        "shapes": lines,
        "annotations": notes,
        "height": PANEL_HEIGHT * len(panels) + CHROME_HEIGHT,
        "barmode": "overlay",
    }
    return go.Figure(data=traces, layout=layout)


def cap_to_revenue_chart(
    days: pd.DataFrame,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    events: Sequence[Event] = (),
    style: ChartStyle = PAPER,
) -> go.Figure:
    """Market cap / annualised revenue per protocol over time, on a log axis (the multiples span
    tens to hundreds): how richly each token is priced against what its protocol earns."""
    traces = [
        go.Scatter(
            x=rows[DATE],
            y=rows[CAP_TO_REVENUE],
            name=chart_text(labels.get(protocol, protocol)),
            mode="lines",
            line={"color": colors.get(protocol, theme.FALLBACK), "width": 2.2},
            hovertemplate="%{y:,.1f}×",
        )
        for protocol, rows in days.groupby(PROTOCOL, sort=False)
        if rows[CAP_TO_REVENUE].notna().any()
    ]
    y_axis = titled_axis("Market cap / annualised revenue (×)") | {"type": "log", "dtick": 1}
    subtitle = "Log scale; lower is cheaper"  # the formula is in the caption below
    title = "Market cap to annualised revenue"
    layout = fixed_margins(chart_layout(title, _time_x(), y_axis, "x unified", style, subtitle))
    lines, notes = event_marks(events, days[DATE], style)
    layout |= {"shapes": lines, "annotations": notes}
    return go.Figure(data=traces, layout=layout)


def _activity_trace(rows: pd.DataFrame, metric: str, axis: str) -> go.BaseTraceType:
    """A metric's daily USD values: a line for fees and revenue, bars for volume."""
    name, color, kind = METRIC_STYLE[metric]
    common = {"x": rows[DATE], "y": rows[metric], "name": name, "yaxis": axis}
    common |= {"hovertemplate": "$%{y:,.0f}"}
    if kind == "bar":
        return go.Bar(**common, marker={"color": color})
    return go.Scatter(**common, mode="lines", line={"color": color, "width": 2})


def _token_traces(
    rows: pd.DataFrame, token: str, price_axis: str, cap_axis: str
) -> list[go.Scatter]:
    """The token's price at each day's close (left axis) and the protocol's market cap (right)."""
    price = go.Scatter(
        x=rows[DATE],
        y=rows[PRICE],
        name=f"{chart_text(token)} price",
        yaxis=price_axis,
        mode="lines",
        line={"color": TOKEN_COLOR, "width": 2},
        hovertemplate="$%{y:,.4g}",
    )
    cap = go.Scatter(
        x=rows[DATE],
        y=rows[MARKET_CAP],
        name="Market cap",
        yaxis=cap_axis,
        mode="lines",
        line={"color": theme.FALLBACK, "width": 1.5, "dash": "dot"},
        hovertemplate="$%{y:,.0f}",
    )
    return [price, cap]


def _panel_domains(count: int) -> list[list[float]]:
    """Vertical [bottom, top] of each panel, first on top, with a gap between them."""
    height = (1 - PANEL_GAP * (count - 1)) / count
    tops = [1 - i * (height + PANEL_GAP) for i in range(count)]
    return [[max(0.0, round(top - height, 6)), round(top, 6)] for top in tops]


def _panel_title(metrics: Sequence[str]) -> str:
    if metrics == [PRICE]:
        return "Price"
    return " & ".join(METRIC_STYLE[m][0] for m in metrics) + " /day"


def _time_x() -> dict[str, Any]:
    """Daily values: the hover names the UTC day (no axis title: a phone has no room for it)."""
    return titled_axis("") | {"hoverformat": DAY_HOVER}


def _axis_key(axis: str) -> str:
    """Trace axis name to layout key: 'y' -> 'yaxis', 'y3' -> 'yaxis3'."""
    return "yaxis" + axis[1:]
