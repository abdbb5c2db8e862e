"""The four tables users see and export (tokens, sectors, index, rotation), column for column as
DESIGN.md names them. Moves and returns are fractions (0.1195 is +11.95%)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from aisector.analytics.index import (
    CAP_WEIGHTED,
    CAPPED_CAP_WEIGHTED,
    EQUAL_WEIGHTED,
    VOLUME_WEIGHTED,
    sector_index,
)
from aisector.analytics.membership import membership_matrix, sector_keys, sectors_of_coins
from aisector.analytics.moves import token_moves, window_change
from aisector.analytics.rotation import (
    PRICE_BASIS,
    RS_BASIS,
    RS_MOMENTUM,
    RS_RATIO,
    relative_rotation,
    rs_period,
)
from aisector.analytics.sector_stats import (
    COUNTED,
    MARKET_CAP_CHANGE,
    MEMBERS,
    return_column,
    sector_summary,
)
from aisector.analytics.shares import (
    ALL,
    MARKET_CAP_SHARE,
    SHARES_OF,
    VOLUME_SHARE,
    ShareUniverse,
    sector_shares,
    sector_totals,
    shares_of_total,
)
from aisector.analytics.windows import Window, resolve_window
from aisector.core.periods import WINDOWS
from aisector.core.schema import COIN_ID, MARKET_CAP, PRICE, SECTOR, SYMBOL, TIMESTAMP, VOLUME

AS_OF = "as_of"
SECTORS = "sectors"
LABEL = "label"
CHANGE = "change"
TURNOVER = "turnover"
WEIGHT_AT_START = "weight_at_start"
CONTRIBUTION = "contribution"

TOKENS_COLUMNS = (AS_OF, COIN_ID, SYMBOL, SECTORS, PRICE, MARKET_CAP, VOLUME, CHANGE)
SECTORS_COLUMNS = (
    AS_OF,
    SECTOR,
    MEMBERS,
    COUNTED,
    MARKET_CAP,
    MARKET_CAP_CHANGE,
    return_column(CAP_WEIGHTED),
    return_column(EQUAL_WEIGHTED),
    return_column(VOLUME_WEIGHTED),
    VOLUME,
    "volume_share",
)
INDEX_COLUMNS = (TIMESTAMP, SECTOR, "method", "level")
ROTATION_COLUMNS = (TIMESTAMP, SECTOR, VOLUME_SHARE, MARKET_CAP_SHARE, RS_RATIO, RS_MOMENTUM)


def tokens_table(window: Window, members: pd.DataFrame) -> pd.DataFrame:
    """One row per coin, largest market cap first; ``change`` is over ``window``, and
    ``change_24h/7d/30d`` over the standard windows ending at the same time."""
    others = [
        resolve_window(window.panel, window.end, label)
        for label in WINDOWS
        if label != window.label
    ]
    moves = token_moves(window, others)
    moves[SECTORS] = sectors_of_coins(members).reindex(moves.index).fillna("")
    moves[CHANGE] = moves[f"change_{window.label}"]
    with np.errstate(invalid="ignore", divide="ignore"):
        moves[TURNOVER] = moves[VOLUME] / moves[MARKET_CAP]
    moves.insert(0, AS_OF, window.end)
    table = moves.reset_index()
    table = table[[*TOKENS_COLUMNS, *(f"change_{w}" for w in WINDOWS), TURNOVER]]
    return table.sort_values(
        MARKET_CAP, ascending=False, na_position="last", kind="stable"
    ).reset_index(drop=True)


def sectors_table(
    window: Window,
    members: pd.DataFrame,
    max_weight: float | None = None,
    labels: Mapping[str, str] | None = None,
    universe: ShareUniverse = ALL,
) -> pd.DataFrame:
    """One row per sector in file order, with the DESIGN columns first; ``volume_share`` is of
    ``universe`` (named in the ``shares_of`` column)."""
    summary = sector_summary(window, members, max_weight, universe).reset_index()
    summary.insert(0, AS_OF, window.end)
    names = dict(labels or {})
    summary[LABEL] = [names.get(key, key) for key in summary[SECTOR]]
    extra = [c for c in summary.columns if c not in SECTORS_COLUMNS]
    return summary[[*SECTORS_COLUMNS, *extra]]


def index_table(
    window: Window, members: pd.DataFrame, max_weight: float | None = None
) -> pd.DataFrame:
    """Index levels for every method; the first row is the window start, at 100."""
    methods = (CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED)
    if max_weight is not None:
        methods = (CAP_WEIGHTED, CAPPED_CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED)
    return sector_index(window, members, methods, max_weight)


def rotation_table(
    window: Window,
    members: pd.DataFrame,
    benchmark: Sequence[str] | None = None,
    basis: str = PRICE_BASIS,
    universe: ShareUniverse = ALL,
) -> pd.DataFrame:
    """Sector shares of ``universe`` over the window, and RS-ratio/momentum on ``basis``.

    On price, RS is against the benchmark coins (``None``: every tracked coin, the total tracked
    market); on volume share, against the tracked sectors' total volume. RS is sampled once per
    ``rs_period(window)``; rows between samples have no RS values. ``rs_basis`` names the basis.
    """
    shares = sector_shares(window, members, universe)
    period = rs_period(window.end - window.start)
    strength = relative_rotation(window, members, period, benchmark, basis=basis)
    table = shares.merge(strength, on=[TIMESTAMP, SECTOR], how="left").assign(**{RS_BASIS: basis})
    extra = [c for c in table.columns if c not in ROTATION_COLUMNS]
    return table[[*ROTATION_COLUMNS, *extra]]


VOLUME_SHARE_CHANGE = "volume_share_change"


def by_window(column: str, window: str) -> str:
    """A multi-window table's column: ``market_cap_change_24h``, ``return_cap_weighted_7d``."""
    return f"{column}_{window}"


