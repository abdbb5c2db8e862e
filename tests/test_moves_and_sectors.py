"""Token moves, sector market-cap change, volume share and the export tables, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aisector.analytics.moves import window_change
from aisector.analytics.sector_stats import sector_summary
from aisector.analytics.shares import sector_shares
from aisector.analytics.tables import (
    INDEX_COLUMNS,
    ROTATION_COLUMNS,
    SECTORS_COLUMNS,
    TOKENS_COLUMNS,
    index_table,
    rotation_table,
    sectors_table,
    tokens_table,
    top_movers,
)
from aisector.analytics.windows import resolve_window
from tests.conftest import hours, members, panel_of


def day(panel):
    """The 24h window ending at hour 24."""
    return resolve_window(panel, hours(24), "24h")


def day_rows(coin: str, start_price: float, end_price: float, cap_per_price: float, volume: float):
    """Hourly rows over 24 h, price linear from start to end (only the ends matter for moves)."""
    return [
        (
            h,
            coin,
            start_price + (end_price - start_price) * h / 24,
            cap_per_price * (start_price + (end_price - start_price) * h / 24),
            volume,
        )
        for h in range(25)
    ]


def test_move_uses_last_observation_within_tolerance():
    # 24h window: tolerance 2.4 h. Start price observed 2 h before t-24h -> used.
    panel = panel_of([(-2, "a", 10.0, 1.0, 1.0), (24, "a", 15.0, 1.0, 1.0)])
    change = window_change(day(panel), panel.price)
    assert change[0] == pytest.approx(0.5)


def test_move_is_missing_when_start_is_older_than_tolerance():
    panel = panel_of([(-3, "a", 10.0, 1.0, 1.0), (24, "a", 15.0, 1.0, 1.0)])
    assert np.isnan(window_change(day(panel), panel.price)[0])


def test_move_ignores_observations_after_the_window_start():
    panel = panel_of([(1, "a", 10.0, 1.0, 1.0), (24, "a", 15.0, 1.0, 1.0)])
    assert np.isnan(window_change(day(panel), panel.price)[0])


def test_sector_market_cap_change_counts_members_with_both_values():
    rows = day_rows("a", 1.0, 1.2, 100.0, 10.0) + day_rows("b", 2.0, 1.0, 100.0, 30.0)
    rows += [(24, "late", 5.0, 500.0, 60.0)]  # launched at the end: no start value
    panel = panel_of(rows)
    table = sector_summary(day(panel), members({"s": ["a", "b", "late"], "t": ["late"]}))
    # (120 + 100) / (100 + 200) - 1, 'late' excluded from the change but in the cap total
    assert table.loc["s", "market_cap_change"] == pytest.approx(220 / 300 - 1)
    assert table.loc["s", "market_cap"] == pytest.approx(720.0)
    assert table.loc["s", "members"] == 3
    assert table.loc["s", "counted"] == 2
    assert np.isnan(table.loc["t", "market_cap_change"])
    assert table.loc["t", "counted"] == 0
    assert np.isnan(table.loc["t", "return_cap_weighted"])


def test_volume_share_counts_a_coin_in_each_of_its_sectors():
    rows = day_rows("a", 1.0, 1.0, 1.0, 10.0) + day_rows("b", 1.0, 1.0, 1.0, 30.0)
    table = sector_summary(day(panel_of(rows)), members({"x": ["a", "b"], "y": ["b"]}))
    assert table["volume"].tolist() == [40.0, 30.0]
    assert table["volume_share"].tolist() == pytest.approx([40 / 70, 30 / 70])


def test_window_returns_follow_the_indices():
    rows = day_rows("a", 1.0, 2.0, 10.0, 10.0) + day_rows("b", 1.0, 1.0, 30.0, 10.0)
    table = sector_summary(day(panel_of(rows)), members({"s": ["a", "b"]}), max_weight=0.5)
    # caps follow prices with constant supply: chain-linked cap-weighted return = cap change
    assert table.loc["s", "return_cap_weighted"] == pytest.approx(
        table.loc["s", "market_cap_change"]
    )
    assert table.loc["s", "market_cap_change"] == pytest.approx((20 + 30) / (10 + 30) - 1)
    assert table.loc["s", "return_capped_cap_weighted"] == pytest.approx(
        table.loc["s", "return_equal_weighted"]
    )
    assert table.loc["s", "return_volume_weighted"] == pytest.approx(
        table.loc["s", "return_equal_weighted"]
    )


def test_shares_over_time_sum_to_one():
    rows = day_rows("a", 1.0, 2.0, 10.0, 10.0) + day_rows("b", 1.0, 1.0, 30.0, 30.0)
    panel = panel_of(rows)
    shares = sector_shares(day(panel), members({"x": ["a"], "y": ["b"]}))
    sums = shares.groupby("timestamp")[["volume_share", "market_cap_share"]].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    first = shares[shares["timestamp"] == hours(0)].set_index("sector")
    assert first.loc["x", "market_cap_share"] == pytest.approx(0.25)


def test_export_tables_have_the_design_columns_in_order():
    rows = day_rows("a", 1.0, 2.0, 10.0, 10.0) + day_rows("b", 1.0, 1.0, 30.0, 30.0)
    panel, sectors = panel_of(rows), members({"x": ["a", "b"], "y": ["b", "ghost"]})
    tokens = tokens_table(day(panel), sectors)
    assert tuple(tokens.columns[: len(TOKENS_COLUMNS)]) == TOKENS_COLUMNS
    assert tokens.set_index("coin_id").loc["b", "sectors"] == "x;y"
    assert tokens.set_index("coin_id").loc["a", "change"] == pytest.approx(1.0)
    assert (
        tuple(sectors_table(day(panel), sectors).columns[: len(SECTORS_COLUMNS)]) == SECTORS_COLUMNS
    )
    assert sectors_table(day(panel), sectors).set_index("sector").loc["y", "members"] == 2
    assert tuple(index_table(day(panel), sectors).columns) == INDEX_COLUMNS
    assert tuple(rotation_table(day(panel), sectors).columns[:6]) == ROTATION_COLUMNS


def test_index_table_with_max_weight_adds_the_capped_method():
    rows = day_rows("a", 1.0, 2.0, 10.0, 10.0) + day_rows("b", 1.0, 1.0, 30.0, 30.0)
    table = index_table(day(panel_of(rows)), members({"x": ["a", "b"]}), max_weight=0.25)
    assert set(table["method"]) == {
        "cap_weighted",
        "capped_cap_weighted",
        "equal_weighted",
        "volume_weighted",
    }


def test_top_movers_lists_gainers_then_losers_without_repeats():
    tokens = pd.DataFrame({"coin_id": list("abcd"), "change": [0.5, -0.2, np.nan, 0.1]})
    got = top_movers(tokens, count=2)
    assert got["coin_id"].tolist() == ["a", "d", "b"]
