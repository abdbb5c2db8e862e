"""Relative rotation: each sector's RS-ratio against its RS-momentum, with a tail of recent steps."""

import streamlit as st

from aisector.analytics.rotation import (
    PRICE_BASIS,
    RS_WINDOW,
    VOLUME_SHARE_BASIS,
    rotation_tail,
    rs_period,
)
from aisector.core.periods import window_length
from aisector.present import charts
from aisector.present.formatting import utc_time
from aisector.present.labels import markdown_text
from dashboard import context, show
from dashboard.downloads import csv_button

DEFAULT_TAIL = 8
FILE_BENCHMARK, TOTAL_MARKET = "file", "market"
BASIS_NAMES = {PRICE_BASIS: "Price", VOLUME_SHARE_BASIS: "Volume share"}
RATIO_TITLES = {
    PRICE_BASIS: "RS-ratio (100 = usual strength vs the benchmark)",
    VOLUME_SHARE_BASIS: "RS-ratio (100 = volume share as usual)",
}
BASIS_NOTES = {
    PRICE_BASIS: "RS is the sector's cap-weighted index over the benchmark's",
    VOLUME_SHARE_BASIS: "RS is the sector's share of the shown sectors' 24h volume, summed over "
    "each step; the benchmark is that total",
}

page = context.current()
context.require_sectors(page)
views = page.views()
window, data, book = views.window, page.data, page.book
benchmark_names = {
    FILE_BENCHMARK: markdown_text(" + ".join(book.benchmark)) + " (sectors file)",
    TOTAL_MARKET: "Total tracked market",
}

st.title("Relative rotation")
basis_column, benchmark_column = st.columns(2, gap="medium")
with basis_column:
    basis = st.segmented_control(
        "Basis",
        list(BASIS_NAMES),
        default=PRICE_BASIS,
        required=True,
        format_func=BASIS_NAMES.__getitem__,
        key="rrg_basis",
        help="What relative strength measures: each sector's price index against the benchmark, "
        "or its share of the tracked volume (where the trading goes).",
    )
with benchmark_column:
    benchmark = st.segmented_control(
        "Benchmark",
        list(benchmark_names),
        default=FILE_BENCHMARK,
        required=True,
        format_func=benchmark_names.__getitem__,
        key="rrg_benchmark",
        disabled=basis == VOLUME_SHARE_BASIS,
        help="What each sector's cap-weighted index is divided by. The total tracked market is "
        "the cap-weighted index of every coin in the sectors file. Price basis only.",
    )
tail = st.slider("Tail (steps)", min_value=1, max_value=48, value=DEFAULT_TAIL, key="rrg_tail")
versus_market = basis == PRICE_BASIS and benchmark == TOTAL_MARKET
rotation = views.rotation_vs_market if versus_market else views.rotation_on(basis)
points = rotation_tail(rotation, tail)
st.caption(
    f"{window} window ending {utc_time(views.as_of)} · one step every "
    f"{rs_period(window_length(window)).total_seconds() / 3600:g} h · {BASIS_NOTES[basis]} · RS-ratio and "
    f"RS-momentum are 100 + rolling z-scores over {RS_WINDOW} steps (see Methodology)"
)
graph = charts.rotation_graph(
    points,
    book.labels(),
    book.colors(),
    f"Relative rotation graph · {BASIS_NAMES[basis].lower()}",
    RATIO_TITLES[basis],
    charts.APP,
)
show.chart(graph, "rotation_graph")
st.caption(
    "Sectors usually turn clockwise: Improving → Leading → Weakening → Lagging. The large marker "
    "is the latest step."
)
csv_button(points, "strength", window, data)
