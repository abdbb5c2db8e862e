"""Rotation: where the volume went day by day, which sector leads, and the shares over time."""

import streamlit as st

from aisector.analytics.shares import DAY_START, MARKET_CAP_SHARE, VOLUME_SHARE
from aisector.core.schema import TIMESTAMP
from aisector.present import charts
from aisector.present.formatting import utc_time
from aisector.present.labels import markdown_text, method_label, share_universe_text
from aisector.present.summary import headline, window_sentences
from dashboard import cache, cards, context, grids, show
from dashboard.downloads import csv_button

page = context.current()
context.require_sectors(page)
views = page.views()
window, method, data = views.window, page.selection.method, page.data
labels, colors = page.book.labels(), page.book.colors()
events = cache.market_events(page.book, page.launch.events)  # drawn where they fall
share_of = share_universe_text(views.shares_of.excluded, labels)
shares_in_text = share_universe_text(views.shares_of.excluded, labels, in_text=True)

st.title("Sector rotation")
st.caption(
    f"{window} window ending {utc_time(views.as_of)} · {method_label(method)} index · "
    f"volume and market-cap {shares_in_text}"
)
steps = charts.share_steps_heatmap(views.share_steps, labels, events, charts.APP)
show.chart(steps, "share_steps")
show.notes([markdown_text(charts.event_key(events, views.share_steps[DAY_START]))])

show.what_moved(headline(views), window_sentences(views))
cards.sector_cards(views.sectors, method, window, colors)
show.recent_alerts(cache.recent_alerts(data.as_of.isoformat(), page.launch.store))

index_chart = charts.index_chart(views.index, method, labels, colors, events, charts.APP)
show.chart(index_chart, "index_chart")
show.notes([markdown_text(charts.event_key(events, views.rotation[TIMESTAMP]))])  # and below
csv_button(views.index, "index", window, data)

st.subheader("Sectors over 24h, 7d and 30d")
show.grid(grids.windows_grid(views.windows, method))
st.caption(
    f"Market-cap change, {method_label(method).lower()} index return and volume-share change "
    f"(points; {shares_in_text}) over each window ending {utc_time(views.as_of)}. "
    "Click a column to sort."
)
csv_button(views.windows, "sectors-by-window", "24h-7d-30d", data)
with st.expander("Sector table", icon=":material/table:"):
    show.table(grids.sector_table(views.sectors))
    show.notes(grids.sector_table_notes(views.sectors))
    csv_button(views.sectors, "sectors", window, data)

SHARE_TITLES = {
    VOLUME_SHARE: "24h volume share by sector",
    MARKET_CAP_SHARE: "Market-cap share by sector",
}


@st.fragment  # switching the measure redraws this chart only, not the page
def shares_over_time() -> None:
    measure = st.segmented_control(
        "Share of",
        list(SHARE_TITLES),
        default=VOLUME_SHARE,
        required=True,
        format_func={VOLUME_SHARE: "24h volume", MARKET_CAP_SHARE: "Market cap"}.get,
        key="share_measure",
    )
    chart = charts.share_chart(
        views.rotation, measure, SHARE_TITLES[measure], labels, colors, events, charts.APP, share_of
    )
    show.chart(chart, "shares")


shares_over_time()
st.caption(
    'A coin in several sectors counts in each. Benchmark groups (role = "benchmark" in the '
    "sectors file) are left out of the shares unless the sidebar's switch counts them."
)
csv_button(views.rotation, "rotation", window, data)
