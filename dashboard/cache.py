"""The dashboard's only cache: sectors file, market data and views, each with a named lifetime.

Market data lives as long as upstream keeps a value (CoinGecko refreshes prices every few minutes;
the offline market never changes), so one upstream call per lifetime serves every viewer. When a
refresh fails, the last good data stays on screen with a warning that gives its age and the
reason. Views are keyed by the data's as-of time, so they never mix two snapshots.

Live data is the store's history behind the live quotes (``aisector.sources.live_history``). The live
view is cached for the market lifetime; the store is asked every ``HISTORY_CHECK`` how far its
history is (newest row, coins covered), and the merged data and the views are keyed by that
revision too, so charts fill in as the collector lands rows, without asking upstream again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from aisector.analytics.fundamentals import FundamentalsData
from aisector.analytics.market import MarketData
from aisector.analytics.usage import UsageViews, usage_views
from aisector.analytics.views import SectorViews
from aisector.apps.alerts import stored_alert_lines
from aisector.apps.collector import DEFAULT_BACKFILL_DAYS
from aisector.apps.keeper import HistoryStatus, read_history_status
from aisector.core.errors import ConfigError, SourceError, StoreError
from aisector.core.events import Event, chart_events
from aisector.core.periods import window_days
from aisector.core.sectors import SectorBook, load_sectors
from aisector.sources.fundamentals import activity_candidates, load_first_fundamentals
from aisector.sources.live_history import stored_history
from aisector.sources.market_data import HISTORY_SOURCES, load_market_view, with_history
from aisector.store.location import store_url
from dashboard.selection import Selection, selected_views

SECTORS_TTL = timedelta(seconds=30)  # an edited sectors file shows up within half a minute
MARKET_TTL = timedelta(minutes=5)  # CoinGecko's market data refreshes every 1-5 minutes
VIEWS_TTL = MARKET_TTL  # views derive from one market snapshot and expire with it
VIEWER_HTTP = {"AISECTOR_HTTP_ATTEMPTS": "2", "AISECTOR_HTTP_TIMEOUT": "8"}
ALERTS_TTL = timedelta(minutes=1)  # a collector checks the rules after each snapshot (minutes)
MAX_VIEWS = 128  # windows × methods × caps × sector picks actually used
HISTORY_CHECK = timedelta(seconds=10)  # how often a viewer's rerun asks the store for news
BACKFILL = pd.Timedelta(days=DEFAULT_BACKFILL_DAYS)  # the history the badge counts coins over
MAX_MERGED = 8  # merged frames kept: a few revisions of a few sectors files


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
def _fresh_market_data(
    source: str, book: SectorBook, store: str | None
) -> MarketData | SourceError:
    """Every coin of the sectors file from ``source`` (``store``: the history store that
    ``--source store`` reads), or why it failed; shared by all sessions, never mutated. A failure
    is kept for the lifetime too: a broken upstream is asked once per lifetime, not again (through
    all its retries) on every rerun of every viewer."""
    try:
        return load_market_view(source, book, viewer_settings(), store)
    except SourceError as error:
        return error


@st.cache_resource(show_spinner=False)
def _last_good() -> dict[tuple[str, str, str | None], MarketData]:
    """The newest data each (source, sectors file, store) served, kept for when a refresh fails."""
    return {}


def market_data(source: str, book: SectorBook, store: str | None = None) -> MarketData:
    """Fresh data when the source serves it, else the last good data with why and how old;
    live data with the history the store at ``store`` holds behind it."""
    return with_stored_history(live_market_data(source, book, store), book, store)


def live_market_data(source: str, book: SectorBook, store: str | None = None) -> MarketData:
    """What the source serves by itself, or the last good data when a refresh failed."""
    key = (source, book.origin, store)
    data = _fresh_market_data(source, book, store)
    if isinstance(data, SourceError):
        previous = _last_good().get(key)
        if previous is None:
            # nothing to show: the next run asks again
            _fresh_market_data.clear(source, book, store)
            raise data
        note = f"refresh failed, showing the last good data (as of {previous.as_of:%Y-%m-%d %H:%M} UTC): {data}"
        return replace(previous, warnings=(*previous.warnings, note), stale=True)
    _last_good()[key] = data
    return data


def with_stored_history(data: MarketData, book: SectorBook, store: str | None) -> MarketData:
    """Live ``data`` with the store's rows of its source behind it (cached per revision)."""
    if not data.live or data.source not in HISTORY_SOURCES:
        return data
    status = history_status(data.source, book, store)
    key = (data.as_of.isoformat(), data.stale, len(data.warnings))
    return _merged(book, store, key, status.revision, data)


