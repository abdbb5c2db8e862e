"""Sector market-cap change in USD and the estimated pro-rata share flows."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisector.analytics.flows import (
    CAP_CHANGE_USD,
    CAP_END,
    CAP_START,
    SHARE_POINTS,
    SOURCE_SECTOR,
    TARGET_SECTOR,
    market_cap_change_usd,
    rotation_flows,
    share_flows,
)
from aisector.analytics.shares import VOLUME_SHARE
from aisector.analytics.windows import resolve_window
from aisector.core.schema import SECTOR, TIMESTAMP
from tests.conftest import hours, members, panel_of


def flow(flows: pd.DataFrame, source: str, target: str) -> float:
    rows = flows[(flows[SOURCE_SECTOR] == source) & (flows[TARGET_SECTOR] == target)]
    return float(rows[SHARE_POINTS].sum())


def test_one_loser_one_gainer_moves_the_lost_points() -> None:
    start = pd.Series({"a": 0.5, "b": 0.3, "c": 0.2})
    end = pd.Series({"a": 0.4, "b": 0.3, "c": 0.3})
    flows = share_flows(start, end)
    assert len(flows) == 1
    assert flow(flows, "a", "c") == pytest.approx(0.10)


def test_losses_are_split_pro_rata_over_the_gainers() -> None:
    start = pd.Series({"a": 0.5, "b": 0.2, "c": 0.2, "d": 0.1})
    end = pd.Series({"a": 0.3, "b": 0.1, "c": 0.4, "d": 0.2})  # c gains 0.2, d 0.1
    flows = share_flows(start, end)
    assert flow(flows, "a", "c") == pytest.approx(0.2 * 2 / 3)
    assert flow(flows, "a", "d") == pytest.approx(0.2 * 1 / 3)
    assert flow(flows, "b", "c") == pytest.approx(0.1 * 2 / 3)
    assert flow(flows, "b", "d") == pytest.approx(0.1 * 1 / 3)
    assert list(flows[SHARE_POINTS]) == sorted(flows[SHARE_POINTS], reverse=True)


def test_unchanged_shares_have_no_flows() -> None:
    shares = pd.Series({"a": 0.6, "b": 0.4})
    assert share_flows(shares, shares).empty


def test_a_sector_missing_a_share_is_left_out_of_the_flows() -> None:
    start = pd.Series({"a": 0.5, "b": 0.5, "c": float("nan")})
    end = pd.Series({"a": 0.4, "b": 0.6, "c": 0.1})
    flows = share_flows(start, end)
    assert flow(flows, "a", "b") == pytest.approx(0.1)
    assert "c" not in set(flows[SOURCE_SECTOR]) | set(flows[TARGET_SECTOR])


@st.composite
def share_pairs(draw: st.DrawFn) -> tuple[pd.Series, pd.Series]:
    """Two share vectors over the same sectors, each summing to 1."""
    size = draw(st.integers(min_value=2, max_value=6))
    weights = st.lists(st.floats(0.01, 100.0), min_size=size, max_size=size)
    sectors = [f"s{i}" for i in range(size)]
    start, end = (pd.Series(draw(weights), index=sectors) for _ in range(2))
    return start / start.sum(), end / end.sum()


@given(share_pairs())
def test_flows_out_equal_flows_in_equal_the_share_moved(
    shares: tuple[pd.Series, pd.Series],
) -> None:
    start, end = shares
    flows = share_flows(start, end)
    change = end - start
    moved = change.clip(lower=0).sum()
    assert flows[SHARE_POINTS].sum() == pytest.approx(moved, abs=1e-12)
    out = flows.groupby(SOURCE_SECTOR)[SHARE_POINTS].sum()
    into = flows.groupby(TARGET_SECTOR)[SHARE_POINTS].sum()
    assert out.to_numpy() == pytest.approx((-change[out.index]).to_numpy(), abs=1e-12)
    assert into.to_numpy() == pytest.approx(change[into.index].to_numpy(), abs=1e-12)
    assert not set(out.index) & set(into.index)


def test_rotation_flows_compare_the_first_and_last_timestamp() -> None:
    rotation = pd.DataFrame(
        {
            TIMESTAMP: [hours(0)] * 2 + [hours(1)] * 2 + [hours(2)] * 2,
            SECTOR: ["a", "b"] * 3,
            VOLUME_SHARE: [0.7, 0.3, 0.1, 0.9, 0.6, 0.4],
        }
    )
    flows = rotation_flows(rotation, VOLUME_SHARE)
    assert flow(flows, "a", "b") == pytest.approx(0.1)


def test_market_cap_change_counts_members_with_caps_at_both_ends() -> None:
    panel = panel_of(
        [
            (0, "a", 1.0, 100.0, 1.0),
            (24, "a", 1.0, 150.0, 1.0),
            (0, "b", 1.0, 200.0, 1.0),
            (24, "b", 1.0, 180.0, 1.0),
            (24, "c", 1.0, 999.0, 1.0),  # no cap at the start: left out
        ]
    )
    sectors = members({"x": ["a", "b", "c"], "y": ["b"], "z": ["c"]})
    table = market_cap_change_usd(resolve_window(panel, hours(24), "24h"), sectors)
    table = table.set_index(SECTOR)
    assert table.loc["x", CAP_START] == pytest.approx(300.0)
    assert table.loc["x", CAP_END] == pytest.approx(330.0)
    assert table.loc["x", CAP_CHANGE_USD] == pytest.approx(30.0)
    assert table.loc["y", CAP_CHANGE_USD] == pytest.approx(-20.0)
    assert table.loc["z", [CAP_START, CAP_END, CAP_CHANGE_USD]].isna().all()  # unknown, not 0
