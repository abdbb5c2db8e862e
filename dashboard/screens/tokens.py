"""Tokens: the biggest movers, then every coin of the picked sectors with its moves, cap and volume."""

import streamlit as st

from aisector.present import charts
from aisector.present.formatting import MISSING, utc_time
from dashboard import context, grids, show
from dashboard.downloads import csv_button

page = context.current()
context.require_sectors(page)
views = page.views()
window, data, labels = views.window, page.data, page.book.labels()

st.title("Tokens")
chart, table = st.columns(2, gap="medium", vertical_alignment="center")
with chart:
    movers = charts.movers_chart(views.movers, window, labels, page.book.colors(), charts.APP)
    show.chart(movers, "movers")
with table:
    show.table(grids.movers_table(views.movers, window, labels))
    csv_button(views.movers, "movers", window, data)

st.subheader("Market map")
show.chart(charts.token_treemap(views.tokens, window, labels, charts.APP), "token_treemap")
st.caption(
    "Area is market cap, colour the price move over the window (red loss, green gain, white flat). "
    "A coin in several sectors sits under its first. Hover for exact cap, move and turnover "
    "(24h volume / market cap)."
)

st.subheader("All tokens")
st.caption(
    f"{len(views.tokens)} coins in the sectors shown, largest market cap first · prices and 24h "
    f"volume at {utc_time(views.as_of)} · a change uses the last price at or before the window "
    "start, no older than 10% of the window; — means there was none"
)
st.dataframe(
    grids.token_grid(views.tokens, labels), hide_index=True, placeholder=MISSING, height="content"
)
csv_button(views.tokens, "tokens", window, data)

st.subheader("Sector correlation")
correlation = charts.correlation_heatmap(views.correlation, window, labels, charts.APP)
show.chart(correlation, "sector_correlation")
st.caption(
    "Pearson correlation of the sectors' cap-weighted index returns, step by step over the window. "
    "Rotation between two sectors is easiest to see when they correlate little."
)
csv_button(views.correlation.reset_index(), "correlation", window, data)
