"""Plotly figures for the dashboard and the snapshot report (``write_html``): no streamlit, no I/O.

Every builder takes the tables of ``aisector.views`` plus the sector labels and colours of the
sectors file, so a sector has the same colour in every chart. The style is spelled out here
rather than taken from a plotly template: a template costs ~25 ms per figure, on every page load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from aisector.events import Event
from analytics.flows import CAP_CHANGE_USD, SHARE_POINTS, SOURCE_SECTOR, TARGET_SECTOR
from analytics.index import BASE_LEVEL, LEVEL, METHOD
from analytics.rotation import (
    CENTRE,
    IMPROVING,
    LAGGING,
    LEADING,
    QUADRANT,
    RS_MOMENTUM,
    RS_RATIO,
    WEAKENING,
)
from analytics.schema import COIN_ID, MARKET_CAP, SECTOR, SYMBOL, TIMESTAMP
from analytics.tables import CHANGE, SECTORS, TURNOVER
from dashboard.labels import method_label

FONT = "'Source Sans Pro', 'Source Sans 3', 'Segoe UI', Helvetica, Arial, sans-serif"
TEXT_COLOR = "#1e293b"
MUTED_COLOR = "#64748b"
GRID_COLOR = "#e2e8f0"
FALLBACK_COLOR = "#94a3b8"
HEIGHT = 380
GAIN_COLOR = "#15803d"
LOSS_COLOR = "#b91c1c"
DIVERGING_SCALE = [[0.0, LOSS_COLOR], [0.5, "#f8fafc"], [1.0, GAIN_COLOR]]
BAR_HEIGHT = 34
TIME_AXIS = "Time (UTC)"
UTC_HOVER = "%Y-%m-%d %H:%M UTC"


def index_chart(
    index: pd.DataFrame,
    method: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    events: Sequence[Event] = (),
) -> go.Figure:
    """One line per sector for one index method, base 100: who led over the window."""
    rows = index[index[METHOD] == method]
    traces = [
        go.Scatter(
            x=series[TIMESTAMP],
            y=series[LEVEL],
            name=labels.get(sector, sector),
            mode="lines",
            line={"color": colors.get(sector, FALLBACK_COLOR), "width": 2.2},
            hovertemplate="%{y:.2f}",
        )
        for sector, series in rows.groupby(SECTOR, sort=False)
    ]
    start = rows[TIMESTAMP].min()
    title = f"Sector index · {method_label(method)} · base 100 at {start:%Y-%m-%d %H:%M} UTC"
    layout = _layout(title, _time_axis(), _axis("Index level (base 100)"), "x unified")
    lines, notes = _event_marks(events, rows[TIMESTAMP])
    layout |= {"shapes": [_base_line(), *lines], "annotations": notes}
    return go.Figure(data=traces, layout=layout)


def share_chart(
    rotation: pd.DataFrame,
    column: str,
    title: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    events: Sequence[Event] = (),
) -> go.Figure:
    """Stacked shares per sector over time (the rotation): where the volume or value sits."""
    traces = [
        go.Scatter(
            x=series[TIMESTAMP],
            y=series[column],
            name=labels.get(sector, sector),
            mode="lines",
            stackgroup="share",
            line={"color": colors.get(sector, FALLBACK_COLOR), "width": 0.8},
            fillcolor=colors.get(sector, FALLBACK_COLOR),
            hovertemplate="%{y:.1%}",
        )
        for sector, series in rotation.groupby(SECTOR, sort=False)
    ]
    y_axis = _axis("Share of selected sectors") | {"tickformat": ".0%", "range": [0, 1]}
    layout = _layout(title, _time_axis(), y_axis, "x unified")
    lines, notes = _event_marks(events, rotation[TIMESTAMP])
    layout |= {"shapes": lines, "annotations": notes}
    return go.Figure(data=traces, layout=layout)


def rotation_graph(
    points: pd.DataFrame, labels: Mapping[str, str], colors: Mapping[str, str]
) -> go.Figure:
    """RS-ratio against RS-momentum, a tail per sector: who leads, who is turning (an RRG)."""
    traces = [
        _rotation_tail_trace(series, labels.get(sector, sector), colors.get(sector, FALLBACK_COLOR))
        for sector, series in points.groupby(SECTOR, sort=False)
    ]
    reach = _centre_reach(points)
    x_axis = _axis("RS-ratio (100 = as strong as usual vs the benchmark)")
    y_axis = _axis("RS-momentum (100 = RS-ratio changing as usual)")
    layout = _layout("Relative rotation graph", x_axis, y_axis, "closest")
    layout["xaxis"] |= {"range": [CENTRE - reach, CENTRE + reach]}
    layout["yaxis"] |= {"range": [CENTRE - reach, CENTRE + reach]}
    layout |= {"shapes": _centre_lines(), "annotations": _quadrant_labels(), "height": 560}
    return go.Figure(data=traces, layout=layout)


def _rotation_tail_trace(series: pd.DataFrame, name: str, color: str) -> go.Scatter:
    """One sector's tail, oldest to newest, with a large marker on the latest point."""
    sizes = [5] * (len(series) - 1) + [13]
    return go.Scatter(
        x=series[RS_RATIO],
        y=series[RS_MOMENTUM],
        name=name,
        mode="lines+markers",
        line={"color": color, "width": 2},
        marker={"color": color, "size": sizes, "line": {"color": "white", "width": 1}},
        customdata=list(
            zip(series[TIMESTAMP].dt.strftime(UTC_HOVER), series[QUADRANT], strict=True)
        ),
        hovertemplate=(
            f"<b>{name}</b> · %{{customdata[1]}}<br>%{{customdata[0]}}<br>"
            "RS-ratio %{x:.3f}<br>RS-momentum %{y:.3f}<extra></extra>"
        ),
    )


