"""What the user picked in the sidebar, and the views restricted to the picked sectors.

Shares (volume, market cap) are of the picked sectors' total, so the rotation chart always sums
to 100%; the tokens and movers tables keep only coins of the picked sectors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from aisector.market_data import MarketData
from aisector.sectors import SectorBook
from aisector.views import TOP_MOVERS, SectorViews, build_views
from analytics.index import CAP_WEIGHTED
from analytics.tables import SECTORS, top_movers

DEFAULT_WINDOW = "24h"
DEFAULT_METHOD = CAP_WEIGHTED


@dataclass(frozen=True)
class Selection:
    """The sidebar's choices: sectors shown, look-back window, index method and member cap."""

    sectors: tuple[str, ...]
    window: str = DEFAULT_WINDOW
    method: str = DEFAULT_METHOD
    max_weight: float | None = None


def picked_book(book: SectorBook, sectors: tuple[str, ...]) -> SectorBook:
    """The sectors file reduced to the picked sectors, in file order."""
    return replace(book, sectors=tuple(s for s in book.sectors if s.key in sectors))


def selected_views(
    data: MarketData, book: SectorBook, selection: Selection, as_of: pd.Timestamp
) -> SectorViews:
    """Every table for the picked sectors, window and cap, ending at ``as_of``."""
    views = build_views(
        data, picked_book(book, selection.sectors), selection.window, as_of, selection.max_weight
    )
    tokens = views.tokens[views.tokens[SECTORS] != ""].reset_index(drop=True)
    return replace(views, tokens=tokens, movers=top_movers(tokens, TOP_MOVERS))
