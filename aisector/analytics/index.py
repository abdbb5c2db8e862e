"""Chain-linked sector indices, base 100 at the window start's values.

``I(t) = I(t-1) * (1 + sum_i w_i(t-1) * r_i(t))`` over the rows of a ``Window`` (its start values,
then every observation inside), with ``r_i(t)`` member i's price return between consecutive rows
and weights from the previous row over the members that have both a return and the weighting
value there. Members entering or leaving change weights, never the level; a step in which no
member moves leaves the level unchanged. A step in which members move but none has a weight (no
market cap, no volume) leaves the level unknown from there on: missing, never 0. A sector with no
priced member at the window start has no level until its first priced member appears, where its
base of 100 sits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisector.analytics.membership import membership_matrix, sector_keys
from aisector.analytics.windows import Window
from aisector.core.schema import SECTOR, TIMESTAMP

CAP_WEIGHTED = "cap_weighted"
CAPPED_CAP_WEIGHTED = "capped_cap_weighted"
EQUAL_WEIGHTED = "equal_weighted"
VOLUME_WEIGHTED = "volume_weighted"
METHODS = (CAP_WEIGHTED, CAPPED_CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED)
METHOD = "method"
LEVEL = "level"
BASE_LEVEL = 100.0


def step_returns(price: np.ndarray) -> np.ndarray:
    """Price return of every coin between consecutive rows; NaN where either price is missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return price[1:] / price[:-1] - 1.0


def weight_basis(window: Window, method: str) -> np.ndarray | None:
    """What each member is weighted by at the start of each step (None: all alike)."""
    if method in (CAP_WEIGHTED, CAPPED_CAP_WEIGHTED):
        return window.market_cap[:-1]
    if method == VOLUME_WEIGHTED:
        return window.volume[:-1]
    if method == EQUAL_WEIGHTED:
        return None
    raise ValueError(f"unknown index method {method!r}; known: {', '.join(METHODS)}")


def step_weights(has_return: np.ndarray, basis: np.ndarray | None) -> np.ndarray:
    """Unnormalised weights: the basis where a member has a return and a positive basis, else 0."""
    if basis is None:
        return has_return.astype(float)
    return np.where(has_return & (basis > 0), basis, 0.0)  # NaN > 0 is False: no value, no weight


def sector_step_returns(
    returns: np.ndarray, weights: np.ndarray, membership: np.ndarray
) -> np.ndarray:
    """(step × sector) weighted mean of members' returns (missing returns already zeroed); 0 where
    the sector has no weight, which ``unweighted_moves`` then marks unknown."""
    numerator = (weights * returns) @ membership.T
    denominator = weights @ membership.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, 0.0)


def unweighted_moves(
    has_return: np.ndarray, weights: np.ndarray, membership: np.ndarray
) -> np.ndarray:
    """(step × sector) True where members moved but none had a weight: the step is unknown."""
    moved = has_return.astype(float) @ membership.T > 0
    return moved & ~(weights @ membership.T > 0)


def capped_weights(weights: np.ndarray, max_weight: float) -> np.ndarray:
    """Row-normalised weights with none above ``max_weight``, the excess spread pro rata.

    Rows with too few members to respect the cap (``n * max_weight < 1``) fall back to equal
    weights over their members.
    """
    totals = weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, weights / totals, 0.0)
    present = shares > 0
    count = present.sum(axis=1, keepdims=True)
    for _ in range(weights.shape[1]):
        excess = np.clip(shares - max_weight, 0.0, None).sum(axis=1, keepdims=True)
        if not (excess > 1e-12).any():
            break
        shares = np.minimum(shares, max_weight)
        room = np.where(present & (shares < max_weight), shares, 0.0)
        room_total = room.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = shares + np.where(room_total > 0, excess * room / room_total, 0.0)
    infeasible = (count * max_weight < 1.0) & (count > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        equal = np.where(present, 1.0 / count, 0.0)
    return np.where(infeasible, equal, shares)


def capped_step_returns(
    returns: np.ndarray, weights: np.ndarray, membership: np.ndarray, max_weight: float
) -> np.ndarray:
    """Like ``sector_step_returns`` with each member's weight capped at ``max_weight``."""
    out = np.zeros((returns.shape[0], membership.shape[0]))
    for s, in_sector in enumerate(membership.astype(bool)):  # a loop over sectors, not coins
        capped = capped_weights(weights[:, in_sector], max_weight)
        out[:, s] = (capped * returns[:, in_sector]).sum(axis=1)
    return out


def index_levels(
    window: Window,
    membership: np.ndarray,
    methods: tuple[str, ...],
    max_weight: float | None = None,
) -> dict[str, np.ndarray]:
    """Per method, (row × sector) index levels over the window's rows, base 100 at its start."""
    if CAPPED_CAP_WEIGHTED in methods and max_weight is None:
        raise ValueError("the capped cap-weighted index needs max_weight")
    price = window.price
    returns = step_returns(price)
    has_return = np.isfinite(returns)
    returns[~has_return] = 0.0
    started = _has_started(price, membership)
    levels = {}
    for method in methods:
        weights = step_weights(has_return, weight_basis(window, method))
        if method == CAPPED_CAP_WEIGHTED:
            step = capped_step_returns(returns, weights, membership, max_weight)
        else:
            step = sector_step_returns(returns, weights, membership)
        step[unweighted_moves(has_return, weights, membership)] = np.nan
        growth = np.vstack([np.ones((1, membership.shape[0])), 1.0 + step])
        levels[method] = np.where(started, BASE_LEVEL * np.cumprod(growth, axis=0), np.nan)
    return levels


def _has_started(price: np.ndarray, membership: np.ndarray) -> np.ndarray:
    """(row × sector) True from the first row where any member has a price: the index's base."""
    priced = np.isfinite(price).astype(float) @ membership.T > 0
    return np.logical_or.accumulate(priced, axis=0)


def sector_index(
    window: Window,
    members: pd.DataFrame,
    methods: tuple[str, ...] = (CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED),
    max_weight: float | None = None,
) -> pd.DataFrame:
    """Tidy index levels: one row per (timestamp, sector, method); the first row is the window
    start, at 100."""
    membership = membership_matrix(members, window.panel.coins)
    sectors = sector_keys(members)
    stamps = window.stamps
    levels = index_levels(window, membership, methods, max_weight)
    frames = [_tidy_levels(levels[m], stamps, sectors, m) for m in methods]
    return pd.concat(frames, ignore_index=True)


def _tidy_levels(
    levels: np.ndarray, stamps: pd.DatetimeIndex, sectors: pd.Index, method: str
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            TIMESTAMP: np.repeat(stamps, len(sectors)),
            SECTOR: np.tile(sectors.to_numpy(dtype=object), len(stamps)),
            METHOD: method,
            LEVEL: levels.ravel(),
        }
    )