def multi_window_table(
    windows: Sequence[Window],
    members: pd.DataFrame,
    max_weight: float | None = None,
    labels: Mapping[str, str] | None = None,
    universe: ShareUniverse = ALL,
) -> pd.DataFrame:
    """One row per sector, each window's market-cap change, index returns and volume-share
    change side by side (SoSoValue's sector table); every figure is the single-window one.

    ``volume_share_change_<w>`` is the share at the window end minus at its start (the rotation
    table's last and first rows), in share units: 0.05 is 5 points.
    """
    parts = []
    for window in windows:  # three windows, each a vectorised table
        summary = sector_summary(window, members, max_weight, universe)
        figures = [c for c in summary.columns if c.startswith("return_")]
        part = summary[[MARKET_CAP_CHANGE, *figures]].copy()
        part[VOLUME_SHARE_CHANGE] = share_change(window, members, universe)
        parts.append(part.rename(columns=lambda c, w=window.label: by_window(c, w)))
    table = pd.concat(parts, axis=1).reset_index()
    names = dict(labels or {})
    table.insert(0, AS_OF, windows[0].end if windows else pd.NaT)
    table.insert(2, LABEL, [names.get(key, key) for key in table[SECTOR]])
    return table.assign(**{SHARES_OF: universe.name})


def share_change(
    window: Window, members: pd.DataFrame, universe: ShareUniverse = ALL
) -> np.ndarray:
    """Each sector's volume share of ``universe`` at the window's last row minus its first."""
    membership = membership_matrix(members, window.panel.coins)
    ends = window.volume[[0, -1]]
    shares = shares_of_total(sector_totals(ends, membership), universe.mask(sector_keys(members)))
    return shares[1] - shares[0]


def contributions_table(window: Window, members: pd.DataFrame) -> pd.DataFrame:
    """Per (sector, member): cap weight at the window start, price move, and their product.

    The products add up to the sector's buy-and-hold cap-weighted return, which shows why a
    sector can gain 10% while one small member doubles. Members without a price at both ends or
    a cap at the start weigh 0; coins the data lacks are left out. Largest contribution first.
    """
    panel = window.panel
    move = window_change(window, panel.price)
    cap_start = window.at_start(panel.market_cap)
    basis = np.where(np.isfinite(move) & (cap_start > 0), cap_start, 0.0)
    known = members[members[COIN_ID].isin(panel.coins)]
    columns = panel.coins.get_indexer(known[COIN_ID])
    table = known.assign(
        **{
            SYMBOL: panel.symbols.to_numpy()[columns],
            CHANGE: move[columns],
            "basis": basis[columns],
        }
    )
    total = table.groupby(SECTOR, sort=False)["basis"].transform("sum")
    table[WEIGHT_AT_START] = (table["basis"] / total).where(total > 0)
    table[CONTRIBUTION] = table[WEIGHT_AT_START] * table[CHANGE].where(table["basis"] > 0)
    table.insert(0, AS_OF, window.end)
    table["basis"] = sector_keys(members).get_indexer(table[SECTOR])  # file order of sectors
    ranked = table.sort_values(["basis", CONTRIBUTION], ascending=[True, False], kind="stable")
    return ranked.drop(columns="basis").reset_index(drop=True)


def top_movers(tokens: pd.DataFrame, count: int = 5) -> pd.DataFrame:
    """The ``count`` biggest gainers then the ``count`` biggest losers by ``change``."""
    ranked = tokens.dropna(subset=[CHANGE]).sort_values(CHANGE, ascending=False, kind="stable")
    losers = ranked.tail(count).iloc[::-1]
    gainers = ranked.head(count)
    return pd.concat([gainers, losers[~losers[COIN_ID].isin(gainers[COIN_ID])]], ignore_index=True)