@st.cache_resource(max_entries=MAX_MERGED, show_spinner=False)
def _merged(
    book: SectorBook, store: str | None, key: tuple, revision: str, _data: MarketData
) -> MarketData:
    """``_data`` (not hashed: ``key`` stands for it) merged with the store's history at
    ``revision``; shared, never mutated."""
    merged = with_history(_data, stored_history(book, _data.source, store), book)
    return replace(merged, revision=revision)


def live_history_status(
    data: MarketData, book: SectorBook, store: str | None
) -> HistoryStatus | None:
    """How far the store's history behind live ``data`` is; None for data a collector does not
    store (files, the offline market, the store itself)."""
    if not data.live or data.source not in HISTORY_SOURCES:
        return None
    return history_status(data.source, book, store)


@st.cache_data(ttl=HISTORY_CHECK, show_spinner=False)
def history_status(source: str, book: SectorBook, store: str | None) -> HistoryStatus:
    """How far the store's history of ``source`` is for the sectors file's coins."""
    return read_history_status(store, source, book, BACKFILL, pd.Timestamp.now(tz="UTC"))


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
def sector_views(
    source: str,
    book: SectorBook,
    selection: Selection,
    as_of: str,
    revision: str = "",
    store: str | None = None,
) -> SectorViews:
    """The tables for one selection over the data that ends at ``as_of`` (ISO text) with the
    store's history at ``revision``."""
    data = market_data(source, book, store)
    return selected_views(data, book, selection, pd.Timestamp(as_of))


@st.cache_resource(ttl=MARKET_TTL, show_spinner="Loading protocol activity…")
def protocol_activity(
    market_source: str, book: SectorBook, store: str | None = None
) -> FundamentalsData | SourceError | ConfigError:
    """Every configured protocol's daily activity from the source that goes with the market
    that served (``activity_candidates``; ``store``: the history store they fall back to), or why
    there is none; shared by all sessions, never mutated."""
    try:
        candidates = activity_candidates(market_source)
        return load_first_fundamentals(candidates, book, viewer_settings(), store)
    except (SourceError, ConfigError) as error:
        return error


@st.cache_data(ttl=VIEWS_TTL, max_entries=MAX_VIEWS, show_spinner=False)
def protocol_usage(
    source: str,
    book: SectorBook,
    selection: Selection,
    as_of: str,
    revision: str = "",
    store: str | None = None,
) -> UsageViews:
    """Protocol activity beside the prices of the market that ends at ``as_of`` (ISO text), over
    the selection's window; call it once ``protocol_activity`` has served."""
    data = market_data(source, book, store)
    activity = protocol_activity(data.source, book, store)
    if not isinstance(activity, FundamentalsData):
        raise activity
    views = sector_views(source, book, selection, as_of, revision, store)
    days = window_days(views.window)
    return usage_views(activity.frame, data, book.protocol_members(), views.tokens, days)


def recent_alerts(as_of: str, store: str | None = None) -> tuple[str, ...]:
    """The history store's newest alerts up to ``as_of`` (ISO text), one line each with the rule
    that fired; none without a store, or when it cannot be read (the page still shows the data)."""
    return _recent_alerts(store_url(store), as_of)


@st.cache_data(ttl=ALERTS_TTL, show_spinner=False)
def _recent_alerts(store: str, as_of: str) -> tuple[str, ...]:
    try:
        return stored_alert_lines(pd.Timestamp(as_of), store)
    except StoreError:
        return ()
