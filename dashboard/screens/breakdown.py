"""Sector breakdown: each member's part of its sector's move, with every method side by side."""

import streamlit as st

from aisector.analytics.index import CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED
from aisector.analytics.sector_stats import MARKET_CAP_CHANGE, return_column
from aisector.analytics.tables import CHANGE, CONTRIBUTION, WEIGHT_AT_START
from aisector.core.schema import SECTOR, SYMBOL
from aisector.present import charts
from aisector.present.formatting import MISSING, signed_percent, utc_time
from aisector.present.labels import method_label
from dashboard import context, show
from dashboard.downloads import csv_button

MEASURES = {
    MARKET_CAP_CHANGE: "Market-cap change",
    **{return_column(m): method_label(m) for m in (CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED)},
}

page = context.current()
context.require_sectors(page)
views = page.views()
window, data, labels = views.window, page.data, page.book.labels()

st.title("Sector breakdown")
sector = st.selectbox(
    "Sector", list(views.sectors[SECTOR]), format_func=labels.get, key="breakdown_sector"
)
st.caption(
    f"{window} window ending {utc_time(views.as_of)} · a member's contribution is its share of "
    "the sector's market cap at the window start × its price move"
)
summary = views.sectors.set_index(SECTOR).loc[sector]
for column, (measure, name) in zip(st.columns(len(MEASURES)), MEASURES.items(), strict=True):
    column.metric(f"{name} · {window}", signed_percent(summary[measure]))

members = views.contributions[views.contributions[SECTOR] == sector]
waterfall = charts.contributions_chart(members, labels.get(sector, sector), window, charts.APP)
show.chart(waterfall, "contributions_chart")
st.dataframe(
    members[[SYMBOL, WEIGHT_AT_START, CHANGE, CONTRIBUTION]],
    column_config={
        SYMBOL: "Token",
        WEIGHT_AT_START: st.column_config.NumberColumn("Cap weight at start", format="percent"),
        CHANGE: st.column_config.NumberColumn(f"Price move · {window}", format="percent"),
        CONTRIBUTION: st.column_config.NumberColumn("Contribution", format="percent"),
    },
    hide_index=True,
    placeholder=MISSING,
    height="content",
)
st.caption(
    "Contributions add up to the sector's return when its members are held from the window "
    "start (buy and hold). The chain-linked cap-weighted index matches that unless supplies change "
    "or members enter or leave; equal- and volume-weighted returns weigh the same moves differently."
)
csv_button(views.contributions, "contributions", window, data)
