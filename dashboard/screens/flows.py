"""Flows: how much market cap each sector added or lost, and an estimate of where share moved."""

import streamlit as st

from aisector.analytics.shares import MARKET_CAP_SHARE
from aisector.core.schema import TIMESTAMP
from aisector.present import charts
from aisector.present.formatting import utc_time
from aisector.present.labels import markdown_text, share_universe_text
from dashboard import cache, context, show
from dashboard.downloads import csv_button

page = context.current()
context.require_sectors(page)
views = page.views()
window, data = views.window, page.data
labels, colors = page.book.labels(), page.book.colors()

st.title("Flows")
st.caption(
    f"{window} window ending {utc_time(views.as_of)} · market-cap change is the end cap minus the "
    "start cap, summed over members with a cap at both ends"
)
cap_change = charts.cap_change_chart(views.cap_changes, window, labels, colors, charts.APP)
show.chart(cap_change, "cap_change")
csv_button(views.cap_changes, "cap_changes", window, data)

title = "Market-cap share by sector"
events = cache.market_events(page.book, page.launch.events)
share_of = share_universe_text(views.shares_of.excluded, labels)
cap_share = charts.share_chart(
    views.rotation, MARKET_CAP_SHARE, title, labels, colors, events, charts.APP, share_of
)
show.chart(cap_share, "cap_share")
show.notes([markdown_text(charts.event_key(events, views.rotation[TIMESTAMP]))])

st.subheader("Where the volume share went (estimate)")
if views.flows.empty:
    st.info("No sector gained 24h-volume share over this window.", icon=":material/info:")
else:
    sankey = charts.flow_sankey(views.flows, window, labels, colors, charts.APP)
    show.chart(sankey, "flow_sankey")
st.caption(
    "Estimate, not observed transfers: each sector that lost 24h-volume share between the window's "
    "first and last hour has its lost share points split over the sectors that gained share, in "
    f"proportion to their gains (pro rata). {share_of}."
)
csv_button(views.flows, "flows", window, data)
