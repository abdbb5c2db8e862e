"""The sidebar: sectors, window and index method; rendered by ``app.py`` so choices survive page changes."""

from __future__ import annotations

import streamlit as st

from aisector.sectors import SectorBook
from analytics.index import CAPPED_CAP_WEIGHTED, METHODS
from analytics.windows import WINDOWS
from dashboard.labels import method_label
from dashboard.selection import DEFAULT_METHOD, DEFAULT_WINDOW, Selection

DEFAULT_MAX_WEIGHT_PERCENT = 25


def sidebar(book: SectorBook) -> Selection:
    """Render the controls and return what they say."""
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
    return Selection(tuple(sectors), window or DEFAULT_WINDOW, method, max_weight)


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
