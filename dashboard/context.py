"""What ``app.py`` hands every page in one run: launch options, sectors, data and choices."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from aisector.analytics.market import MarketData
from aisector.analytics.views import SectorViews
from aisector.core.baskets import with_basket
from aisector.core.sectors import SectorBook
from dashboard import cache
from dashboard.launch import Launch
from dashboard.selection import Selection

_KEY = "aisector_page_context"


@dataclass(frozen=True)
class PageContext:
    """The shared state of one script run, published before the page runs."""

    launch: Launch
    sectors_file: SectorBook  # as loaded: market data and the views cache are keyed on it
    data: MarketData
    selection: Selection

    @property
    def book(self) -> SectorBook:
        """The sectors file plus the sidebar's custom basket: every sector a page may show."""
        return with_basket(self.sectors_file, self.selection.basket)

    def views(self) -> SectorViews:
        """The cached tables for this run's data and selection."""
        as_of = self.data.as_of.isoformat()
        return cache.sector_views(
            self.launch.source,
            self.sectors_file,
            self.selection,
            as_of,
            self.data.revision,
            self.launch.store,
        )


def publish(context: PageContext) -> None:
    """Make this run's context available to the page about to run."""
    st.session_state[_KEY] = context


def current() -> PageContext:
    """The context ``app.py`` published in this run."""
    context = st.session_state.get(_KEY)
    if context is None:
        raise RuntimeError("start the dashboard with `streamlit run dashboard/app.py`")
    return context


def require_sectors(context: PageContext) -> None:
    """Stop the page with a hint when no sector is picked."""
    if not context.selection.sectors:
        st.info("Pick at least one sector in the sidebar.", icon=":material/info:")
        st.stop()
