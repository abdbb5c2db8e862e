"""Keeps a live page live: a fragment that reruns the app when newer market data is cached, or
when the store's history behind it grew (the collector landed rows)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from aisector.analytics.market import MarketData
from aisector.core.sectors import SectorBook
from dashboard import cache

CHECK_EVERY = timedelta(seconds=20)  # cheap: reads the cache; upstream is asked once per MARKET_TTL


def keep_live(source: str, book: SectorBook, shown: MarketData, store: str | None = None) -> None:
    """Offer auto-refresh in the sidebar; when on, rerun as soon as the cached data is newer or
    more history has landed."""
    on = st.sidebar.toggle(
        "Auto-refresh",
        value=True,
        help=f"Checks every {CHECK_EVERY.seconds} s; upstream is asked at most once per "
        f"{cache.MARKET_TTL.seconds // 60} min whatever the number of viewers.",
    )
    if on:
        _watch(source, book, shown.as_of, shown.revision, store)


@st.fragment(run_every=CHECK_EVERY)
def _watch(
    source: str, book: SectorBook, shown_as_of: pd.Timestamp, shown_revision: str, store: str | None
) -> None:
    data = cache.market_data(source, book, store)
    if (data.as_of, data.revision) != (shown_as_of, shown_revision):
        st.rerun(scope="app")
