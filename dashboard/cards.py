"""One card per sector: its index return for the chosen method, the other methods, cap and volume."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from aisector.analytics.index import METHODS
from aisector.analytics.sector_stats import COUNTED, MARKET_CAP_CHANGE, MEMBERS, return_column
from aisector.analytics.shares import VOLUME_SHARE
from aisector.analytics.tables import LABEL
from aisector.core.schema import MARKET_CAP, SECTOR, VOLUME
from aisector.present import theme
from aisector.present.formatting import percent, signed_percent, usd_compact
from aisector.present.labels import markdown_text, method_label
from aisector.present.missing import missing_notes, missing_reason

CARDS_PER_ROW = 4
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")


def sector_cards(
    sectors: pd.DataFrame, method: str, window: str, colors: Mapping[str, str]
) -> None:
    """Cards in rows of ``CARDS_PER_ROW``, in sectors-file order, each topped by its colour."""
    rows = [row for _, row in sectors.iterrows()]
    st.html(accent_css([safe_color(colors.get(row[SECTOR])) for row in rows]))
    for start in range(0, len(rows), CARDS_PER_ROW):
        columns = st.columns(CARDS_PER_ROW, gap="small")
        for offset, (column, row) in enumerate(zip(columns, rows[start:], strict=False)):
            with column, st.container(border=True, key=f"sector_card_{start + offset}"):
                _card(row, method, window)


def accent_css(colors: list[str]) -> str:
    """A style block giving card i (``st-key-sector_card_i``) a top border in its sector colour."""
    rules = (
        f".st-key-sector_card_{i} {{ border-top: 4px solid {color} !important; }}"
        for i, color in enumerate(colors)
    )
    return "<style>" + " ".join(rules) + "</style>"


def _card(row: pd.Series, method: str, window: str) -> None:
    """The sector's name, headline return with the market-cap change, then the details."""
    cap_change = row[MARKET_CAP_CHANGE]
    headline = return_column(method)
    st.markdown(f"**{markdown_text(row[LABEL])}**")
    st.metric(
        f"{method_label(method)} index · {window}",
        signed_percent(row[headline]),
        delta=None if _missing(cap_change) else signed_percent(cap_change),
        delta_description="market cap",
        help=missing_reason(row, headline),
    )
    st.caption("  \n".join(_details(row, method)))


def _details(row: pd.Series, method: str) -> list[str]:
    """The other index methods, market cap, volume share and how many members counted."""
    others = [
        f"{method_label(m)} {_colored(row[return_column(m)])}"
        for m in METHODS
        if m != method and return_column(m) in row.index
    ]
    explained = {return_column(m): method_label(m) for m in METHODS if m != method}
    explained |= {MARKET_CAP_CHANGE: "Market-cap change", VOLUME_SHARE: "Volume share"}
    return [
        *others,
        f"Market cap **{usd_compact(row[MARKET_CAP])}** · {row[COUNTED]}/{row[MEMBERS]} priced",
        f"Volume share **{percent(row[VOLUME_SHARE])}** · {usd_compact(row[VOLUME])}",
        *(f":gray[{note}]" for note in missing_notes(row, explained)),
    ]


def _colored(fraction: float) -> str:
    """A signed percent in green or red markdown."""
    if _missing(fraction) or fraction == 0:
        return f"**{signed_percent(fraction)}**"
    return f"**:{'green' if fraction > 0 else 'red'}[{signed_percent(fraction)}]**"


def _missing(value: float) -> bool:
    return value is None or not math.isfinite(value)


def safe_color(color: str | None) -> str:
    """The colour if it is a plain hex colour (it goes into CSS), else a neutral grey."""
    return color if color and _HEX_COLOR.match(color) else theme.FALLBACK
