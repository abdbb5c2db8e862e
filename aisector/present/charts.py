"""Plotly figures for the dashboard and the snapshot report (``write_html``): no streamlit, no I/O.

Every builder takes the tables of ``aisector.analytics.views`` plus the sector labels and colours of the
sectors file, so a sector has the same colour in every chart. The style is spelled out here, in
the values of ``theme``, rather than taken from a plotly template: a template costs ~25 ms per
figure, on every page load. The colours that depend on the page come from a ``ChartStyle``
argument: ``PAPER`` spells them out for the report, ``APP`` leaves them to the dashboard's light
or dark theme.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from aisector.analytics.flows import CAP_CHANGE_USD, SHARE_POINTS, SOURCE_SECTOR, TARGET_SECTOR
from aisector.analytics.index import BASE_LEVEL, LEVEL, METHOD
from aisector.analytics.rotation import (
    CENTRE,
    IMPROVING,
    LAGGING,
    LEADING,
    QUADRANT,
    RS_MOMENTUM,
    RS_RATIO,
    WEAKENING,
)
from aisector.analytics.shares import DAY_START, SHARE_CHANGE
from aisector.analytics.tables import CHANGE, CONTRIBUTION, SECTORS, TURNOVER
from aisector.core.events import Event
from aisector.core.schema import COIN_ID, MARKET_CAP, SECTOR, SYMBOL, TIMESTAMP
from aisector.present import theme
from aisector.present.labels import chart_text, method_label

HEIGHT = 380
DIVERGING_SCALE = [[0.0, theme.LOSS], [0.5, theme.NEUTRAL], [1.0, theme.GAIN]]
BAR_HEIGHT = 34
TIME_AXIS = "Time (UTC)"
UTC_HOVER = "%Y-%m-%d %H:%M UTC"
ROOT, ROOT_LABEL = "all", "All sectors shown"


@dataclass(frozen=True)
class ChartStyle:
    """The font and colours that depend on the page around a chart; ``None`` leaves one to the
    app theme."""

    font: str | None
    text: str | None
    muted: str | None
    grid: str | None
    label_background: str


PAPER = ChartStyle(
    theme.FONT, theme.TEXT, theme.MUTED, theme.LINE, theme.rgba(theme.LIGHT.background_color, 0.75)
)
"""Light colours spelled out, so the report's HTML and PNG files look the same anywhere."""
APP = ChartStyle(None, None, None, None, "rgba(128,128,128,0.22)")
"""For ``st.plotly_chart(theme="streamlit")``: text and grid follow the user's light/dark theme."""


def index_chart(
    index: pd.DataFrame,
    method: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    events: Sequence[Event] = (),
    style: ChartStyle = PAPER,
) -> go.Figure:
    """One line per sector for one index method, base 100: who led over the window."""
    rows = index[index[METHOD] == method]
    traces = [
        go.Scatter(
            x=series[TIMESTAMP],
            y=series[LEVEL],
            name=_name(labels, sector),
            mode="lines",
            line={"color": colors.get(sector, theme.FALLBACK), "width": 2.2},
            hovertemplate="%{y:.2f}",
        )
        for sector, series in rows.groupby(SECTOR, sort=False)
    ]
    start = rows[TIMESTAMP].min()
    title = f"Sector index · {method_label(method)}"
    subtitle = f"Base 100 at {start:%Y-%m-%d %H:%M} UTC"
    y_axis = titled_axis("Index level (base 100)")
    layout = fixed_margins(chart_layout(title, _time_axis(), y_axis, "x unified", style, subtitle))
    lines, notes = event_marks(events, rows[TIMESTAMP], style)
    layout |= {"shapes": [_base_line(), *lines], "annotations": notes}
    return go.Figure(data=traces, layout=layout)


def share_chart(
    rotation: pd.DataFrame,
    column: str,
    title: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    events: Sequence[Event] = (),
    style: ChartStyle = PAPER,
    share_of: str = "Share of selected sectors",
) -> go.Figure:
    """Stacked shares per sector over time (the rotation): where the volume or value sits.
    Sectors without a share (outside the share universe) are left out."""
    rotation = rotation[rotation.groupby(SECTOR, sort=False)[column].transform("count") > 0]
    traces = [
        go.Scatter(
            x=series[TIMESTAMP],
            y=series[column],
            name=_name(labels, sector),
            mode="lines",
            stackgroup="share",
            line={"color": colors.get(sector, theme.FALLBACK), "width": 0.8},
            fillcolor=colors.get(sector, theme.FALLBACK),
            hovertemplate="%{y:.1%}",
        )
        for sector, series in rotation.groupby(SECTOR, sort=False)
    ]
    y_axis = titled_axis(share_of) | {"tickformat": ".0%", "range": [0, 1]}
    layout = fixed_margins(chart_layout(title, _time_axis(), y_axis, "x unified", style))
    lines, notes = event_marks(events, rotation[TIMESTAMP], style)
    layout |= {"shapes": lines, "annotations": notes}
    return go.Figure(data=traces, layout=layout)


