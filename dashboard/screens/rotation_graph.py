"""Relative rotation: each sector's RS-ratio against its RS-momentum, with a tail of recent steps."""

import streamlit as st

from analytics.rotation import RS_WINDOW, rotation_tail, rs_period
from dashboard import charts, context, show
from dashboard.downloads import csv_button
from dashboard.formatting import utc_time

DEFAULT_TAIL = 8
FILE_BENCHMARK, TOTAL_MARKET = "file", "market"

page = context.current()
context.require_sectors(page)
views = page.views()
window, data, book = views.window, page.data, page.book
benchmark_names = {
    FILE_BENCHMARK: " + ".join(book.benchmark) + " (sectors file)",
    TOTAL_MARKET: "Total tracked market",
}

st.title("Relative rotation")
benchmark = st.segmented_control(
    "Benchmark",
    list(benchmark_names),
    default=FILE_BENCHMARK,
    required=True,
    format_func=benchmark_names.__getitem__,
    key="rrg_benchmark",
    help="What each sector's cap-weighted index is divided by. The total tracked market is the "
    "cap-weighted index of every coin in the sectors file.",
)
tail = st.slider("Tail (steps)", min_value=1, max_value=48, value=DEFAULT_TAIL, key="rrg_tail")
rotation = views.rotation_vs_market if benchmark == TOTAL_MARKET else views.rotation
points = rotation_tail(rotation, tail)
st.caption(
    f"{window} window ending {utc_time(views.as_of)} · one step every {rs_period(window).total_seconds() / 3600:g} h · "
    f"RS-ratio and RS-momentum are 100 + rolling z-scores over {RS_WINDOW} steps (see Methodology)"
)
show.chart(charts.rotation_graph(points, book.labels(), book.colors()), "rotation_graph")
st.caption(
    "Sectors usually turn clockwise: Improving → Leading → Weakening → Lagging. The large marker "
    "is the latest step."
)
csv_button(points, "strength", window, data)
