"""Entry point: ``streamlit run dashboard/app.py -- [--source SPEC] [--sectors PATH]``.

Every run loads the sectors file and the market data (cached), draws the sidebar and the data
badge, publishes them for the page, then runs the page the user is on.
"""

import streamlit as st

from dashboard import alerts, background, badge, cache, context, controls, refresh
from dashboard.launch import launch_options

PAGES = [
    st.Page("screens/rotation.py", title="Rotation", icon=":material/sync_alt:", default=True),
    st.Page(
        "screens/rotation_graph.py", title="Relative rotation", icon=":material/track_changes:"
    ),
    st.Page("screens/breakdown.py", title="Sector breakdown", icon=":material/pie_chart:"),
    st.Page("screens/tokens.py", title="Tokens", icon=":material/toll:"),
    st.Page("screens/flows.py", title="Flows", icon=":material/account_tree:"),
    st.Page("screens/fundamentals.py", title="Fundamentals", icon=":material/monitoring:"),
    st.Page("screens/methodology.py", title="Methodology", icon=":material/functions:"),
]

ABOUT = (
    "**aisector** shows where crypto liquidity rotates between AI, meme and major tokens. "
    "Pick light or dark in this menu."
)

# No emoji icon: +0.25 s cold start. With toolbarMode "minimal" the About item is what shows the
# menu, and with it the theme switch.
st.set_page_config(page_title="aisector", layout="wide", menu_items={"About": ABOUT})
page = st.navigation(PAGES, position="top")
with alerts.stop_on_error():
    launch = launch_options()
    book = cache.sector_book(launch.sectors)
    data = cache.market_data(launch.source, book, launch.store)
    history = cache.live_history_status(data, book, launch.store)
    if history is not None and launch.collect:  # live data: keep the store filled
        every = cache.MARKET_TTL.total_seconds()
        collector = background.background_collector(launch.store, launch.source, every)
        collector.start(book, cache.streamlit_secrets())
selection = controls.sidebar(book, data.panel.symbols.to_dict())
badge.show_badge(data, history=history)
if data.live:
    refresh.keep_live(launch.source, book, data, launch.store)
context.publish(context.PageContext(launch, book, data, selection))
page.run()
