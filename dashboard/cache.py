"""The dashboard's only cache: sectors file, market data and views, each with a named lifetime.

Market data lives as long as upstream keeps a value (CoinGecko refreshes prices every few minutes;
the offline market never changes), so one upstream call per lifetime serves every viewer. When a
refresh fails, the last good data stays on screen with a warning that gives its age and the
reason. Views are keyed by the data's as-of time, so they never mix two snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from aisector.alerts import stored_alert_lines
from aisector.errors import SourceError, StoreError
from aisector.events import Event, chart_events
from aisector.market_data import MarketData, load_market
from aisector.sectors import SectorBook, load_sectors
from aisector.views import SectorViews
from dashboard.selection import Selection, selected_views
from store.location import store_url

SECTORS_TTL = timedelta(seconds=30)  # an edited sectors file shows up within half a minute
MARKET_TTL = timedelta(minutes=5)  # CoinGecko's market data refreshes every 1-5 minutes
VIEWS_TTL = MARKET_TTL  # views derive from one market snapshot and expire with it
VIEWER_HTTP = {"AISECTOR_HTTP_ATTEMPTS": "2", "AISECTOR_HTTP_TIMEOUT": "8"}
ALERTS_TTL = timedelta(minutes=1)  # a collector checks the rules after each snapshot (minutes)
MAX_VIEWS = 128  # windows × methods × caps × sector picks actually used


@st.cache_data(ttl=SECTORS_TTL, show_spinner=False)
def market_events(book: SectorBook, path: str | None) -> tuple[Event, ...]:
    """The events file's events (shipped: TRUMP and MELANIA launches, inauguration, Stargate) and
    the sectors file's coin-id switches."""
    return chart_events(book, path)


@st.cache_data(ttl=SECTORS_TTL, show_spinner=False)
def sector_book(path: str | None) -> SectorBook:
    """The sectors file at ``path`` (the shipped one when None)."""
    return load_sectors(path)


@st.cache_resource(ttl=MARKET_TTL, show_spinner="Loading market data…")
def _fresh_market_data(source: str, book: SectorBook) -> MarketData | SourceError:
    """Every coin of the sectors file from ``source``, or why it failed; shared by all sessions,
    never mutated. A failure is kept for the lifetime too: a broken upstream is asked once per
    lifetime, not again (through all its retries) on every rerun of every viewer."""
    try:
        return load_market(source, book, viewer_settings())
    except SourceError as error:
        return error


@st.cache_resource(show_spinner=False)
def _last_good() -> dict[tuple[str, str], MarketData]:
    """The newest data each (source, sectors file) served, kept for when a refresh fails."""
    return {}


def market_data(source: str, book: SectorBook) -> MarketData:
    """Fresh data when the source serves it, else the last good data with why and how old."""
    key = (source, book.origin)
    data = _fresh_market_data(source, book)
    if isinstance(data, SourceError):
        previous = _last_good().get(key)
        if previous is None:
            _fresh_market_data.clear(source, book)  # nothing to show: the next run asks again
            raise data
        note = f"refresh failed, showing the last good data (as of {previous.as_of:%Y-%m-%d %H:%M} UTC): {data}"
        return replace(previous, warnings=(*previous.warnings, note), stale=True)
    _last_good()[key] = data
    return data


def viewer_settings() -> Mapping[str, Any]:
    """Streamlit's secrets over the dashboard's own HTTP defaults (the environment beats both):
    a viewer waits for a broken upstream at most about 2 × 8 s, not the collector's 4 × 20 s."""
    return {**VIEWER_HTTP, **(streamlit_secrets() or {})}


def streamlit_secrets() -> Mapping[str, Any] | None:
    """``.streamlit/secrets.toml`` as a mapping, or None when there is no such file."""
    try:
        return dict(st.secrets)
    except FileNotFoundError:
        return None


@st.cache_data(ttl=VIEWS_TTL, max_entries=MAX_VIEWS, show_spinner=False)
def sector_views(source: str, book: SectorBook, selection: Selection, as_of: str) -> SectorViews:
    """The tables for one selection over the snapshot that ends at ``as_of`` (ISO text)."""
    return selected_views(market_data(source, book), book, selection, pd.Timestamp(as_of))


def recent_alerts(as_of: str) -> tuple[str, ...]:
    """The history store's newest alerts up to ``as_of`` (ISO text), one line each with the rule
    that fired; none without a store, or when it cannot be read (the page still shows the data)."""
    return _recent_alerts(store_url(), as_of)


@st.cache_data(ttl=ALERTS_TTL, show_spinner=False)
def _recent_alerts(store: str, as_of: str) -> tuple[str, ...]:
    try:
        return stored_alert_lines(pd.Timestamp(as_of), store)
    except StoreError:
        return ()
