"""The sidebar: sectors, window, index method and a custom basket; rendered by ``app.py`` so
choices survive page changes."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from aisector.analytics.index import CAPPED_CAP_WEIGHTED, METHODS
from aisector.analytics.shares import ALL_SECTORS, ROTATION_UNIVERSE
from aisector.core.baskets import (
    DEFAULT_BASKET_NAME,
    Basket,
    basket_sector,
    coin_choices,
    sector_snippet,
)
from aisector.core.errors import ConfigError
from aisector.core.periods import WINDOWS
from aisector.core.sectors import SectorBook
from aisector.present.labels import method_label
from dashboard.selection import DEFAULT_METHOD, DEFAULT_WINDOW, Selection

DEFAULT_MAX_WEIGHT_PERCENT = 25
MAX_BASKET_NAME = 40


def sidebar(book: SectorBook, symbols: Mapping[str, str]) -> Selection:
    """Render the controls and return what they say (``symbols``: coin id -> ticker)."""
    labels = book.labels()
    with st.sidebar:
        sectors = st.multiselect(
            "Sectors",
            options=list(labels),
            default=list(labels),
            format_func=labels.__getitem__,
            key="sectors",
        )
        window = st.segmented_control(
            "Window",
            WINDOWS,
            default=DEFAULT_WINDOW,
            required=True,
            key="window",
            help="Moves and index returns are over this look-back, ending at the as-of time.",
        )
        method = st.radio(
            "Index method",
            METHODS,
            index=METHODS.index(DEFAULT_METHOD),
            format_func=method_label,
            key="method",
            help="How members are weighted in the sector index (see Methodology).",
        )
        max_weight = _max_weight() if method == CAPPED_CAP_WEIGHTED else None
        shares_of = _shares_of(book)
        basket = _basket(book, symbols)
    shown = (*sectors, basket.key) if basket else tuple(sectors)
    return Selection(shown, window or DEFAULT_WINDOW, method, max_weight, basket, shares_of)


def _shares_of(book: SectorBook) -> str:
    """Shares of the rotation universe, or (toggled on) of every sector shown."""
    groups = ", ".join(book.labels()[key] for key in book.benchmark_groups())
    included = st.toggle(
        f"Count {groups or 'benchmark groups'} in shares",
        value=False,
        key="shares_include_benchmark",
        disabled=not groups,
        help="Off: volume and market-cap shares are of the rotation universe, the sectors "
        'shown minus the benchmark groups (role = "benchmark" in the sectors file). '
        "On: of every sector shown, as in the default CSV export.",
    )
    return ALL_SECTORS if included else ROTATION_UNIVERSE


def _max_weight() -> float:
    """The per-member cap of the capped index, as a fraction."""
    percent = st.slider(
        "Max weight per member",
        min_value=5,
        max_value=50,
        value=DEFAULT_MAX_WEIGHT_PERCENT,
        step=5,
        format="%d%%",
        key="max_weight",
        help="No coin weighs more than this; the excess goes to the others pro rata.",
    )
    return percent / 100


def _basket(book: SectorBook, symbols: Mapping[str, str]) -> Basket | None:
    """A temporary sector of picked coins, with its sectors-file snippet; None until a coin is
    picked, or while its name is taken by a sector of the file."""
    choices = coin_choices(book, symbols)
    with st.expander("Custom basket", icon=":material/shopping_basket:"):
        coins = st.multiselect(
            "Basket coins",
            options=list(choices),
            format_func=choices.__getitem__,
            key="basket_coins",
            placeholder="Pick coins",
            help="Shown on every page as one more sector, as if the sectors file held it.",
        )
        name = st.text_input(
            "Basket name", value=DEFAULT_BASKET_NAME, max_chars=MAX_BASKET_NAME, key="basket_name"
        )
        if not coins:
            return None
        basket = Basket(name, tuple(coins))
        try:
            sector = basket_sector(book, basket)
        except ConfigError as error:
            st.warning(str(error), icon=":material/warning:")
            return None
        st.download_button(
            "Sectors-file snippet",
            data=sector_snippet(sector),
            file_name=f"{sector.key}.toml",
            mime="application/toml",
            icon=":material/download:",
            on_click="ignore",
            key="download_basket",
            help="Paste it into a sectors file to keep the basket (aisector --sectors PATH).",
        )
    return basket
