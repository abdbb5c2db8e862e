"""The report's tables as escaped HTML: chosen columns, plain names, $ and % text, gains green.

Every cell goes through ``html.escape``: token symbols and sector labels come from upstream APIs
and user files, so a symbol like ``<script>`` must print as text, never run.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from aisector.analytics.index import METHODS
from aisector.analytics.sector_stats import COUNTED, MARKET_CAP_CHANGE, MEMBERS, return_column
from aisector.analytics.shares import VOLUME_SHARE
from aisector.analytics.tables import LABEL, SECTORS, TURNOVER
from aisector.core.periods import WINDOWS
from aisector.core.schema import MARKET_CAP, PRICE, SYMBOL, VOLUME
from aisector.present.formatting import MISSING, percent, signed_percent, usd_compact, usd_price
from aisector.present.labels import method_label, sector_names
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


def sectors_html(sectors: pd.DataFrame) -> str:
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
    return html_table(sectors.assign(**{COUNTED_OF: counted}), columns)


def tokens_html(tokens: pd.DataFrame, labels: Mapping[str, str]) -> str:
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
    return html_table(named, columns)


def html_table(table: pd.DataFrame, columns: Sequence[Column]) -> str:
    """A plain ``<table>`` of ``columns``, every header and cell escaped."""
    head = "".join(f"<th{_class(c)}>{html.escape(c.header)}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(_cell(row, c) for c in columns) + "</tr>" for _, row in table.iterrows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _cell(row: pd.Series, column: Column) -> str:
    value = row[column.key]
    text = MISSING if _missing(value) else column.format(value)
    classes = " ".join(
        c for c in ("num" if column.numeric else "", _sign(value) if column.signed else "") if c
    )
    attribute = f' class="{classes}"' if classes else ""
    reason = missing_reason(row, column.key) if column.explained else None
    if reason:
        attribute += f' title="{html.escape(reason)}"'
    return f"<td{attribute}>{html.escape(str(text))}</td>"


def _class(column: Column) -> str:
    return ' class="num"' if column.numeric else ""


def _sign(value: Any) -> str:
    """'up', 'down' or '' (flat or missing), for the colour of a move."""
    if _missing(value) or value == 0:
        return ""
    return "up" if value > 0 else "down"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