def _centre_reach(points: pd.DataFrame, floor: float = 1.0) -> float:
    """Half the axis span, the same on both axes so the centre (100, 100) sits in the middle."""
    values = points[[RS_RATIO, RS_MOMENTUM]].to_numpy()
    farthest = abs(values - CENTRE).max() if values.size else 0.0
    return max(floor, 1.15 * farthest)


def _centre_lines() -> list[dict[str, Any]]:
    """Lines at RS-ratio 100 and RS-momentum 100 that split the four quadrants."""
    line = {"color": FALLBACK_COLOR, "width": 1, "dash": "dot"}
    vertical = {"type": "line", "xref": "x", "x0": CENTRE, "x1": CENTRE, "yref": "paper"}
    horizontal = {"type": "line", "yref": "y", "y0": CENTRE, "y1": CENTRE, "xref": "paper"}
    return [
        vertical | {"y0": 0, "y1": 1, "line": line},
        horizontal | {"x0": 0, "x1": 1, "line": line},
    ]


def _quadrant_labels() -> list[dict[str, Any]]:
    """The quadrant names in the plot's corners, clockwise from top right."""
    corners = {LEADING: (1, 1), WEAKENING: (1, 0), LAGGING: (0, 0), IMPROVING: (0, 1)}
    return [
        {
            "text": f"<b>{name}</b>",
            "xref": "paper",
            "yref": "paper",
            "x": x,
            "y": y,
            "xanchor": "right" if x else "left",
            "yanchor": "top" if y else "bottom",
            "showarrow": False,
            "font": {"color": MUTED_COLOR, "size": 14},
        }
        for name, (x, y) in corners.items()
    ]


