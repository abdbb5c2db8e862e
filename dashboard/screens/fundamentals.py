"""Fundamentals: each protocol's fees, revenue and volume beside its token's price and market cap."""

from dataclasses import replace

import streamlit as st

from aisector.analytics.usage import CAP_TO_REVENUE
from aisector.core.errors import AisectorError
from aisector.core.schema import (
    DATE,
    MARKET_CAP,
    METRICS,
    PRICE,
    PROTOCOL,
)
from aisector.core.settings import redact
from aisector.present import charts
from aisector.present import fundamentals_charts as activity_charts
from aisector.present.formatting import MISSING, utc_time
from aisector.present.labels import markdown_text
from aisector.present.summary import usage_sentences
from dashboard import cache, context, grids, show
from dashboard.downloads import csv_button

page = context.current()
book, data = page.sectors_file, page.data

st.title("Protocol fundamentals")
activity = cache.protocol_activity(data.source, book, page.launch.store)
if isinstance(activity, AisectorError):  # e.g. no [protocols.<id>] tables in the sectors file
    st.info(f"No protocol activity to show: {markdown_text(redact(str(activity)))}")
    st.stop()

views = page.views()
window, as_of = views.window, data.as_of.isoformat()
usage = cache.protocol_usage(
    page.launch.source, book, page.selection, as_of, data.revision, page.launch.store
)
labels, symbols = book.protocol_labels(), data.panel.symbols.to_dict()
events = cache.market_events(page.book, page.launch.events)
through = usage.days[DATE].max() if not usage.days.empty else None
st.caption(
    f"{markdown_text(activity.label)} · daily UTC days through "
    f"{MISSING if through is None else f'{through:%Y-%m-%d}'} · prices and market caps from "
    f"{markdown_text(data.label)} at each day's close, as of {utc_time(data.as_of)}"
)
show.notes([markdown_text(f"Warning: {redact(w)}") for w in (*activity.warnings, *usage.notes)])
if through is None:
    st.stop()  # the notes say why: no day of activity was over by the prices' as-of time

sentences = usage_sentences(usage.disagreements, labels, symbols, window, data.as_of)
if sentences:
    show.what_moved(f"Usage against price · last {window}", sentences)
else:
    st.caption(f"No token's price disagrees with its protocol's usage over the last {window}.")

for protocol in book.protocols:
    token = activity_charts.tokens_text(protocol.coins, symbols)
    figure = activity_charts.protocol_activity_chart(
        usage.days, protocol.key, protocol.label, token, events, charts.APP
    )
    show.chart(figure, f"activity_{protocol.key}")
    show.notes(
        [
            markdown_text(n)
            for n in activity_charts.chart_notes(usage.days, protocol, activity.label)
        ]
    )
show.notes([markdown_text(charts.event_key(events, usage.days[DATE]))])

colors = activity_charts.protocol_colors(list(labels))
ratio = activity_charts.cap_to_revenue_chart(usage.days, labels, colors, events, charts.APP)
show.chart(ratio, "cap_to_revenue")
st.caption(
    "Market cap / annualised revenue = cap at the day's close / (revenue of the 30 days up to "
    f"that day × 365 / 30). {MISSING} until a protocol has 30 whole days of revenue above 0."
)

st.subheader(f"Protocols over the last {window}")
show.table(grids.protocols_table(usage.window, labels, page.book.labels()))
show.notes(grids.protocols_table_notes(usage.window, labels))
st.caption(
    f"Each change is the sum of the last {window} of whole UTC days against the same span before "
    f"it; {MISSING} when a day of either span has no value. Revenue share is of the sector's "
    "configured protocols over the window."
)

with st.expander("Daily activity table", icon=":material/table:"):
    st.dataframe(
        usage.days,
        column_config={
            DATE: st.column_config.DateColumn("Day (UTC)"),
            PROTOCOL: st.column_config.TextColumn("Protocol"),
            **{m: st.column_config.NumberColumn(m.capitalize(), format="dollar") for m in METRICS},
            PRICE: st.column_config.NumberColumn("Token price", format="dollar"),
            MARKET_CAP: st.column_config.NumberColumn("Market cap", format="dollar"),
            CAP_TO_REVENUE: st.column_config.NumberColumn(
                "Cap / annualised revenue", format="%.1f×"
            ),
        },
        hide_index=True,
        placeholder=MISSING,
        height=420,
    )
labelled = replace(activity, label=f"{activity.label}; prices {data.label}")
csv_button(usage.days, "fundamentals", "daily", labelled)
