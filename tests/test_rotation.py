"""Relative strength, RS-ratio and RS-momentum: golden numbers by hand, and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisector.analytics.rotation import (
    RELATIVE_STRENGTH,
    RS_BASIS,
    RS_COLUMNS,
    RS_MOMENTUM,
    RS_RATIO,
    quadrants,
    relative_rotation,
    relative_strength,
    rolling_z,
    rotation_tail,
    rs_momentum,
    rs_period,
    rs_ratio,
    sample_rows,
    step_grid,
)
from aisector.analytics.tables import ROTATION_COLUMNS, rotation_table
from aisector.analytics.windows import resolve_window
from tests.conftest import hours, members, panel_of, span

HOUR = pd.Timedelta(hours=1)
# RS 100, 102, 101, 104, 103, 106 with N = 3 (sample std): worked through by hand.
GOLDEN_RS = np.array([[100.0], [102.0], [101.0], [104.0], [103.0], [106.0]])
GOLDEN_RATIO = [np.nan, np.nan, 100.0, 101.0910894512, 100.2182178902, 101.0910894512]
GOLDEN_MOMENTUM = [np.nan] * 5 + [100.4714882783]


def test_rs_ratio_is_100_plus_the_rolling_z_score_of_rs():
    assert rs_ratio(GOLDEN_RS, 3)[:, 0] == pytest.approx(GOLDEN_RATIO, nan_ok=True)


def test_rs_momentum_is_100_plus_the_rolling_z_score_of_the_ratios_rate_of_change():
    ratio = rs_ratio(GOLDEN_RS, 3)
    assert rs_momentum(ratio, 3)[:, 0] == pytest.approx(GOLDEN_MOMENTUM, nan_ok=True)


def test_relative_strength_is_100_times_sector_over_benchmark():
    sector = np.array([[100.0, 100.0], [110.0, 90.0]])
    benchmark = np.array([100.0, 105.0])
    assert relative_strength(sector, benchmark) == pytest.approx(
        np.array([[100.0, 100.0], [104.7619047619, 85.7142857143]])
    )


def test_a_flat_window_has_z_zero_not_nan():
    assert rolling_z(np.full((4, 1), 7.0), 3)[:, 0] == pytest.approx(
        [np.nan, np.nan, 0.0, 0.0], nan_ok=True
    )


def test_sampling_period_fits_the_window():
    assert rs_period(pd.Timedelta(hours=24)) == HOUR
    assert rs_period(pd.Timedelta(days=7)) == HOUR
    assert rs_period(pd.Timedelta(days=30)) == 4 * HOUR


def test_sample_rows_skip_gaps_longer_than_a_period_and_never_repeat_a_row():
    stamps = pd.DatetimeIndex([hours(h) for h in (0, 1, 2, 6, 7)])
    assert sample_rows(stamps, step_grid(hours(7), HOUR, 8), HOUR).tolist() == [0, 1, 2, 3, 4]
    two_hourly = step_grid(hours(7), 2 * HOUR, 4)  # 1, 3, 5, 7 h
    assert sample_rows(stamps, two_hourly, 2 * HOUR).tolist() == [1, 2, 4]


def sector_and_benchmark_rows(sector: list[float], benchmark: list[float]) -> list[tuple]:
    """Hourly rows of coin ``a`` (the sector) and ``btc`` (the benchmark), caps = 10 × price."""
    return [(h, "a", p, 10 * p, 1.0) for h, p in enumerate(sector)] + [
        (h, "btc", p, 10 * p, 1.0) for h, p in enumerate(benchmark)
    ]


def test_one_member_sector_rs_is_its_price_ratio_to_the_benchmark():
    panel = panel_of(sector_and_benchmark_rows([10, 11, 12, 12, 13], [50, 50, 55, 60, 60]))
    sectors = members({"s": ["a"]})
    frame = relative_rotation(span(panel, hours(0), hours(4)), sectors, HOUR, ["btc"], periods=3)
    expected_rs = [100.0, 110.0, 120 / 1.1, 100.0, 130 / 1.2]
    assert frame[RELATIVE_STRENGTH].tolist() == pytest.approx(expected_rs)
    assert frame[RS_RATIO].iloc[2] == pytest.approx(100.4931969619)  # z of 109.09 in its 3
    assert frame[RS_MOMENTUM].isna().all()  # needs 2·N samples: the hours before 0 do not exist


def test_rotation_table_fills_rs_columns_on_the_offline_market():
    from aisector.core.sectors import load_sectors
    from aisector.sources.market_data import load_market

    book = load_sectors()
    data = load_market("offline", book)
    table = rotation_table(
        resolve_window(data.panel, data.as_of, "24h"), book.members(), book.benchmark
    )
    assert tuple(table.columns[:6]) == ROTATION_COLUMNS
    assert table[[RS_RATIO, RS_MOMENTUM]].notna().all().all()
    assert len(table) == 25 * len(book.sectors)
    versus_market = rotation_table(resolve_window(data.panel, data.as_of, "24h"), book.members())
    assert not np.allclose(versus_market[RS_RATIO], table[RS_RATIO])


def test_rotation_table_of_30d_has_rs_every_four_hours():
    rows = sector_and_benchmark_rows(
        [10 + np.sin(h / 5) for h in range(900)], [50 + np.cos(h / 7) for h in range(900)]
    )
    panel = panel_of(rows)
    table = rotation_table(resolve_window(panel, hours(899), "30d"), members({"s": ["a"]}), ["btc"])
    filled = table.dropna(subset=[RS_RATIO])
    assert (filled["timestamp"].diff().dropna() == 4 * HOUR).all()
    assert len(filled) == 181  # 30 days of 4-hour steps, both ends included


prices = st.lists(st.integers(1, 1000), min_size=8, max_size=40)


@settings(max_examples=40, deadline=None)
@given(prices=prices, caps=st.integers(1, 100))
def test_a_sector_identical_to_the_benchmark_sits_at_the_centre(prices, caps):
    rows = [(h, c, float(p), float(caps * p), 1.0) for h, p in enumerate(prices) for c in "ab"]
    frame = relative_rotation(
        span(panel_of(rows), hours(0), hours(len(prices) - 1)),
        members({"s": ["a"]}),
        HOUR,
        ["b"],
        3,
    )
    for column in (RS_RATIO, RS_MOMENTUM):
        defined = frame[column].dropna()
        assert defined.to_numpy() == pytest.approx(np.full(len(defined), 100.0))
    assert frame[RS_MOMENTUM].notna().sum() == len(prices) - 5  # 2·N − 1 samples of warm-up


@settings(max_examples=40, deadline=None)
@given(
    sector=prices,
    benchmark=prices,
    scale=st.sampled_from([0.001, 0.5, 3.0, 1e4]),
)
def test_scaling_the_benchmark_leaves_rs_ratio_and_momentum_unchanged(sector, benchmark, scale):
    size = min(len(sector), len(benchmark))
    sector, benchmark = sector[:size], benchmark[:size]
    scaled = [scale * p for p in benchmark]

    def rotation(bench: list[float]) -> pd.DataFrame:
        panel = panel_of(sector_and_benchmark_rows(sector, bench))
        return relative_rotation(
            span(panel, hours(0), hours(size - 1)), members({"s": ["a"]}), HOUR, ["btc"], 3
        )

    plain, moved = rotation(benchmark), rotation(scaled)
    for column in (RS_RATIO, RS_MOMENTUM):
        assert moved[column].to_numpy() == pytest.approx(
            plain[column].to_numpy(), rel=1e-6, abs=1e-6, nan_ok=True
        )


def test_quadrants_follow_the_rrg_convention():
    ratio = pd.Series([101.0, 101.0, 99.0, 99.0])
    momentum = pd.Series([101.0, 99.0, 99.0, 101.0])
    assert quadrants(ratio, momentum).tolist() == ["Leading", "Weakening", "Lagging", "Improving"]


def test_rotation_tail_keeps_each_sectors_last_defined_points():
    rotation = pd.DataFrame(
        {
            "timestamp": [hours(h) for h in (0, 0, 1, 1, 2, 2)],
            "sector": ["x", "y"] * 3,
            RELATIVE_STRENGTH: 100.0,
            RS_RATIO: [np.nan, np.nan, 101.0, 99.0, 102.0, np.nan],
            RS_MOMENTUM: [np.nan, np.nan, 100.5, 99.5, 101.0, np.nan],
            RS_BASIS: "price",
        }
    )
    tail = rotation_tail(rotation, 1)
    assert tail[["sector", "timestamp", "quadrant", RS_BASIS]].values.tolist() == [
        ["y", hours(1), "Lagging", "price"],
        ["x", hours(2), "Leading", "price"],
    ]


def test_a_window_without_data_gives_an_empty_frame_with_the_columns():
    panel = panel_of(sector_and_benchmark_rows([10, 11], [50, 51]))
    frame = relative_rotation(
        span(panel, hours(50), hours(60)), members({"s": ["a"]}), HOUR, ["btc"]
    )
    assert frame.empty
    assert list(frame.columns) == ["timestamp", "sector", *RS_COLUMNS]


def test_a_benchmark_the_data_lacks_leaves_rs_missing_not_guessed():
    panel = panel_of(sector_and_benchmark_rows([10, 11, 12], [50, 51, 52]))
    frame = relative_rotation(
        span(panel, hours(0), hours(2)), members({"s": ["a"]}), HOUR, ["nope"]
    )
    assert frame[list(RS_COLUMNS)].isna().all().all()