def _event_marks(
    events: Sequence[Event], times: pd.Series
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Dashed vertical lines with labels for the events inside the charted time range."""
    if times.empty:
        return [], []
    start, end = times.min(), times.max()
    shown = [e for e in events if start <= e.timestamp <= end]
    line = {"color": MUTED_COLOR, "width": 1, "dash": "dash"}
    lines = [
        {"type": "line", "xref": "x", "yref": "paper", "x0": e.timestamp, "x1": e.timestamp}
        | {"y0": 0, "y1": 1, "line": line}
        for e in shown
    ]
    notes = [
        {
            "text": e.label,
            "x": e.timestamp,
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "textangle": -90,
            "xanchor": "right",
            "yanchor": "top",
            "showarrow": False,
            "bgcolor": "rgba(255,255,255,0.75)",
            "font": {"color": MUTED_COLOR, "size": 11},
        }
        for e in shown
    ]
    return lines, notes


def movers_chart(
    movers: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
) -> go.Figure:
    """Biggest gainers and losers as bars coloured by (first) sector, best on top."""
    ranked = movers.sort_values(CHANGE, kind="stable")
    first_sector = ranked[SECTORS].str.split(";").str[0]
    present = set(first_sector)
    traces = [
        go.Bar(
            x=ranked[CHANGE][first_sector == sector],
            y=ranked[SYMBOL][first_sector == sector],
            orientation="h",
            name=labels.get(sector, sector or "no sector"),
            marker={"color": colors.get(sector, FALLBACK_COLOR)},
            texttemplate="%{x:+.1%}",
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:+.2%}<extra></extra>",
        )
        for sector in [*(s for s in labels if s in present), *sorted(present - set(labels))]
    ]
    x_axis = _axis(f"Price change over {window}") | {
        "tickformat": ".0%",
        "range": _padded_range(ranked[CHANGE]),
    }
    y_axis = _axis("Token") | {"categoryorder": "array", "categoryarray": list(ranked[SYMBOL])}
    layout = _layout(f"Top movers · {window}", x_axis, y_axis, "closest")
    layout |= {"bargap": 0.25, "height": max(HEIGHT, BAR_HEIGHT * len(ranked) + 140)}
    return go.Figure(data=traces, layout=layout)


def cap_change_chart(
    cap_changes: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
) -> go.Figure:
    """Each sector's market-cap change in USD over the window: where value was added or lost."""
    names = [labels.get(s, s) for s in cap_changes[SECTOR]]
    bar = go.Bar(
        x=names,
        y=cap_changes[CAP_CHANGE_USD],
        marker={"color": [colors.get(s, FALLBACK_COLOR) for s in cap_changes[SECTOR]]},
        texttemplate="%{y:$.3s}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x}: %{y:$,.0f}<extra></extra>",
    )
    y_axis = _axis("Market-cap change (USD)") | {"tickformat": "$.2s"}
    layout = _layout(f"Market-cap change by sector · {window}", _axis("Sector"), y_axis, "closest")
    layout |= {"showlegend": False}
    return go.Figure(data=[bar], layout=layout)


def flow_sankey(
    flows: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
) -> go.Figure:
    """ESTIMATED volume-share flows from losing to gaining sectors (pro rata), in share points."""
    sources = [f"from:{s}" for s in pd.unique(flows[SOURCE_SECTOR])]
    targets = [f"to:{s}" for s in pd.unique(flows[TARGET_SECTOR])]
    nodes = pd.Index([*sources, *targets])
    sectors = [node.split(":", 1)[1] for node in nodes]
    link_values = flows[SHARE_POINTS] * 100
    sankey = go.Sankey(
        node={
            "label": [labels.get(s, s) for s in sectors],
            "color": [colors.get(s, FALLBACK_COLOR) for s in sectors],
            "pad": 18,
            "hovertemplate": "%{label}: %{value:.2f} pts<extra></extra>",
        },
        link={
            "source": nodes.get_indexer("from:" + flows[SOURCE_SECTOR]),
            "target": nodes.get_indexer("to:" + flows[TARGET_SECTOR]),
            "value": link_values,
            "color": "rgba(148,163,184,0.45)",
            "hovertemplate": "%{source.label} → %{target.label}: "
            "%{value:.2f} pts (estimate)<extra></extra>",
        },
        valueformat=".2f",
        valuesuffix=" pts",
    )
    title = f"Estimated flow of 24h-volume share · {window} (estimate, pro rata)"
    layout = _layout(title, _axis(""), _axis(""), "closest")
    return go.Figure(data=[sankey], layout=layout)


def token_treemap(
    tokens: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
) -> go.Figure:
    """Tokens sized by market cap, coloured by the window's move, grouped by first sector."""
    shown = tokens[(tokens[MARKET_CAP] > 0) & (tokens[SECTORS] != "")]
    first = shown[SECTORS].str.split(";").str[0]
    sectors = list(pd.unique(first))
    leaf_hover = [
        f"<b>{symbol}</b><br>Market cap ${cap:,.0f}<br>{window} move {_hover_percent(move, '+')}"
        f"<br>Turnover {_hover_percent(turnover, '')}"
        for symbol, cap, move, turnover in zip(
            shown[SYMBOL], shown[MARKET_CAP], shown[CHANGE], shown[TURNOVER], strict=True
        )
    ]
    treemap = go.Treemap(
        ids=[f"sector:{s}" for s in sectors] + [f"coin:{c}" for c in shown[COIN_ID]],
        labels=[*(labels.get(s, s) for s in sectors), *shown[SYMBOL]],
        parents=["" for _ in sectors] + [f"sector:{s}" for s in first],
        values=[0.0 for _ in sectors] + list(shown[MARKET_CAP]),
        hovertext=[labels.get(s, s) for s in sectors] + leaf_hover,
        hoverinfo="text",
        marker={
            "colors": [0.0 for _ in sectors] + list(shown[CHANGE].fillna(0.0)),
            "colorscale": DIVERGING_SCALE,
            "cmid": 0.0,
            "colorbar": {"title": {"text": f"{window} move"}, "tickformat": "+.0%"},
        },
        texttemplate="%{label}",
    )
    layout = _layout(f"Tokens by market cap · colour = {window} move", {}, {}, "closest")
    layout |= {"height": 520, "margin": {"l": 10, "r": 10, "t": 60, "b": 10}}
    return go.Figure(data=[treemap], layout=layout)


def _hover_percent(fraction: float, sign: str) -> str:
    """A fraction as percent with two decimals for hover text; – when missing."""
    return "–" if pd.isna(fraction) else f"{fraction * 100:{sign}.2f}%"


def correlation_heatmap(
    correlation: pd.DataFrame, window: str, labels: Mapping[str, str]
) -> go.Figure:
    """The sectors' return correlation matrix with the values written in: who moves together."""
    names = [labels.get(s, s) for s in correlation.columns]
    heatmap = go.Heatmap(
        z=correlation.to_numpy(),
        x=names,
        y=names,
        zmin=-1.0,
        zmax=1.0,
        zmid=0.0,
        colorscale=DIVERGING_SCALE,
        texttemplate="%{z:.2f}",
        hovertemplate="%{y} × %{x}: %{z:.3f}<extra></extra>",
    )
    title = f"Correlation of cap-weighted index step returns · {window}"
    y_axis = _axis("") | {"autorange": "reversed", "showgrid": False}
    layout = _layout(title, _axis("") | {"showgrid": False}, y_axis, "closest")
    return go.Figure(data=[heatmap], layout=layout)


def _padded_range(values: pd.Series, pad: float = 0.3) -> list[float]:
    """An axis range that includes zero and leaves room for the bar labels on both sides."""
    low, high = min(0.0, values.min()), max(0.0, values.max())
    span = (high - low) or 1.0
    return [low - pad * span * (low < 0), high + pad * span * (high > 0)]


def _layout(
    title: str, x_axis: dict[str, Any], y_axis: dict[str, Any], hovermode: str
) -> dict[str, Any]:
    """The house style: transparent plot, light grid, title top left, legend above the plot."""
    return {
        "template": "none",
        "title": {
            "text": title,
            "x": 0,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
            "font": {"size": 16, "weight": 600},
        },
        "font": {"family": FONT, "color": TEXT_COLOR, "size": 13},
        "height": HEIGHT,
        "margin": {"l": 10, "r": 20, "t": 95, "b": 10},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "x": 0,
            "traceorder": "normal",
        },
        "hovermode": hovermode,
        "hoverlabel": {"font": {"family": FONT}},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": x_axis,
        "yaxis": y_axis,
    }


def _axis(title: str) -> dict[str, Any]:
    """A titled axis with a light grid and muted tick labels."""
    return {
        "title": {"text": title, "font": {"color": MUTED_COLOR, "size": 13}, "standoff": 12},
        "automargin": True,
        "showgrid": True,
        "gridcolor": GRID_COLOR,
        "zeroline": False,
        "showline": False,
        "ticks": "",
        "ticklabelstandoff": 6,
        "tickfont": {"color": MUTED_COLOR, "size": 12},
    }


def _time_axis() -> dict[str, Any]:
    """An x axis of UTC times that shows the exact hour on hover."""
    return _axis(TIME_AXIS) | {"hoverformat": UTC_HOVER}


def _base_line() -> dict[str, Any]:
    """A dotted line at the index base, so above/below 100 reads at a glance."""
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": BASE_LEVEL,
        "y1": BASE_LEVEL,
        "line": {"color": FALLBACK_COLOR, "width": 1, "dash": "dot"},
    }
