"""The words the dashboard uses for the pandas layer's names (methods, columns), and data text
(sector labels, symbols, coin ids) made safe to show as text in Markdown and in plotly charts."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import pandas as pd

from aisector.analytics.index import (
    CAP_WEIGHTED,
    CAPPED_CAP_WEIGHTED,
    EQUAL_WEIGHTED,
    VOLUME_WEIGHTED,
)
from aisector.analytics.usage import CAP_TO_REVENUE, REVENUE_SHARE, change_column
from aisector.core.schema import FEES, PROTOCOL, REVENUE, SECTOR, VOLUME
from aisector.present.summary import escape_markdown

METHOD_LABELS = {
    CAP_WEIGHTED: "Cap-weighted",
    CAPPED_CAP_WEIGHTED: "Capped cap-weighted",
    EQUAL_WEIGHTED: "Equal-weighted",
    VOLUME_WEIGHTED: "Volume-weighted",
}

# The protocols table's figures (``usage.protocol_window``), as the page and the report title them
ACTIVITY_CHANGES = {change_column(m): f"{m.capitalize()} change" for m in (REVENUE, FEES, VOLUME)}
PROTOCOL_FIGURES = {
    **ACTIVITY_CHANGES,
    CAP_TO_REVENUE: "Cap / annualised revenue",
    REVENUE_SHARE: "Revenue share in sector",
}


def with_protocol_names(
    protocols: pd.DataFrame, labels: Mapping[str, str], sector_labels: Mapping[str, str]
) -> pd.DataFrame:
    """The protocols table with each protocol's and sector's label in place of its key."""
    return protocols.assign(
        **{
            PROTOCOL: protocols[PROTOCOL].map(lambda key: labels.get(key, key)),
            SECTOR: protocols[SECTOR].map(lambda key: sector_labels.get(key, key)),
        }
    )


# What Streamlit's Markdown reads beyond CommonMark: ":red[...]" directives and ":icons:",
# "$math$", entities and headings.
_STREAMLIT_MARKUP = re.compile(r"[:$&#]")
# GFM links text that looks like a URL or an e-mail address after escapes are read, so an
# invisible word joiner (U+2060) goes inside each such pattern instead.
_AUTOLINK = re.compile(r"(?<=http:/)(?=/)|(?<=https:/)(?=/)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def method_label(method: str) -> str:
    """The name of an index method as traders say it."""
    return METHOD_LABELS.get(method, method)


def sector_names(keys: str, labels: dict[str, str]) -> str:
    """A tokens-table ``sectors`` cell ('ai-agents;meme') as labels ('AI agents, Meme')."""
    return ", ".join(labels.get(key, key) for key in keys.split(";") if key)


def markdown_text(text: object) -> str:
    """Data text for Streamlit Markdown, shown as written: no link, image, emphasis or colour
    can come out of a sector label or a token symbol; line breaks become spaces."""
    unlinked = _AUTOLINK.sub(WORD_JOINER, " ".join(str(text).split()))
    return _STREAMLIT_MARKUP.sub(r"\\\g<0>", escape_markdown(unlinked))


def chart_text(text: object) -> str:
    """Data text for a plotly chart: plotly reads ``<b>``, ``<a href>`` and ``<br>`` in names,
    labels and hover text as markup, and shows ``&lt;`` ``&gt;`` ``&amp;`` as the characters."""
    return html.escape(str(text), quote=False)


def share_universe_text(
    excluded: tuple[str, ...], labels: dict[str, str], in_text: bool = False
) -> str:
    """What a share is of, for axis titles and captions: 'Share of the sectors shown, without
    Majors' (the rotation universe) or 'Share of the sectors shown'; lower-case ``in_text``."""
    left_out = [labels[key] for key in excluded if key in labels]
    text = "share of the sectors shown" if in_text else "Share of the sectors shown"
    return f"{text}, without {', '.join(left_out)}" if left_out else text
