"""The report's tables as rows of text cells: chosen columns, plain names, $ and % text, gains green.

The cells are plain text; the report's template draws them (``tables.html.j2``) and escapes each,
since token symbols and sector labels come from upstream APIs and user files: a symbol like
``<script>`` must print as text, never run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from aisector.analytics.index import METHODS
from aisector.analytics.sector_stats import COUNTED, MARKET_CAP_CHANGE, MEMBERS, return_column
from aisector.analytics.shares import VOLUME_SHARE
from aisector.analytics.tables import LABEL, SECTORS, TURNOVER
from aisector.analytics.usage import CAP_TO_REVENUE, REVENUE_SHARE
from aisector.core.periods import WINDOWS
from aisector.core.schema import MARKET_CAP, PRICE, PROTOCOL, SECTOR, SYMBOL, VOLUME
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
    method_label,
    sector_names,
    with_protocol_names,
)
from aisector.present.missing import missing_reason
from aisector.present.summary import token_name

COUNTED_OF = "counted_of"


@dataclass(frozen=True)
class Column:
    """One table column: where its value comes from, its header and how it reads."""

    key: str
    header: str
    format: Callable[[Any], str] = str
    numeric: bool = True
    signed: bool = False  # a move: green when up, red when down
    explained: bool = False  # a sectors-table figure: an empty cell says why on hover


@dataclass(frozen=True)
class Cell:
    """One cell's text, its CSS classes (alignment, gain or loss colour) and, for an empty
    figure, the reason shown on hover."""

    text: str
    classes: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class Table:
    """A table for the template: its columns (for the headers) and its rows of cells."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


def sectors_table(sectors: pd.DataFrame) -> Table:
    """One row per sector: members counted, cap and its change, index returns, volume share."""
    returns = [
        Column(return_column(m), method_label(m), signed_percent, signed=True, explained=True)
        for m in METHODS
        if return_column(m) in sectors
    ]
    columns = [
        Column(LABEL, "Sector", numeric=False),
        Column(COUNTED_OF, "Counted"),
        Column(MARKET_CAP, "Market cap", usd_compact, explained=True),
        Column(MARKET_CAP_CHANGE, "Market-cap change", signed_percent, signed=True, explained=True),
        *returns,
        Column(VOLUME, "24h volume", usd_compact, explained=True),
        Column(VOLUME_SHARE, "Volume share", percent, explained=True),
    ]
    counted = sectors[COUNTED].astype(str) + "/" + sectors[MEMBERS].astype(str)
    return text_table(sectors.assign(**{COUNTED_OF: counted}), columns)


def tokens_table(tokens: pd.DataFrame, labels: Mapping[str, str]) -> Table:
    """Every token, largest market cap first, with its moves over each standard window."""
    moves = [Column(f"change_{w}", f"{w}", signed_percent, signed=True) for w in WINDOWS]
    columns = [
        Column(SYMBOL, "Token", numeric=False),
        Column(SECTORS, "Sectors", numeric=False),
        Column(PRICE, "Price", usd_price),
        Column(MARKET_CAP, "Market cap", usd_compact),
        Column(VOLUME, "24h volume", usd_compact),
        *moves,
        Column(TURNOVER, "Turnover (volume / cap)", percent),
    ]
    named = tokens.assign(
        **{
            SYMBOL: [token_name(row) for _, row in tokens.iterrows()],
            SECTORS: tokens[SECTORS].map(lambda keys: sector_names(keys, dict(labels))),
        }
    )
    return text_table(named, columns)


def protocols_table(
    protocols: pd.DataFrame, labels: Mapping[str, str], sector_labels: Mapping[str, str]
) -> Table:
    """One row per protocol (``usage.protocol_window``): its activity's change over the window,
    market cap / annualised revenue and its share of the sector's revenue."""
    formats: dict[str, Callable[[float], str]] = dict.fromkeys(ACTIVITY_CHANGES, signed_percent)
    formats |= {CAP_TO_REVENUE: multiple, REVENUE_SHARE: percent}
    columns = [
        Column(PROTOCOL, "Protocol", numeric=False),
        Column(SECTOR, "Sector", numeric=False),
        *(
            Column(key, title, formats[key], signed=key in ACTIVITY_CHANGES, explained=True)
            for key, title in PROTOCOL_FIGURES.items()
        ),
    ]
    return text_table(with_protocol_names(protocols, labels, sector_labels), columns)


def text_table(table: pd.DataFrame, columns: Sequence[Column]) -> Table:
    """The ``columns`` of every row of ``table`` as text cells."""
    rows = tuple(tuple(_cell(row, c) for c in columns) for _, row in table.iterrows())
    return Table(tuple(columns), rows)


def _cell(row: pd.Series, column: Column) -> Cell:
    value = row[column.key]
    text = MISSING if _missing(value) else column.format(value)
    classes = " ".join(
        c for c in ("num" if column.numeric else "", _sign(value) if column.signed else "") if c
    )
    reason = missing_reason(row, column.key) if column.explained else None
    return Cell(str(text), classes, reason)


def _sign(value: Any) -> str:
    """'up', 'down' or '' (flat or missing), for the colour of a move."""
    if _missing(value) or value == 0:
        return ""
    return "up" if value > 0 else "down"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
