"""The floor for ``benchmarks/first_chart.py``: a trivial Streamlit page with three plotly charts."""

import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="floor", layout="wide")
st.title("Floor")
for name in ("first", "second", "third"):
    st.plotly_chart(go.Figure(go.Scatter(x=[1, 2, 3, 4], y=[3, 1, 4, 1])), key=name)
