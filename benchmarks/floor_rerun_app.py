"""The rerun floor for ``benchmarks/rerun.py``: the dashboard's window control and three small
plotly charts that change with it, and nothing else."""

import plotly.graph_objects as go
import streamlit as st

WINDOWS = ("24h", "7d", "30d")

st.set_page_config(page_title="floor", layout="wide")
with st.sidebar:
    window = st.segmented_control("Window", WINDOWS, default="24h", required=True, key="window")
st.title("Floor")
st.caption(f"{window} window ending now")
step = WINDOWS.index(window) + 1
for name in ("first", "second", "third"):
    figure = go.Figure(go.Scatter(x=[1, 2, 3, 4], y=[3, step, 4, 1]))
    st.plotly_chart(figure, key=name)
