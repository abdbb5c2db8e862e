"""Keeps a live page live: a fragment that reruns the app when newer market data is cached."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from aisector.sectors import SectorBook
from dashboard import cache

CHECK_EVERY = timedelta(minutes=1)  # cheap: reads the cache; upstream is asked once per MARKET_TTL


def keep_live(source: str, book: SectorBook, shown_as_of: pd.Timestamp) -> None:
    """Offer auto-refresh in the sidebar; when on, rerun as soon as the cached data is newer."""
    on = st.sidebar.toggle(
        "Auto-refresh",
        value=True,
        help=f"Checks every {CHECK_EVERY.seconds // 60} min; upstream is asked at most once per "
        f"{cache.MARKET_TTL.seconds // 60} min whatever the number of viewers.",
    )
    if on:
        _watch(source, book, shown_as_of)


@st.fragment(run_every=CHECK_EVERY)
def _watch(source: str, book: SectorBook, shown_as_of: pd.Timestamp) -> None:
    if cache.market_data(source, book).as_of != shown_as_of:
        st.rerun(scope="app")
