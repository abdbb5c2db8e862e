"""CSV download buttons; every file name says which table, window and data source it holds."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from aisector.analytics.fundamentals import FundamentalsData
from aisector.analytics.market import MarketData
from aisector.apps.exports import csv_text


def csv_file_name(table: str, window: str, source: str) -> str:
    """E.g. ``aisector_tokens_24h_offline.csv``; the source is kept to safe file-name characters."""
    safe_source = re.sub(r"[^a-z0-9-]+", "-", source.lower()).strip("-") or "unknown"
    return f"aisector_{table}_{window}_{safe_source}.csv"


def csv_contents(table: pd.DataFrame, data: MarketData | FundamentalsData) -> Callable[[], str]:
    """The file's text, built only when the user clicks (formula-safe, rows labelled by source)."""
    return partial(csv_text, table, data.label)


def csv_button(
    table: pd.DataFrame, name: str, window: str, data: MarketData | FundamentalsData
) -> None:
    """A download button for one table shown on the page."""
    st.download_button(
        f"{name.capitalize()} CSV",
        data=csv_contents(table, data),
        file_name=csv_file_name(name, window, data.source),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key=f"download_{name}",
        help=f"The {name} table shown here: moves as fractions, times in UTC.",
    )
