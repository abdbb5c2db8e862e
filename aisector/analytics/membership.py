"""Sector membership as a matrix, and the coins a sectors file names that the data lacks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisector.core.schema import COIN_ID, SECTOR


def sector_keys(members: pd.DataFrame) -> pd.Index:
    """Sector keys in the order the sectors file gives them."""
    return pd.Index(pd.unique(members[SECTOR]), name=SECTOR)


def membership_matrix(members: pd.DataFrame, coins: pd.Index) -> np.ndarray:
    """A (sector × coin) 0/1 matrix aligned with ``sector_keys(members)`` and ``coins``."""
    sectors = sector_keys(members)
    matrix = np.zeros((len(sectors), len(coins)))
    columns = coins.get_indexer(members[COIN_ID])
    known = columns >= 0
    matrix[sectors.get_indexer(members[SECTOR])[known], columns[known]] = 1.0
    return matrix


def members_per_sector(members: pd.DataFrame) -> pd.Series:
    """How many coins each sector is configured with (known to the data or not)."""
    return members.groupby(SECTOR, sort=False)[COIN_ID].nunique().reindex(sector_keys(members))


def unknown_coins(members: pd.DataFrame, coins: pd.Index) -> list[str]:
    """Configured coin ids with no row in the data, by name, so they are reported not dropped."""
    return sorted(set(members[COIN_ID]) - set(coins))


def sectors_of_coins(members: pd.DataFrame) -> pd.Series:
    """coin_id -> its sectors joined with ';' (a coin may be in several)."""
    return members.groupby(COIN_ID, sort=False)[SECTOR].agg(";".join)
