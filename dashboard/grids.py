"""The tables as people read them: chosen columns, plain names, $ and % text, gains green.

Small fixed tables (sectors, movers) become Markdown text for ``st.table``: cheap to send and
quick to draw. The token grid stays numeric under a ``Styler`` so ``st.dataframe`` still sorts
by value. The CSV downloads use the raw tables, never these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from aisector.analytics.index import METHODS
from aisector.analytics.sector_stats import COUNTED, MARKET_CAP_CHANGE, MEMBERS, return_column
from aisector.analytics.shares import VOLUME_SHARE
from aisector.analytics.tables import (
    CHANGE,
    LABEL,
    SECTORS,
    TURNOVER,
    VOLUME_SHARE_CHANGE,
    by_window,
)
from aisector.analytics.usage import CAP_TO_REVENUE, REVENUE_SHARE
from aisector.core.periods import WINDOWS
from aisector.core.schema import (
    COIN_ID,
    MARKET_CAP,
    PRICE,
    PROTOCOL,
    SECTOR,
    SYMBOL,
    VOLUME,
)
from aisector.present import theme
from aisector.present.formatting import (
    MISSING,
    multiple,
    percent,
    signed_percent,
    usd_compact,
    usd_price,
)
from aisector.present.labels import (
    ACTIVITY_CHANGES,
    PROTOCOL_FIGURES,
    markdown_text,
    method_label,
    sector_names,
    with_protocol_names,
)
from aisector.present.missing import missing_notes

if TYPE_CHECKING:  # pandas imports the Styler (and jinja2) only when a page asks for one
    from pandas.io.formats.style import Styler

Formats = Mapping[str, Callable[[float], str]]


def token_grid(tokens: pd.DataFrame, labels: Mapping[str, str]) -> Styler:
    """Every token with price, cap, volume and its moves over each window (sortable)."""
    moves = {f"change_{w}": f"{w} change" for w in WINDOWS}
    names = {
        SYMBOL: "Token",
        COIN_ID: "CoinGecko id",
        SECTORS: "Sectors",
        PRICE: "Price",
        MARKET_CAP: "Market cap",
        VOLUME: "24h volume",
        **moves,
        TURNOVER: "Turnover (volume / cap)",
    }
    shown = _with_sector_names(tokens, labels)[list(names)].rename(columns=names)
    formats = {PRICE: usd_price, MARKET_CAP: usd_compact, VOLUME: usd_compact, TURNOVER: percent}
    formats |= dict.fromkeys(moves, signed_percent)
    return (
        shown.style.format({names[c]: f for c, f in formats.items()}, na_rep=MISSING)
        .map(_sign_color, subset=list(moves.values()))
        .hide(axis="index")
    )


def windows_grid(table: pd.DataFrame, method: str) -> Styler:
    """Each sector's market-cap change, ``method`` index return and volume-share change (in
    points) over 24h, 7d and 30d side by side; numeric under the Styler, so it sorts by value."""
    names = {LABEL: "Sector"}
    for w in WINDOWS:
        names |= {
            by_window(MARKET_CAP_CHANGE, w): f"Mkt cap {w}",
            by_window(return_column(method), w): f"Index {w}",
            by_window(VOLUME_SHARE_CHANGE, w): f"Vol. share {w}",
        }
    names = {column: name for column, name in names.items() if column in table}
    shown = table[list(names)].rename(columns=names)
    moves = [n for c, n in names.items() if c != LABEL and VOLUME_SHARE_CHANGE not in c]
    points = [n for c, n in names.items() if VOLUME_SHARE_CHANGE in c]
    formats = dict.fromkeys(moves, signed_percent) | dict.fromkeys(points, share_points)
    return (
        shown.style.format(formats, na_rep=MISSING)
        .map(_sign_color, subset=[*moves, *points])
        .hide(axis="index")
    )


def share_points(change: float) -> str:
    """A change of share as signed points, e.g. 0.0508 -> '+5.1 pts'."""
    return MISSING if pd.isna(change) else f"{change * 100:+.1f} pts"


def movers_table(movers: pd.DataFrame, window: str, labels: Mapping[str, str]) -> pd.DataFrame:
    """The biggest gainers and losers over the window, as text."""
    names = {
        SYMBOL: "Token",
        SECTORS: "Sectors",
        CHANGE: f"{window} change",
        PRICE: "Price",
        MARKET_CAP: "Market cap",
    }
    formats = {CHANGE: colored_percent, PRICE: usd_price, MARKET_CAP: usd_compact}
    return _as_text(_with_sector_names(movers, labels), names, formats)


def sector_table(sectors: pd.DataFrame) -> pd.DataFrame:
    """One row per sector: members counted, market cap and its change, index returns, volume."""
    returns = {return_column(m): method_label(m) for m in METHODS if return_column(m) in sectors}
    names = {
        LABEL: "Sector",
        COUNTED: "Counted",
        MEMBERS: "Members",
        MARKET_CAP: "Market cap",
        MARKET_CAP_CHANGE: "Market-cap change",
        **returns,
        VOLUME: "24h volume",
        VOLUME_SHARE: "Volume share",
    }
    formats = {MARKET_CAP: usd_compact, VOLUME: usd_compact, VOLUME_SHARE: percent}
    formats |= dict.fromkeys([MARKET_CAP_CHANGE, *returns], colored_percent)
    return _as_text(sectors, names, formats)


def sector_table_notes(sectors: pd.DataFrame) -> list[str]:
    """One line per empty figure of the sector table: which sector, which figure, and why."""
    figures = {return_column(m): method_label(m) for m in METHODS}
    figures |= {MARKET_CAP_CHANGE: "Market-cap change", VOLUME_SHARE: "Volume share"}
    return [
        f"{markdown_text(row[LABEL])} · {note}"
        for _, row in sectors.iterrows()
        for note in missing_notes(row, figures)
    ]


def protocols_table(
    protocols: pd.DataFrame, labels: Mapping[str, str], sector_labels: Mapping[str, str]
) -> pd.DataFrame:
    """One row per protocol (``usage.protocol_window``): activity changes over the window, market
    cap / annualised revenue, share of the sector's revenue."""
    formats: dict[str, Callable[[float], str]] = dict.fromkeys(ACTIVITY_CHANGES, colored_percent)
    formats |= {CAP_TO_REVENUE: multiple, REVENUE_SHARE: percent}
    names = {PROTOCOL: "Protocol", SECTOR: "Sector", **PROTOCOL_FIGURES}
    return _as_text(with_protocol_names(protocols, labels, sector_labels), names, formats)


