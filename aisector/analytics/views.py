"""Every table a screen, export or report shows, computed once from one market snapshot."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from aisector.analytics.correlation import sector_correlation
from aisector.analytics.flows import market_cap_change_usd, rotation_flows
from aisector.analytics.market import MarketData
from aisector.analytics.rotation import PRICE_BASIS, VOLUME_SHARE_BASIS
from aisector.analytics.shares import (
    ALL,
    ALL_SECTORS,
    ROTATION_UNIVERSE,
    SHARE_UNIVERSES,
    VOLUME_SHARE,
    ShareUniverse,
    share_steps,
)
from aisector.analytics.tables import (
    contributions_table,
    index_table,
    multi_window_table,
    rotation_table,
    sectors_table,
    tokens_table,
    top_movers,
)
from aisector.analytics.windows import resolve_window
from aisector.core.errors import ConfigError
from aisector.core.periods import WINDOWS
from aisector.core.sectors import SectorBook

TOP_MOVERS = 5
STEPS_WINDOW = "30d"  # the share-change heatmap always shows the last 30 days


@dataclass(frozen=True)
class SectorViews:
    """The tables behind the dashboard, the CSV exports and the report."""

    as_of: pd.Timestamp
    window: str
    tokens: pd.DataFrame
    sectors: pd.DataFrame
    index: pd.DataFrame
    rotation: pd.DataFrame
    movers: pd.DataFrame
    rotation_vs_market: pd.DataFrame  # RS against every tracked coin instead of the benchmark
    rotation_on_volume_share: pd.DataFrame  # RS on each sector's share of the tracked volume
    contributions: pd.DataFrame  # each member's part of its sector's cap-weighted return
    cap_changes: pd.DataFrame  # each sector's market cap at both window ends and the USD change
    flows: pd.DataFrame  # estimated volume-share flows from losing to gaining sectors
    correlation: pd.DataFrame  # sector x sector correlation of cap-weighted index step returns
    shares_of: ShareUniverse = ALL  # which sectors the shares (sectors, rotation, flows) are of
    windows: pd.DataFrame | None = None  # each sector over 24h, 7d and 30d side by side
    share_steps: pd.DataFrame | None = None  # daily volume-share changes over the last 30 days

    def table(self, name: str) -> pd.DataFrame:
        """A table by its export name: tokens, sectors, index, rotation or movers."""
        return getattr(self, name)

    def rotation_on(self, basis: str) -> pd.DataFrame:
        """The rotation table with RS on price (against the benchmark) or on volume share."""
        tables = {PRICE_BASIS: self.rotation, VOLUME_SHARE_BASIS: self.rotation_on_volume_share}
        return tables[basis]


def share_universe(book: SectorBook, shares_of: str = ALL_SECTORS) -> ShareUniverse:
    """``"all"`` tracked sectors, or the ``"rotation"`` universe: all but the benchmark groups."""
    if shares_of not in SHARE_UNIVERSES:
        raise ConfigError(f"shares of {shares_of!r}: pick one of {', '.join(SHARE_UNIVERSES)}")
    if shares_of == ROTATION_UNIVERSE:
        return ShareUniverse(ROTATION_UNIVERSE, book.benchmark_groups())
    return ALL


def build_views(
    data: MarketData,
    book: SectorBook,
    window: str,
    as_of: pd.Timestamp | None = None,
    max_weight: float | None = None,
    shares_of: str = ALL_SECTORS,
) -> SectorViews:
    """Compute every table for ``window`` ending at ``as_of`` (default: the newest data), with
    shares of all tracked sectors or of the rotation universe (``shares_of``)."""
    resolved = resolve_window(data.panel, data.as_of if as_of is None else as_of, window)
    members = book.members()
    universe = share_universe(book, shares_of)
    tokens = tokens_table(resolved, members)
    index = index_table(resolved, members, max_weight)
    rotation = rotation_table(resolved, members, book.benchmark, universe=universe)
    windows = [resolve_window(resolved.panel, resolved.end, w) for w in WINDOWS]
    steps_window = resolve_window(resolved.panel, resolved.end, STEPS_WINDOW)
    return SectorViews(
        as_of=resolved.end,
        window=window,
        tokens=tokens,
        sectors=sectors_table(resolved, members, max_weight, book.labels(), universe),
        index=index,
        rotation=rotation,
        movers=top_movers(tokens, TOP_MOVERS),
        rotation_vs_market=rotation_table(resolved, members, universe=universe),
        rotation_on_volume_share=rotation_table(
            resolved, members, basis=VOLUME_SHARE_BASIS, universe=universe
        ),
        contributions=contributions_table(resolved, members),
        cap_changes=market_cap_change_usd(resolved, members),
        flows=rotation_flows(rotation, VOLUME_SHARE),
        correlation=sector_correlation(index),
        shares_of=universe,
        windows=multi_window_table(windows, members, max_weight, book.labels(), universe),
        share_steps=share_steps(steps_window, members, universe),
    )
