"""How figures and small tables go on a page, the same way everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from aisector.present.formatting import MISSING
from aisector.present.labels import markdown_text

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def chart(figure: go.Figure, key: str) -> None:
    """A figure built with ``charts.APP``: the Streamlit theme fills in the text and grid colours
    it leaves open, in the browser, so a switch between light and dark needs no rerun."""
    st.plotly_chart(figure, key=key, theme="streamlit", config=PLOTLY_CONFIG)


def table(text: pd.DataFrame) -> None:
    """A small text table (Markdown cells) with row lines only."""
    st.table(text, hide_index=True, border="horizontal")


def grid(styled: Styler) -> None:
    """A sortable numeric table (a ``grids`` Styler): missing cells read "—"."""
    st.dataframe(styled, hide_index=True, placeholder=MISSING, height="content")


def what_moved(headline: str, sentences: tuple[str, ...]) -> None:
    """The plain-language summary the report also uses; token names are escaped, never markup."""
    bullets = "\n".join(f"- {markdown_text(sentence)}" for sentence in sentences)
    st.markdown(f"**{markdown_text(headline)}**\n\n{bullets}")


def notes(lines: list[str]) -> None:
    """Small grey lines under a table, e.g. why a figure is "—"; empty lines are dropped."""
    lines = [line for line in lines if line]
    if lines:
        st.caption("  \n".join(lines))


def recent_alerts(lines: tuple[str, ...]) -> None:
    """A badge with the count, and the alerts (newest first, with the rule that fired) folded."""
    st.badge(
        f"{len(lines)} recent alert{'' if len(lines) == 1 else 's'}",
        icon=":material/notifications:",
        color="orange" if lines else "gray",
    )
    with st.expander(f"Recent alerts ({len(lines)})", icon=":material/notifications:"):
        if lines:
            st.markdown("\n".join(f"- {markdown_text(line)}" for line in lines))
        else:
            st.caption("No alert has fired. `aisector alert` checks the rules (see the README).")
