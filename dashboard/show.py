"""How figures and small tables go on a page, the same way everywhere."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def chart(figure: go.Figure, key: str) -> None:
    """A plotly figure exactly as built (no Streamlit theme), so the report's copy matches."""
    st.plotly_chart(figure, key=key, theme=None, config=PLOTLY_CONFIG)


def table(text: pd.DataFrame) -> None:
    """A small text table (Markdown cells) with row lines only."""
    st.table(text, hide_index=True, border="horizontal")
