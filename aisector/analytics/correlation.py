"""How alike the sectors move: correlation of their index step returns over the window.

Low correlation between two sectors is what makes a rotation between them visible at all.
"""

from __future__ import annotations

import pandas as pd

from aisector.analytics.index import CAP_WEIGHTED, LEVEL, METHOD
from aisector.core.schema import SECTOR, TIMESTAMP


def step_returns(index: pd.DataFrame, method: str = CAP_WEIGHTED) -> pd.DataFrame:
    """(timestamp × sector) returns between consecutive index levels, sectors in file order."""
    rows = index[index[METHOD] == method]
    levels = rows.pivot(index=TIMESTAMP, columns=SECTOR, values=LEVEL)
    levels = levels.reindex(columns=pd.unique(rows[SECTOR]))
    return (levels / levels.shift(1) - 1.0).iloc[1:]


def sector_correlation(index: pd.DataFrame, method: str = CAP_WEIGHTED) -> pd.DataFrame:
    """Pearson correlation of the sectors' index step returns; NaN for a flat sector."""
    return step_returns(index, method).corr().rename_axis(index=SECTOR, columns=SECTOR)
