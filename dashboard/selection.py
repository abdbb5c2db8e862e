"""What the user picked in the sidebar, and the views restricted to the picked sectors.

Shares (volume, market cap) are of the picked sectors' total, by default without the benchmark
groups (the rotation universe), so the rotation chart always sums to 100%; the tokens and movers tables keep only coins of the picked sectors. A custom basket is
one more sector, shown when its key is among the picked ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from aisector.analytics.index import CAP_WEIGHTED
from aisector.analytics.market import MarketData
from aisector.analytics.shares import ROTATION_UNIVERSE
from aisector.analytics.tables import SECTORS, top_movers
from aisector.analytics.views import TOP_MOVERS, SectorViews, build_views
from aisector.core.baskets import Basket, with_basket
from aisector.core.sectors import SectorBook

DEFAULT_WINDOW = "24h"
DEFAULT_METHOD = CAP_WEIGHTED
DEFAULT_SHARES_OF = ROTATION_UNIVERSE  # Majors (80% of the volume) would flatten the rest


@dataclass(frozen=True)
class Selection:
    """The sidebar's choices: sectors shown (the basket's key included when there is one),
    look-back window, index method, member cap, the custom basket and what shares are of."""

    sectors: tuple[str, ...]
    window: str = DEFAULT_WINDOW
    method: str = DEFAULT_METHOD
    max_weight: float | None = None
    basket: Basket | None = None
    shares_of: str = DEFAULT_SHARES_OF


def picked_book(book: SectorBook, sectors: tuple[str, ...]) -> SectorBook:
    """The sectors file reduced to the picked sectors, in file order."""
    return replace(book, sectors=tuple(s for s in book.sectors if s.key in sectors))


def selected_views(
    data: MarketData, book: SectorBook, selection: Selection, as_of: pd.Timestamp
) -> SectorViews:
    """Every table for the picked sectors (and basket), window and cap, ending at ``as_of``."""
    shown = picked_book(with_basket(book, selection.basket), selection.sectors)
    views = build_views(
        data, shown, selection.window, as_of, selection.max_weight, selection.shares_of
    )
    tokens = views.tokens[views.tokens[SECTORS] != ""].reset_index(drop=True)
    return replace(views, tokens=tokens, movers=top_movers(tokens, TOP_MOVERS))