def rotation_graph(
    points: pd.DataFrame,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    title: str = "Relative rotation graph",
    ratio_title: str = "RS-ratio (100 = usual strength vs the benchmark)",
    style: ChartStyle = PAPER,
) -> go.Figure:
    """RS-ratio against RS-momentum, a tail per sector: who leads, who is turning (an RRG)."""
    traces = [
        _rotation_tail_trace(series, _name(labels, sector), colors.get(sector, theme.FALLBACK))
        for sector, series in points.groupby(SECTOR, sort=False)
    ]
    reach = _centre_reach(points)
    x_axis = titled_axis(ratio_title)
    y_axis = titled_axis("RS-momentum (100 = RS-ratio changing as usual)")
    layout = chart_layout(title, x_axis, y_axis, "closest", style)
    layout["xaxis"] |= {"range": [CENTRE - reach, CENTRE + reach]}
    layout["yaxis"] |= {"range": [CENTRE - reach, CENTRE + reach]}
    layout |= {"shapes": _centre_lines(), "annotations": _quadrant_labels(style), "height": 560}
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
        customdata=[
            (time, quadrant, name)  # the name as data: inside the template "%{" would be code
            for time, quadrant in zip(
                series[TIMESTAMP].dt.strftime(UTC_HOVER), series[QUADRANT], strict=True
            )
        ],
        hovertemplate=(
            "<b>%{customdata[2]}</b> · %{customdata[1]}<br>%{customdata[0]}<br>"
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
    line = {"color": theme.FALLBACK, "width": 1, "dash": "dot"}
    vertical = {"type": "line", "xref": "x", "x0": CENTRE, "x1": CENTRE, "yref": "paper"}
    horizontal = {"type": "line", "yref": "y", "y0": CENTRE, "y1": CENTRE, "xref": "paper"}
    return [
        vertical | {"y0": 0, "y1": 1, "line": line},
        horizontal | {"x0": 0, "x1": 1, "line": line},
    ]


def _quadrant_labels(style: ChartStyle) -> list[dict[str, Any]]:
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
            "font": {"color": style.muted, "size": 14},
        }
        for name, (x, y) in corners.items()
    ]


EVENT_GAP_SHARE = 1 / 12  # events closer than this share of the time axis get another row
EVENT_ROW_PX = 22  # between rows of marks: a mark is ~19 px high (11 px bold text, padding)


def shown_events(events: Sequence[Event], times: pd.Series) -> list[tuple[int, Event]]:
    """The events inside the charted time range with their numbers, oldest first. An event's
    number is its place in the whole events list, so it is the same on every chart."""
    if times.empty:
        return []
    start, end = times.min(), times.max()
    return [(n, e) for n, e in enumerate(events, start=1) if start <= e.timestamp <= end]


def event_rows(stamps: Sequence[pd.Timestamp], span: pd.Timedelta) -> list[int]:
    """A row per event so that two labels closer than ``EVENT_GAP_SHARE`` of the axis never
    share one: the lowest row whose last label is far enough back, else a new row (greedy,
    oldest first)."""
    gap = span * EVENT_GAP_SHARE
    last: list[pd.Timestamp] = []
    rows = []
    for stamp in stamps:
        row = next((r for r, t in enumerate(last) if stamp - t >= gap), len(last))
        last[row : row + 1] = [stamp]
        rows.append(row)
    return rows


def event_key(events: Sequence[Event], times: pd.Series) -> str:
    """'Events: 1 TRUMP launch (17 Jan) · 2 …': what each numbered event mark stands for."""
    keys = [
        f"{n} {e.label} ({e.timestamp:%d %b %H:%M} UTC)".replace(" 00:00 UTC", "")
        for n, e in shown_events(events, times)
    ]
    return "Events: " + " · ".join(keys) if keys else ""


