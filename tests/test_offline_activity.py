"""The offline market's simulated protocol activity as a fundamentals source: what it covers, what
it leaves out, and that it is the same on every run. (Its story figures are checked through the
CLI, in tests/test_export_fundamentals.py.)"""

from __future__ import annotations

import pandas as pd

from aisector.core.schema import FUNDAMENTALS_COLUMNS, validate_fundamentals_frame
from aisector.core.sectors import TrackedProtocol, load_sectors
from connectors.base import FundamentalsSource
from connectors.offline_activity import OfflineActivity, simulated_activity

FIRST = pd.Timestamp("2024-12-01", tz="UTC")
LAST = pd.Timestamp("2025-01-21", tz="UTC")


def activity(*keys: str) -> pd.DataFrame:
    book = load_sectors()
    wanted = [p for p in book.protocols if p.key in keys] if keys else list(book.protocols)
    return OfflineActivity().protocol_activity(wanted)


def test_offline_activity_is_a_simulated_fundamentals_source():
    source: FundamentalsSource = OfflineActivity()
    assert (source.name, source.live) == ("offline", False)
    assert source.label == "offline – simulated activity"


def test_every_shipped_protocol_has_whole_utc_days_over_the_market_range():
    frame = activity()
    assert list(frame.columns) == list(FUNDAMENTALS_COLUMNS)
    assert set(frame["protocol"]) == {p.key for p in load_sectors().protocols}
    assert set(frame["data_source"]) == {"offline"}
    assert frame["date"].min() == FIRST and frame["date"].max() == LAST
    pd.testing.assert_frame_equal(validate_fundamentals_frame(frame), frame)


def test_protocols_without_volume_or_early_history_have_no_rows_there():
    frame = activity()
    metrics = frame.groupby("protocol")["metric"].agg(lambda m: tuple(sorted(set(m))))
    assert metrics.to_dict() == {
        "virtuals-protocol": ("fees", "revenue", "volume"),
        "ai16z-launchpad": ("fees", "revenue", "volume"),
        "arc-rig": ("fees", "revenue"),
        "render-network": ("fees", "revenue"),
    }
    days = frame.groupby("protocol")["date"].agg(["min", "max", "nunique"])
    assert days.loc["arc-rig"].tolist() == [pd.Timestamp("2024-12-16", tz="UTC"), LAST, 37]
    assert days.loc["virtuals-protocol", "nunique"] == 52  # 1 Dec to 21 Jan, no gaps


def test_a_protocol_list_picks_its_rows():
    frame = activity("virtuals-protocol")
    assert set(frame["protocol"]) == {"virtuals-protocol"}
    day = frame[frame["date"] == pd.Timestamp("2025-01-02", tz="UTC")]
    assert day["metric"].tolist() == ["fees", "revenue", "volume"]
    assert day.loc[day["metric"] == "fees", "value"].tolist() == [1_594_093.0]


def test_a_protocol_the_simulation_does_not_know_has_no_rows():
    stranger = TrackedProtocol("uniswap", "Uniswap", "defi", ("uniswap",))
    assert OfflineActivity().protocol_activity([stranger]).empty


def test_the_simulation_is_the_same_on_every_run():
    pd.testing.assert_frame_equal(simulated_activity.__wrapped__(), simulated_activity())


def test_values_are_whole_cents():
    values = activity()["value"]
    assert (values.round(2) == values).all()
