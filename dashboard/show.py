"""How figures and small tables go on a page, the same way everywhere."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from aisector.summary import escape_markdown

PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def chart(figure: go.Figure, key: str) -> None:
    """A plotly figure exactly as built (no Streamlit theme), so the report's copy matches."""
    st.plotly_chart(figure, key=key, theme=None, config=PLOTLY_CONFIG)


def table(text: pd.DataFrame) -> None:
    """A small text table (Markdown cells) with row lines only."""
    st.table(text, hide_index=True, border="horizontal")


def what_moved(headline: str, sentences: tuple[str, ...]) -> None:
    """The plain-language summary the report also uses; token names are escaped, never markup."""
    bullets = "\n".join(f"- {escape_markdown(sentence)}" for sentence in sentences)
    st.markdown(f"**{escape_markdown(headline)}**\n\n{bullets}")
