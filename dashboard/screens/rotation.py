"""Rotation: which sector leads and where the volume goes (coins are on the Tokens page)."""

import streamlit as st

from aisector.summary import headline, window_sentences
from analytics.shares import MARKET_CAP_SHARE, VOLUME_SHARE
from dashboard import cache, cards, charts, context, grids, show
from dashboard.downloads import csv_button
from dashboard.formatting import utc_time
from dashboard.labels import method_label

page = context.current()
context.require_sectors(page)
views = page.views()
window, method, data = views.window, page.selection.method, page.data
labels, colors = page.book.labels(), page.book.colors()
events = cache.market_events(page.book, page.launch.events)  # drawn where they fall

st.title("Sector rotation")
st.caption(
    f"{window} window ending {utc_time(views.as_of)} · {method_label(method)} index · "
    f"shares are of the {len(page.selection.sectors)} sectors shown"
)
show.recent_alerts(cache.recent_alerts(data.as_of.isoformat(), page.launch.store))
summary = st.container()  # filled after the index chart, so plotly.js starts loading sooner

index_chart = charts.index_chart(views.index, method, labels, colors, events, charts.APP)
show.chart(index_chart, "index_chart")
csv_button(views.index, "index", window, data)

with summary:
    show.what_moved(headline(views), window_sentences(views))
    cards.sector_cards(views.sectors, method, window, colors)
    with st.expander("Sector table", icon=":material/table:"):
        show.table(grids.sector_table(views.sectors))
        show.notes(grids.sector_table_notes(views.sectors))
        csv_button(views.sectors, "sectors", window, data)

volume, value = st.columns(2, gap="medium")
with volume:
    title = "24h volume share by sector"
    volume_chart = charts.share_chart(
        views.rotation, VOLUME_SHARE, title, labels, colors, events, charts.APP
    )
    show.chart(volume_chart, "volume")
with value:
    title = "Market-cap share by sector"
    cap_chart = charts.share_chart(
        views.rotation, MARKET_CAP_SHARE, title, labels, colors, events, charts.APP
    )
    show.chart(cap_chart, "cap")
st.caption(
    "A coin in several sectors counts in each. Untick a large sector (e.g. Majors) in the "
    "sidebar to see the rotation between the others more clearly."
)
csv_button(views.rotation, "rotation", window, data)
