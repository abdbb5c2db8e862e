"""The dashboard's only cache: sectors file, market data and views, each with a named lifetime.

Market data lives as long as upstream keeps a value (CoinGecko refreshes prices every few minutes;
the offline market never changes); views are keyed by the data's as-of time, so they never mix
two snapshots.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from aisector.market_data import MarketData, load_market
from aisector.sectors import SectorBook, load_sectors
from aisector.views import SectorViews
from dashboard.selection import Selection, selected_views

SECTORS_TTL = timedelta(seconds=30)  # an edited sectors file shows up within half a minute
MARKET_TTL = timedelta(minutes=5)  # CoinGecko's market data refreshes every 1-5 minutes
VIEWS_TTL = MARKET_TTL  # views derive from one market snapshot and expire with it
MAX_VIEWS = 128  # windows × methods × caps × sector picks actually used


@st.cache_data(ttl=SECTORS_TTL, show_spinner=False)
def sector_book(path: str | None) -> SectorBook:
    """The sectors file at ``path`` (the shipped one when None)."""
    return load_sectors(path)


@st.cache_resource(ttl=MARKET_TTL, show_spinner="Loading market data…")
def market_data(source: str, book: SectorBook) -> MarketData:
    """Every coin of the sectors file from ``source``; shared by all sessions, never mutated."""
    return load_market(source, book)


@st.cache_data(ttl=VIEWS_TTL, max_entries=MAX_VIEWS, show_spinner=False)
def sector_views(source: str, book: SectorBook, selection: Selection, as_of: str) -> SectorViews:
    """The tables for one selection over the snapshot that ends at ``as_of`` (ISO text)."""
    return selected_views(market_data(source, book), book, selection, pd.Timestamp(as_of))
