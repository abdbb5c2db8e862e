"""Chain-linked sector indices: golden hand-computed levels and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aisector.analytics.index import (
    CAP_WEIGHTED,
    CAPPED_CAP_WEIGHTED,
    EQUAL_WEIGHTED,
    METHODS,
    VOLUME_WEIGHTED,
    capped_weights,
    sector_index,
)
from aisector.analytics.panel import MarketPanel
from tests.conftest import hours, members, panel_of, span

SECTOR_AB = members({"ab": ["a", "b"]})


def levels(panel: MarketPanel, sector_members, method: str, max_weight=None) -> list[float]:
    table = sector_index(span(panel), sector_members, (method,), max_weight)
    return table["level"].tolist()


def test_cap_weighted_levels_match_hand_computation(two_coin_rows):
    # step 1: weights 100/400, 300/400 -> 0.25*0.10 + 0.75*(-0.05) = -0.0125
    # step 2: weights 110/395, 285/395 -> (110*0.10 + 285*0.05)/395 = 25.25/395
    expected = [100.0, 98.75, 98.75 * (1 + 25.25 / 395)]
    assert levels(panel_of(two_coin_rows), SECTOR_AB, CAP_WEIGHTED) == pytest.approx(expected)


def test_equal_weighted_levels_match_hand_computation(two_coin_rows):
    expected = [100.0, 102.5, 102.5 * 1.075]
    assert levels(panel_of(two_coin_rows), SECTOR_AB, EQUAL_WEIGHTED) == pytest.approx(expected)


def test_volume_weighted_uses_previous_step_volume(two_coin_rows):
    # step 1: volumes 50/50 -> 0.025; step 2: volumes 30/10 -> (30*0.10 + 10*0.05)/40 = 0.0875
    expected = [100.0, 102.5, 102.5 * 1.0875]
    assert levels(panel_of(two_coin_rows), SECTOR_AB, VOLUME_WEIGHTED) == pytest.approx(expected)


def test_member_entering_changes_weights_not_level(two_coin_rows):
    entering = [*two_coin_rows, (1, "c", 5.0, 400.0, 10.0), (2, "c", 6.0, 480.0, 10.0)]
    with_c = levels(panel_of(entering), members({"abc": ["a", "b", "c"]}), CAP_WEIGHTED)
    without_c = levels(panel_of(two_coin_rows), SECTOR_AB, CAP_WEIGHTED)
    assert with_c[1] == pytest.approx(without_c[1])  # c's arrival does not move the level
    step_two = (110 * 0.10 + 285 * 0.05 + 400 * 0.20) / (110 + 285 + 400)
    assert with_c[2] == pytest.approx(with_c[1] * (1 + step_two))


def test_member_without_market_cap_has_no_cap_weight(two_coin_rows):
    no_cap = [*two_coin_rows, *((h, "c", 1.0 + h, np.nan, 5.0) for h in range(3))]
    sector = members({"abc": ["a", "b", "c"]})
    panel = panel_of(no_cap)
    assert levels(panel, sector, CAP_WEIGHTED) == pytest.approx(
        levels(panel_of(two_coin_rows), SECTOR_AB, CAP_WEIGHTED)
    )
    # equal weight does count c: step 1 (0.10 - 0.05 + 1.0)/3
    assert levels(panel, sector, EQUAL_WEIGHTED)[1] == pytest.approx(100 * (1 + 1.05 / 3))


def test_member_missing_a_price_keeps_its_last_price_until_its_next_observation(two_coin_rows):
    gap = [row for row in two_coin_rows if row[:2] != (1, "b")]
    got = levels(panel_of(gap), SECTOR_AB, EQUAL_WEIGHTED)
    # step 1: b still at 20 (no observation at hour 1) -> (0.10 + 0) / 2;
    # step 2: b's whole move since hour 0, 20 -> 19.95, lands here -> (0.10 - 0.0025) / 2
    assert got == pytest.approx([100.0, 105.0, 105.0 * (1 + 0.0975 / 2)])


def test_a_method_without_weights_at_the_start_is_missing_not_flat(two_coin_rows):
    no_volume_at_start = [
        (h, coin, price, cap, np.nan if h == 0 else volume)
        for h, coin, price, cap, volume in two_coin_rows
    ]
    panel = panel_of(no_volume_at_start)
    assert np.isnan(levels(panel, SECTOR_AB, VOLUME_WEIGHTED)[1:]).all()
    assert levels(panel, SECTOR_AB, EQUAL_WEIGHTED)[2] == pytest.approx(102.5 * 1.075)


def test_sector_without_data_at_start_has_its_base_at_its_first_price(two_coin_rows):
    late = [*two_coin_rows, (1, "c", 5.0, 50.0, 1.0), (2, "c", 6.0, 60.0, 1.0)]
    got = levels(panel_of(late), members({"late": ["c"]}), CAP_WEIGHTED)
    assert np.isnan(got[0])
    assert got[1:] == pytest.approx([100.0, 120.0])


def test_capped_weights_redistribute_excess_pro_rata():
    weights = np.array([[0.6, 0.3, 0.1], [0.7, 0.2, 0.1]])
    got = capped_weights(weights, 0.4)
    # row 1: 0.6 -> 0.4, excess 0.2 to (0.3, 0.1) pro rata -> (0.45, 0.15); 0.45 -> 0.4, 0.05 to c
    assert got[0] == pytest.approx([0.4, 0.4, 0.2])
    assert got[1] == pytest.approx([0.4, 0.4, 0.2])


def test_capped_weights_fall_back_to_equal_when_the_cap_cannot_hold():
    got = capped_weights(np.array([[9.0, 1.0, 0.0]]), 0.25)
    assert got[0] == pytest.approx([0.5, 0.5, 0.0])


def test_capped_index_with_loose_cap_equals_cap_weighted(two_coin_rows):
    panel = panel_of(two_coin_rows)
    assert levels(panel, SECTOR_AB, CAPPED_CAP_WEIGHTED, max_weight=1.0) == pytest.approx(
        levels(panel, SECTOR_AB, CAP_WEIGHTED)
    )


def test_capped_index_at_half_is_equal_weight_for_two_members(two_coin_rows):
    panel = panel_of(two_coin_rows)
    assert levels(panel, SECTOR_AB, CAPPED_CAP_WEIGHTED, max_weight=0.5) == pytest.approx(
        levels(panel, SECTOR_AB, EQUAL_WEIGHTED)
    )


def test_index_frame_has_one_row_per_timestamp_sector_method(two_coin_rows):
    panel = panel_of(two_coin_rows)
    table = sector_index(span(panel, hours(0), hours(2)), members({"ab": ["a", "b"], "a": ["a"]}))
    assert list(table.columns) == ["timestamp", "sector", "method", "level"]
    assert len(table) == 3 * 2 * 3
    assert not table.duplicated(["timestamp", "sector", "method"]).any()
    assert (table[table["timestamp"] == hours(0)]["level"] == 100.0).all()


# --- invariants ---------------------------------------------------------------------------------

positive_paths = arrays(
    np.float64,
    st.tuples(st.integers(2, 30), st.integers(1, 5)),
    elements=st.floats(0.01, 1000.0, allow_nan=False),
)


def rows_from(prices: np.ndarray, caps: np.ndarray, volumes: np.ndarray) -> list[tuple]:
    return [
        (t, f"c{i}", prices[t, i], caps[t, i], volumes[t, i])
        for t in range(prices.shape[0])
        for i in range(prices.shape[1])
    ]


@settings(max_examples=60, deadline=None)
@given(prices=positive_paths, method=st.sampled_from(METHODS))
def test_one_member_index_equals_its_price_ratio(prices, method):
    one = prices[:, :1]
    panel = panel_of(rows_from(one, one * 7.0, one * 3.0))
    got = levels(panel, members({"solo": ["c0"]}), method, max_weight=0.3)
    assert got == pytest.approx(100 * one[:, 0] / one[0, 0], rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(prices=positive_paths, scale=st.floats(1e-3, 1e6))
def test_scaling_all_caps_leaves_cap_weighted_index_unchanged(prices, scale):
    caps = prices * np.arange(1, prices.shape[1] + 1)
    sector = members({"all": [f"c{i}" for i in range(prices.shape[1])]})
    base = levels(panel_of(rows_from(prices, caps, prices)), sector, CAP_WEIGHTED)
    scaled = levels(panel_of(rows_from(prices, caps * scale, prices)), sector, CAP_WEIGHTED)
    assert scaled == pytest.approx(base, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(prices=positive_paths, copies=st.integers(1, 4))
def test_equal_weight_of_identical_series_equals_the_series(prices, copies):
    series = prices[:, :1]
    same = np.repeat(series, copies, axis=1)
    sector = members({"same": [f"c{i}" for i in range(copies)]})
    got = levels(panel_of(rows_from(same, same, same)), sector, EQUAL_WEIGHTED)
    assert got == pytest.approx(100 * series[:, 0] / series[0, 0], rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    # caps and volumes in USD: zero (absent) or at least a tenth of a cent
    weights=arrays(
        np.float64,
        st.tuples(st.integers(1, 6), st.integers(1, 8)),
        elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e13)),
    ),
    cap=st.floats(0.05, 1.0),
)
def test_capped_weights_sum_to_one_and_respect_the_cap(weights, cap):
    got = capped_weights(weights, cap)
    present = weights > 0
    rows_with_members = present.any(axis=1)
    assert got[rows_with_members].sum(axis=1) == pytest.approx(1.0)
    assert (got[~present] == 0).all()
    feasible = present.sum(axis=1) * cap >= 1.0
    assert (got[feasible] <= cap + 1e-9).all()
    assert pd.notna(got).all()
