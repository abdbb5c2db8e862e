"""Methods reconciled: members' contributions add up to the sector's cap-weighted return."""

from __future__ import annotations

import numpy as np
import pytest

from aisector.analytics.index import CAP_WEIGHTED
from aisector.analytics.sector_stats import return_column
from aisector.analytics.tables import (
    CONTRIBUTION,
    WEIGHT_AT_START,
    contributions_table,
    sectors_table,
)
from aisector.analytics.windows import resolve_window
from tests.conftest import hours, members, panel_of


def test_contribution_is_start_weight_times_move(two_coin_rows):
    panel = panel_of(two_coin_rows)
    table = contributions_table(resolve_window(panel, hours(2), "2h"), members({"s": ["a", "b"]}))
    assert table["coin_id"].tolist() == ["a", "b"]  # largest contribution first
    assert table[WEIGHT_AT_START].tolist() == pytest.approx([0.25, 0.75])
    assert table["change"].tolist() == pytest.approx([0.21, -0.0025])
    assert table[CONTRIBUTION].tolist() == pytest.approx([0.0525, -0.001875])


def test_contributions_add_up_to_the_chain_linked_return_when_caps_follow_prices(two_coin_rows):
    panel = panel_of(two_coin_rows)
    sectors = members({"s": ["a", "b"]})
    total = contributions_table(resolve_window(panel, hours(2), "2h"), sectors)[CONTRIBUTION].sum()
    chain_linked = sectors_table(resolve_window(panel, hours(2), "2h"), sectors)[
        return_column(CAP_WEIGHTED)
    ]
    assert total == pytest.approx(0.050625)
    assert total == pytest.approx(chain_linked.iloc[0])


def test_members_without_a_start_cap_or_price_weigh_nothing_and_unknown_coins_are_left_out():
    rows = [
        (0, "a", 10.0, 100.0, 1.0),
        (0, "b", 10.0, np.nan, 1.0),
        (1, "a", 12.0, 120.0, 1.0),
        (1, "b", 20.0, 200.0, 1.0),
        (1, "c", 5.0, 50.0, 1.0),
    ]
    table = contributions_table(
        resolve_window(panel_of(rows), hours(1), "1h"), members({"s": ["a", "b", "c", "nowhere"]})
    )
    assert table["coin_id"].tolist() == ["a", "b", "c"]
    assert table[WEIGHT_AT_START].tolist() == pytest.approx([1.0, 0.0, 0.0])
    assert table[CONTRIBUTION].tolist() == pytest.approx([0.2, np.nan, np.nan], nan_ok=True)


def test_offline_ai_agents_story_pippin_doubles_but_adds_under_three_points():
    from aisector.core.sectors import load_sectors
    from aisector.sources.market_data import load_market

    book = load_sectors()
    data = load_market("offline", book)
    table = contributions_table(resolve_window(data.panel, data.as_of, "24h"), book.members())
    agents = table[table["sector"] == "ai-agents"].set_index("symbol")
    assert agents[CONTRIBUTION].sum() == pytest.approx(0.1047, abs=5e-5)
    assert agents.loc["PIPPIN", "change"] > 1.0
    assert agents.loc["PIPPIN", CONTRIBUTION] < 0.03