def protocols_table_notes(protocols: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    """One line per empty figure of the protocols table: which protocol, which figure, and why."""
    return [
        f"{markdown_text(labels.get(row[PROTOCOL], row[PROTOCOL]))} · {note}"
        for _, row in protocols.iterrows()
        for note in missing_notes(row, PROTOCOL_FIGURES)
    ]


def colored_percent(fraction: float) -> str:
    """A signed percent as Markdown, green for a gain and red for a loss."""
    text = signed_percent(fraction)
    if pd.isna(fraction) or fraction == 0:
        return text
    return f":{'green' if fraction > 0 else 'red'}[{text}]"


def _as_text(table: pd.DataFrame, names: Mapping[str, str], formats: Formats) -> pd.DataFrame:
    """Keep and rename ``names``' columns, each cell formatted as text (data text stays literal)."""
    shown = {
        name: table[column].map(formats.get(column, markdown_text))
        for column, name in names.items()
    }
    return pd.DataFrame(shown).reset_index(drop=True)


def _with_sector_names(table: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """The ``sectors`` keys replaced by their labels."""
    return table.assign(**{SECTORS: table[SECTORS].map(lambda keys: sector_names(keys, labels))})


def _sign_color(value: float) -> str:
    """Green for a gain, red for a loss, nothing for flat or missing."""
    if pd.isna(value) or value == 0:
        return ""
    return f"color: {theme.GAIN_ON_BOTH if value > 0 else theme.LOSS_ON_BOTH}"
