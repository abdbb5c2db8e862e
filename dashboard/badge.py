"""The data badge on every page: where the numbers come from, how old they are, what is missing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from aisector.analytics.market import MarketData
from aisector.apps.keeper import HistoryStatus
from aisector.core.settings import redact
from aisector.present.formatting import age_text, utc_time
from aisector.present.labels import markdown_text

STALE_AFTER = pd.Timedelta(hours=2)  # older than this, the age is shown in orange
OFFLINE_SOURCE = "offline"


def source_kind(data: MarketData) -> tuple[str, str, str]:
    """(badge colour, icon, note) for live, simulated and file/store data."""
    if data.live and data.stale:
        return "orange", ":material/sensors_off:", "live refresh failed – last good data"
    if data.live:
        return "green", ":material/sensors:", "live market data"
    if data.source == OFFLINE_SOURCE:
        return "orange", ":material/science:", "simulated prices – not real market data"
    return "blue", ":material/description:", "read from a file or the history store"


def badge_text(data: MarketData, now: pd.Timestamp, history: HistoryStatus | None = None) -> str:
    """One Markdown line: coloured source badge (live data: with the history behind it), as-of
    time, age, what kind of data it is, and while the store fills, how far its history is."""
    color, icon, note = source_kind(data)
    if history is not None and not history.complete:
        note = f"{note} · {history.progress()}"
    age = age_text(now - data.as_of)
    age = f":orange[{age}]" if now - data.as_of > STALE_AFTER else age
    note = note if color == "green" else f":{color}[**{note}**]"
    return (
        f":{color}-badge[{icon} {markdown_text(data.label)}] &nbsp; as of **{utc_time(data.as_of)}** · {age}"
        f" · {note}"
    )


def show_badge(
    data: MarketData, now: pd.Timestamp | None = None, history: HistoryStatus | None = None
) -> None:
    """The badge line, then every warning the loader raised."""
    st.markdown(badge_text(data, pd.Timestamp.now(tz="UTC") if now is None else now, history))
    for warning in data.warnings:
        st.warning(markdown_text(redact(warning)), icon=":material/warning:")
