"""The benchmarks' generic simulated market: the right shape and schema, reproducible by seed,
every coin in a sector, and sectors that move together."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aisector.core.schema import MARKET_COLUMNS, validate_market_frame
from benchmarks.generic_market import generic_sector_members, simulate_generic_market
from tests.test_offline_market import wide


def test_generic_market_shape_schema_and_seed():
    first = simulate_generic_market(12, 48, seed=7)
    assert first.shape == (12 * 48, len(MARKET_COLUMNS))
    assert first["coin_id"].nunique() == 12
    assert first.groupby("coin_id", observed=True).size().eq(48).all()
    pd.testing.assert_frame_equal(first, validate_market_frame(first))
    pd.testing.assert_frame_equal(first, simulate_generic_market(12, 48, seed=7))
    assert not first["price"].equals(simulate_generic_market(12, 48, seed=8)["price"])
    assert (first[["price", "market_cap", "volume"]] > 0).all().all()


def test_generic_membership_covers_every_coin():
    market = simulate_generic_market(10, 24, seed=1)
    membership = generic_sector_members(10, n_sectors=3)
    assert list(membership.columns) == ["sector", "coin_id"]
    assert set(membership["coin_id"]) == set(market["coin_id"].astype(str))
    assert membership["sector"].nunique() == 3


def test_generic_sectors_co_move():
    market = simulate_generic_market(40, 500, seed=3, n_sectors=2)
    returns = np.log(wide(market, "price")).diff()
    membership = generic_sector_members(40, n_sectors=2).set_index("coin_id")["sector"]
    same = returns[membership.index[membership == "sector-1"]].corr().to_numpy()
    assert same[np.triu_indices_from(same, k=1)].mean() > 0.2
