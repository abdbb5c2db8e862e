"""Correlation of the sectors' index step returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisector.analytics.correlation import sector_correlation, step_returns
from aisector.analytics.index import CAP_WEIGHTED, EQUAL_WEIGHTED, LEVEL, METHOD
from aisector.core.schema import SECTOR, TIMESTAMP
from tests.conftest import hours


def index_of(levels: dict[str, list[float]], method: str = CAP_WEIGHTED) -> pd.DataFrame:
    """A tidy index table from per-sector level lists, one hour apart."""
    rows = [
        (hours(h), sector, method, level)
        for sector, series in levels.items()
        for h, level in enumerate(series)
    ]
    return pd.DataFrame(rows, columns=[TIMESTAMP, SECTOR, METHOD, LEVEL])


def test_step_returns_are_level_ratios_in_file_order() -> None:
    returns = step_returns(index_of({"z": [100.0, 110.0, 99.0], "a": [100.0, 100.0, 105.0]}))
    assert list(returns.columns) == ["z", "a"]
    assert returns["z"].to_numpy() == pytest.approx([0.10, -0.10])
    assert returns["a"].to_numpy() == pytest.approx([0.0, 0.05])


def test_hand_computed_correlations() -> None:
    index = index_of(
        {
            "a": [100.0, 110.0, 99.0, 108.9],  # +10%, -10%, +10%
            "b": [100.0, 105.0, 99.75, 104.7375],  # +5%, -5%, +5%
            "c": [100.0, 90.0, 99.0, 89.1],  # -10%, +10%, -10%
        }
    )
    correlation = sector_correlation(index)
    assert correlation.loc["a", "b"] == pytest.approx(1.0)
    assert correlation.loc["a", "c"] == pytest.approx(-1.0)
    assert np.diag(correlation.to_numpy()) == pytest.approx([1.0, 1.0, 1.0])


def test_only_the_chosen_method_counts() -> None:
    index = pd.concat(
        [
            index_of({"a": [100.0, 110.0, 99.0], "b": [100.0, 90.0, 99.0]}),
            index_of({"a": [100.0, 50.0, 60.0], "b": [100.0, 50.0, 60.0]}, EQUAL_WEIGHTED),
        ]
    )
    assert sector_correlation(index).loc["a", "b"] == pytest.approx(-1.0)
    assert sector_correlation(index, EQUAL_WEIGHTED).loc["a", "b"] == pytest.approx(1.0)


@given(
    st.lists(st.floats(-0.5, 0.5), min_size=3, max_size=20),
    st.lists(st.floats(-0.5, 0.5), min_size=3, max_size=20),
)
def test_matrix_is_symmetric_and_bounded(first: list[float], second: list[float]) -> None:
    size = min(len(first), len(second))
    levels = {
        name: list(100.0 * np.cumprod([1.0, *(1.0 + np.array(steps[:size]))]))
        for name, steps in (("a", first), ("b", second))
    }
    matrix = sector_correlation(index_of(levels)).to_numpy()
    finite = matrix[np.isfinite(matrix)]
    assert np.all(np.abs(finite) <= 1.0 + 1e-9)
    np.testing.assert_allclose(matrix, matrix.T, equal_nan=True)