def event_marks(
    events: Sequence[Event], times: pd.Series, style: ChartStyle, above: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Dashed vertical lines, each topped by its number (``event_key`` says what it stands for;
    hovering the number shows it too). Numbers of close events sit in rows below each other,
    so no two labels overlap at any width: the rows depend on the time span, not the pixels.
    ``above`` puts the numbers over the plot (rows stacked upwards), off a heatmap's cells."""
    shown = shown_events(events, times)
    if not shown:
        return [], []
    line = {"color": theme.MUTED, "width": 1, "dash": "dash"}
    lines = [
        {"type": "line", "xref": "x", "yref": "paper", "x0": e.timestamp, "x1": e.timestamp}
        | {"y0": 0, "y1": 1, "line": line}
        for _, e in shown
    ]
    rows = event_rows([e.timestamp for _, e in shown], times.max() - times.min())
    notes = [
        {
            "text": f"<b>{n}</b>",
            "hovertext": chart_text(e.label),
            "x": e.timestamp,
            "xref": "x",
            "y": 1,
            "yshift": EVENT_ROW_PX * row * (1 if above else -1),
            "yref": "paper",
            "xanchor": "center",
            "yanchor": "bottom" if above else "top",
            "showarrow": False,
            "bgcolor": style.label_background,
            "borderpad": 2,
            "font": {"color": style.muted, "size": 11},
        }
        for (n, e), row in zip(shown, rows, strict=True)
    ]
    return lines, notes


def share_steps_heatmap(
    steps: pd.DataFrame,
    labels: Mapping[str, str],
    events: Sequence[Event] = (),
    style: ChartStyle = PAPER,
    title: str = "Where the 24h volume went, day by day",
) -> go.Figure:
    """Sector × day: the change of each sector's volume share over each day, in points (green
    gained share, red lost it). Sectors without any share (outside the universe) are left out."""
    known = steps.groupby(SECTOR, sort=False)[SHARE_CHANGE].transform(lambda s: s.notna().any())
    shown = steps[known]
    grid = shown.pivot(index=SECTOR, columns=DAY_START, values=SHARE_CHANGE)
    grid = grid.reindex(pd.unique(shown[SECTOR])) * 100
    days = grid.columns
    reach = max(float(abs(grid).max().max()), 1.0) if grid.notna().any().any() else 1.0
    names = [_name(labels, sector) for sector in grid.index]
    text = [[_points_text(v) for v in row] for row in grid.to_numpy()]
    dates = [f"{d:%a %d %b}" for d in days]
    heatmap = go.Heatmap(
        z=grid.to_numpy(),
        x=days + pd.Timedelta(hours=12),  # a cell spans its day
        y=names,
        zmin=-reach,
        zmax=reach,
        zmid=0.0,
        colorscale=DIVERGING_SCALE,
        showscale=False,  # the cells print their points
        text=text,
        texttemplate="%{text}",
        textfont={"size": 11},
        customdata=[dates for _ in names],
        hovertemplate="%{y} · %{customdata}: %{z:+.1f} pts<extra></extra>",
        xgap=1,
        ygap=1,
        hoverongaps=False,
    )
    x_axis = titled_axis("") | {"showgrid": False, "hoverformat": "%d %b", "tickformat": "%d %b"}
    y_axis = titled_axis("") | {"autorange": "reversed", "showgrid": False}
    subtitle = "Change in share points of each UTC day's volume vs the day before"
    layout = chart_layout(title, x_axis, y_axis, "closest", style, subtitle)
    centres = pd.Series(days + pd.Timedelta(hours=12))
    lines, notes = event_marks(events, centres, style, above=True)
    rows = max((n["yshift"] // EVENT_ROW_PX + 1 for n in notes), default=0)
    layout |= {
        "shapes": lines,
        "annotations": notes,
        "height": 120 + 36 * len(names) + EVENT_ROW_PX * rows,
        "margin": layout["margin"] | {"t": 70 + EVENT_ROW_PX * rows},
    }
    return go.Figure(data=[heatmap], layout=layout)


def _points_text(points: float) -> str:
    """A cell's share change printed only when it matters (1 point or more), e.g. '+13'."""
    return f"{points:+.0f}" if pd.notna(points) and abs(points) >= 1 else ""


def contributions_chart(
    contributions: pd.DataFrame,
    sector_label: str,
    window: str,
    style: ChartStyle = PAPER,
) -> go.Figure:
    """A waterfall of each member's contribution (cap weight at start × price move), largest
    first, ending in their sum: the sector's buy-and-hold cap-weighted return."""
    counted = contributions.dropna(subset=[CONTRIBUTION])
    symbols = [chart_text(s) for s in counted[SYMBOL]]
    total = float(counted[CONTRIBUTION].sum()) if not counted.empty else float("nan")
    waterfall = go.Waterfall(
        x=[*symbols, "Sector"],
        y=[*counted[CONTRIBUTION], total],
        measure=["relative"] * len(symbols) + ["total"],
        texttemplate="%{y:+.2%}",
        textposition="outside",
        cliponaxis=False,
        increasing={"marker": {"color": theme.GAIN}},
        decreasing={"marker": {"color": theme.LOSS}},
        totals={"marker": {"color": theme.FALLBACK}},
        connector={"line": {"color": theme.FALLBACK, "width": 1, "dash": "dot"}},
        hovertemplate="%{x}: %{y:+.2%}<extra></extra>",
    )
    left_out = len(contributions) - len(counted)
    subtitle = (
        "Cap weight at the window start × price move; the bars add up to "
        f"{_hover_percent(total, '+')}"
    )
    if left_out:
        subtitle += f" · {left_out} member(s) without a price or cap at the start left out"
    y_axis = titled_axis(f"Contribution to the {window} return") | {"tickformat": ".0%"}
    title = f"{chart_text(sector_label)}: contributions · {window}"
    layout = chart_layout(title, titled_axis(""), y_axis, "closest", style, subtitle)
    layout |= {"showlegend": False}
    return go.Figure(data=[waterfall], layout=layout)


def movers_chart(
    movers: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    style: ChartStyle = PAPER,
) -> go.Figure:
    """Biggest gainers and losers as bars coloured by (first) sector, best on top."""
    ranked = movers.sort_values(CHANGE, kind="stable")
    symbols = ranked[SYMBOL].map(chart_text)
    first_sector = ranked[SECTORS].str.split(";").str[0]
    present = set(first_sector)
    traces = [
        go.Bar(
            x=ranked[CHANGE][first_sector == sector],
            y=symbols[first_sector == sector],
            orientation="h",
            name=chart_text(labels.get(sector, sector or "no sector")),
            marker={"color": colors.get(sector, theme.FALLBACK)},
            texttemplate="%{x:+.1%}",
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:+.2%}<extra></extra>",
        )
        for sector in [*(s for s in labels if s in present), *sorted(present - set(labels))]
    ]
    x_axis = titled_axis(f"Price change over {window}") | {
        "tickformat": ".0%",
        "range": _padded_range(ranked[CHANGE]),
    }
    y_axis = titled_axis("Token") | {"categoryorder": "array", "categoryarray": list(symbols)}
    layout = chart_layout(f"Top movers · {window}", x_axis, y_axis, "closest", style)
    layout |= {"bargap": 0.25, "height": max(HEIGHT, BAR_HEIGHT * len(ranked) + 140)}
    return go.Figure(data=traces, layout=layout)


def cap_change_chart(
    cap_changes: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    style: ChartStyle = PAPER,
) -> go.Figure:
    """Each sector's market-cap change in USD over the window: where value was added or lost."""
    names = [_name(labels, s) for s in cap_changes[SECTOR]]
    bar = go.Bar(
        x=names,
        y=cap_changes[CAP_CHANGE_USD],
        marker={"color": [colors.get(s, theme.FALLBACK) for s in cap_changes[SECTOR]]},
        texttemplate="%{y:$.3s}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x}: %{y:$,.0f}<extra></extra>",
    )
    y_axis = titled_axis("Market-cap change (USD)") | {"tickformat": "$.2s"}
    title = f"Market-cap change by sector · {window}"
    layout = chart_layout(title, titled_axis("Sector"), y_axis, "closest", style)
    layout |= {"showlegend": False}
    return go.Figure(data=[bar], layout=layout)


def flow_sankey(
    flows: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
    colors: Mapping[str, str],
    style: ChartStyle = PAPER,
) -> go.Figure:
    """ESTIMATED volume-share flows from losing to gaining sectors (pro rata), in share points."""
    sources = [f"from:{s}" for s in pd.unique(flows[SOURCE_SECTOR])]
    targets = [f"to:{s}" for s in pd.unique(flows[TARGET_SECTOR])]
    nodes = pd.Index([*sources, *targets])
    sectors = [node.split(":", 1)[1] for node in nodes]
    link_values = flows[SHARE_POINTS] * 100
    sankey = go.Sankey(
        node={
            "label": [_name(labels, s) for s in sectors],
            "color": [colors.get(s, theme.FALLBACK) for s in sectors],
            "pad": 18,
            "hovertemplate": "%{label}: %{value:.2f} pts<extra></extra>",
        },
        link={
            "source": nodes.get_indexer("from:" + flows[SOURCE_SECTOR]),
            "target": nodes.get_indexer("to:" + flows[TARGET_SECTOR]),
            "value": link_values,
            "color": theme.rgba(theme.FALLBACK, 0.45),
            "hovertemplate": "%{source.label} → %{target.label}: "
            "%{value:.2f} pts (estimate)<extra></extra>",
        },
        valueformat=".2f",
        valuesuffix=" pts",
        textfont={"size": 13, "weight": 600, "color": style.text},  # the default reads faint
    )
    title = "Flow of 24h-volume share (estimate)"
    subtitle = f"{window} · from losing to gaining sectors, pro rata"
    layout = chart_layout(title, titled_axis(""), titled_axis(""), "closest", style, subtitle)
    return go.Figure(data=[sankey], layout=layout)


def token_treemap(
    tokens: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
    style: ChartStyle = PAPER,
) -> go.Figure:
    """Tokens sized by market cap, coloured by the window's move, grouped by first sector."""
    shown = tokens[(tokens[MARKET_CAP] > 0) & (tokens[SECTORS] != "")]
    first = shown[SECTORS].str.split(";").str[0]
    sectors = list(pd.unique(first))
    leaf_hover = [
        f"<b>{chart_text(symbol)}</b><br>Market cap ${cap:,.0f}<br>{window} move {_hover_percent(move, '+')}"
        f"<br>Turnover {_hover_percent(turnover, '')}"
        for symbol, cap, move, turnover in zip(
            shown[SYMBOL], shown[MARKET_CAP], shown[CHANGE], shown[TURNOVER], strict=True
        )
    ]
    # One explicit root: an implicit one is drawn as a dark grey frame around the sectors.
    treemap = go.Treemap(
        ids=[ROOT, *(f"sector:{s}" for s in sectors), *(f"coin:{c}" for c in shown[COIN_ID])],
        labels=[ROOT_LABEL, *(_name(labels, s) for s in sectors), *shown[SYMBOL].map(chart_text)],
        parents=["", *(ROOT for _ in sectors), *(f"sector:{s}" for s in first)],
        values=[0.0, *(0.0 for _ in sectors), *shown[MARKET_CAP]],
        hovertext=[ROOT_LABEL, *(_name(labels, s) for s in sectors), *leaf_hover],
        hoverinfo="text",
        marker={
            "colors": [0.0, *(0.0 for _ in sectors), *shown[CHANGE].fillna(0.0)],
            "colorscale": DIVERGING_SCALE,
            "cmid": 0.0,
            "colorbar": _colorbar("+.0%"),
        },
        texttemplate="%{label}",
    )
    layout = chart_layout("Tokens by market cap", {}, {}, "closest", style, f"Colour = {window} move")
    layout |= {"height": 520}
    return go.Figure(data=[treemap], layout=layout)


def _name(labels: Mapping[str, str], sector: str) -> str:
    """A sector's label as chart text (plotly would read tags in it as markup)."""
    return chart_text(labels.get(sector, sector))


def _hover_percent(fraction: float, sign: str) -> str:
    """A fraction as percent with two decimals for hover text; – when missing."""
    return "—" if pd.isna(fraction) else f"{fraction * 100:{sign}.2f}%"


def correlation_heatmap(
    correlation: pd.DataFrame,
    window: str,
    labels: Mapping[str, str],
    style: ChartStyle = PAPER,
) -> go.Figure:
    """The sectors' return correlation matrix with the values written in: who moves together."""
    names = [_name(labels, s) for s in correlation.columns]
    heatmap = go.Heatmap(
        z=correlation.to_numpy(),
        x=names,
        y=names,
        zmin=-1.0,
        zmax=1.0,
        zmid=0.0,
        colorscale=DIVERGING_SCALE,
        colorbar=_colorbar(".1f"),
        texttemplate="%{z:.2f}",
        hovertemplate="%{y} × %{x}: %{z:.3f}<extra></extra>",
    )
    y_axis = titled_axis("") | {"autorange": "reversed", "showgrid": False}
    x_axis = titled_axis("") | {"showgrid": False}
    subtitle = "Of the cap-weighted index returns, step by step"
    layout = chart_layout(f"Sector correlation · {window}", x_axis, y_axis, "closest", style, subtitle)
    return go.Figure(data=[heatmap], layout=layout)


def _colorbar(tickformat: str) -> dict[str, Any]:
    """A slim colour scale along the bottom: on a phone a vertical one takes a fifth of the width.
    No title: the chart's subtitle or its printed values say what the colour is."""
    return {
        "orientation": "h",
        "tickformat": tickformat,
        "tickangle": 0,
        "nticks": 5,
        "x": 0,
        "xanchor": "left",
        "len": 240,
        "lenmode": "pixels",
        "yref": "container",
        "y": 0,
        "yanchor": "bottom",
        "thickness": 10,
        "outlinewidth": 0,
    }


def _padded_range(values: pd.Series, pad: float = 0.3) -> list[float]:
    """An axis range that includes zero and leaves room for the bar labels on both sides."""
    low, high = min(0.0, values.min()), max(0.0, values.max())
    span = (high - low) or 1.0
    return [low - pad * span * (low < 0), high + pad * span * (high > 0)]


def chart_layout(
    title: str,
    x_axis: dict[str, Any],
    y_axis: dict[str, Any],
    hovermode: str,
    style: ChartStyle,
    subtitle: str = "",
) -> dict[str, Any]:
    """The house style: transparent plot, title top left, legend below, so neither covers the
    plot on a narrow phone: both sit in the margins and push them as far as they need."""
    return {
        "template": "none",
        "title": {
            "text": title,
            "subtitle": {"text": subtitle, "font": {"color": style.muted, "size": 13}},
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "automargin": True,
            "pad": {"t": 6, "b": 12},
            "font": {"size": 16, "weight": 600},
        },
        "font": {"family": style.font, "color": style.text, "size": 13},
        "height": HEIGHT,
        "margin": {"l": 10, "r": 20, "t": 20, "b": 10},
        "legend": {
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "x": 0,
            "traceorder": "normal",
        },
        "hovermode": hovermode,
        "hoverlabel": {"font": {"family": style.font}},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": painted_axis(x_axis, style),
        "yaxis": painted_axis(y_axis, style),
    }


TIME_CHART_MARGIN = {"l": 72, "r": 16, "t": 76, "b": 112}


def fixed_margins(layout: dict[str, Any]) -> dict[str, Any]:
    """The layout with fixed margins instead of automatic ones, for the charts every rerun
    redraws: each automatic margin makes plotly draw the chart again until the margins settle,
    which doubled the rerun in the browser. Room for the title and subtitle on top, the tick
    labels and axis title on the left, and the axis title and a legend of up to three rows at
    the bottom (a phone wraps four sectors into two)."""
    title = layout["title"] | {"automargin": False, "y": 1, "yanchor": "top", "pad": {"t": 8}}
    axes = {
        name: layout[name] | {"automargin": False} for name in ("xaxis", "yaxis") if layout[name]
    }
    return layout | axes | {"title": title, "margin": TIME_CHART_MARGIN}


def titled_axis(title: str) -> dict[str, Any]:
    """A titled axis with a grid, no lines or ticks, and some room around the tick labels."""
    return {
        "title": {"text": title, "font": {"size": 13}, "standoff": 12},
        "automargin": True,
        "showgrid": True,
        "zeroline": False,
        "showline": False,
        "ticks": "",
        "ticklabelstandoff": 6,
        "tickfont": {"size": 12},
    }


def painted_axis(axis: dict[str, Any], style: ChartStyle) -> dict[str, Any]:
    """The axis with the style's grid colour and muted title and tick labels (none without axes)."""
    if not axis:
        return axis
    title = axis["title"] | {"font": axis["title"]["font"] | {"color": style.muted}}
    tickfont = axis["tickfont"] | {"color": style.muted}
    return axis | {"title": title, "tickfont": tickfont, "gridcolor": style.grid}


def _time_axis() -> dict[str, Any]:
    """An x axis of UTC times that shows the exact hour on hover."""
    return titled_axis(TIME_AXIS) | {"hoverformat": UTC_HOVER}


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
        "line": {"color": theme.FALLBACK, "width": 1, "dash": "dot"},
    }
