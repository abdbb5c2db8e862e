"""Relative rotation on volume share: golden numbers by hand, invariants, and the price default."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisector.analytics.rotation import (
    PRICE_BASIS,
    RELATIVE_STRENGTH,
    RS_BASIS,
    RS_MOMENTUM,
    RS_RATIO,
    VOLUME_SHARE_BASIS,
    relative_rotation,
)
from aisector.analytics.shares import VOLUME_SHARE
from aisector.analytics.tables import rotation_table
from aisector.analytics.windows import resolve_window
from aisector.core.sectors import load_sectors
from aisector.sources.market_data import load_market
from tests.conftest import hours, members, panel_of, span

HOUR = pd.Timedelta(hours=1)
TWO_SECTORS = members({"a": ["a"], "b": ["b"]})


def volume_rows(volumes: dict[str, list[float]]) -> list[tuple]:
    """Hourly rows of each coin with price 1 and cap 10 (only the volumes matter here)."""
    return [(h, c, 1.0, 10.0, v) for c, series in volumes.items() for h, v in enumerate(series)]


def volume_rotation(volumes: dict[str, list[float]], **options) -> pd.DataFrame:
    last = len(next(iter(volumes.values()))) - 1
    options = {"periods": 3, "basis": VOLUME_SHARE_BASIS} | options
    start = options.pop("start", hours(0))
    period = options.pop("period", HOUR)
    window = span(panel_of(volume_rows(volumes)), start, hours(last))
    return relative_rotation(window, TWO_SECTORS, period, **options)


def by_sector(frame: pd.DataFrame, column: str) -> dict[str, list[float]]:
    return {s: rows[column].tolist() for s, rows in frame.groupby("sector")}


def test_hourly_volume_share_rs_ratio_and_momentum_by_hand():
    # a's share of a + b: 50%, 51%, 50.5%, 52%, 51.5%, 53%, so RS_a = 50, 51, 50.5, 52, 51.5, 53
    # and RS_b = 100 - RS_a. With N = 3 (sample std):
    #   h2: RS 50, 51, 50.5: mean 50.5, std 0.5, z = 0                   -> 100
    #   h3: RS 51, 50.5, 52: mean 51.1667, std 0.763763, z = 1.091089    -> 101.091089
    #   h4: RS 50.5, 52, 51.5: mean 51.3333, std 0.763763, z = 0.218218  -> 100.218218
    #   h5: RS 52, 51.5, 53: mean 52.1667, std 0.763763, z = 1.091089    -> 101.091089
    #   roc h3..h5 = 0.0109109, -0.0086348, 0.0087096: mean 0.0036619, std 0.0107063,
    #   z(h5) = 0.471488 -> RS-momentum 100.471488.
    # b mirrors a in RS-ratio (z_b = -z_a), not in momentum: its roc h3..h5 = -0.0109109,
    #   0.0088249, -0.0087478: mean -0.0036113, std 0.0108242, z(h5) = -0.474542 -> 99.525458.
    share_a = [50.0, 51.0, 50.5, 52.0, 51.5, 53.0]
    frame = volume_rotation({"a": share_a, "b": [100.0 - v for v in share_a]})
    rs, ratio = by_sector(frame, RELATIVE_STRENGTH), by_sector(frame, RS_RATIO)
    assert rs["a"] == pytest.approx(share_a)
    assert rs["b"] == pytest.approx([100.0 - v for v in share_a])
    golden_a = [np.nan, np.nan, 100.0, 101.0910894512, 100.2182178902, 101.0910894512]
    assert ratio["a"] == pytest.approx(golden_a, nan_ok=True)
    assert ratio["b"] == pytest.approx([200.0 - v for v in golden_a], nan_ok=True)
    momentum = by_sector(frame, RS_MOMENTUM)
    assert momentum["a"] == pytest.approx([np.nan] * 5 + [100.4714882783], nan_ok=True)
    assert momentum["b"] == pytest.approx([np.nan] * 5 + [99.5254575558], nan_ok=True)


def test_a_step_longer_than_an_hour_takes_the_ratio_of_the_summed_volumes():
    # 2-hour steps at h1 and h3. Step h1 holds h0 and h1: a 10 + 30, b 30 + 30 -> 40 / 100 = 40%
    # (the mean of the hourly shares, 25% and 50%, would be 37.5%). Step h3: a 20 + 20,
    # b 60 + 20 -> 40 / 120 = 33.33%. N = 2: RS 40, 33.33 has mean 36.67 and std 4.714,
    # so z(h3) = -0.7071 -> RS-ratio 99.2929 for a and 100.7071 for b.
    frame = volume_rotation(
        {"a": [10.0, 30.0, 20.0, 20.0], "b": [30.0, 30.0, 60.0, 20.0]},
        period=2 * HOUR,
        periods=2,
    )
    assert frame["timestamp"].unique().tolist() == [hours(1), hours(3)]
    assert by_sector(frame, RELATIVE_STRENGTH) == {
        "a": pytest.approx([40.0, 100 / 3]),
        "b": pytest.approx([60.0, 200 / 3]),
    }
    ratio = by_sector(frame, RS_RATIO)
    assert ratio["a"] == pytest.approx([np.nan, 100 - 0.5**0.5], nan_ok=True)
    assert ratio["b"] == pytest.approx([np.nan, 100 + 0.5**0.5], nan_ok=True)


volumes = st.lists(st.integers(1, 10**9), min_size=8, max_size=40)


@settings(max_examples=40, deadline=None)
@given(
    totals=volumes,
    share=st.floats(0.01, 0.99),
    split=st.lists(st.floats(0.0, 1.0), min_size=40, max_size=40),
)
def test_a_sector_with_a_constant_volume_share_sits_at_the_centre(totals, share, split):
    # sector s is coins x and y, whose own volumes move; s keeps `share` of the total throughout.
    rows = [
        row
        for h, total in enumerate(totals)
        for row in (
            (h, "x", 1.0, 1.0, share * total * split[h]),
            (h, "y", 1.0, 1.0, share * total * (1 - split[h])),
            (h, "z", 1.0, 1.0, (1 - share) * total),
        )
    ]
    frame = relative_rotation(
        span(panel_of(rows), hours(0), hours(len(totals) - 1)),
        members({"s": ["x", "y"], "rest": ["z"]}),
        HOUR,
        periods=3,
        basis=VOLUME_SHARE_BASIS,
    )
    for column in (RS_RATIO, RS_MOMENTUM):
        defined = frame[column].dropna()
        assert defined.to_numpy() == pytest.approx(np.full(len(defined), 100.0))
    assert frame[RS_MOMENTUM].notna().sum() == 2 * (len(totals) - 5)  # two sectors, 2·N − 1 warm-up


def test_the_benchmark_plays_no_part_in_the_volume_share_basis():
    series = {"a": [5.0, 7.0, 6.0, 9.0, 4.0, 8.0], "b": [9.0, 3.0, 6.0, 5.0, 8.0, 2.0]}
    versus_btc = volume_rotation(series, benchmark=["b"])
    versus_market = volume_rotation(series, benchmark=None)
    pd.testing.assert_frame_equal(versus_btc, versus_market)


def test_an_unknown_basis_is_refused():
    with pytest.raises(ValueError, match="unknown RS basis 'volume'"):
        volume_rotation({"a": [1.0, 2.0], "b": [2.0, 1.0]}, basis="volume")


@pytest.fixture(scope="module")
def offline():
    book = load_sectors()
    return book, load_market("offline", book)


def test_hourly_volume_share_rs_is_the_rotation_tables_volume_share_in_percent(offline):
    book, data = offline
    table = rotation_table(
        resolve_window(data.panel, data.as_of, "24h"),
        book.members(),
        book.benchmark,
        VOLUME_SHARE_BASIS,
    )
    assert (table[RS_BASIS] == VOLUME_SHARE_BASIS).all()
    assert table[[RS_RATIO, RS_MOMENTUM]].notna().all().all()
    assert table[RELATIVE_STRENGTH].to_numpy() == pytest.approx(100 * table[VOLUME_SHARE])


def test_price_stays_the_default_basis_with_its_numbers(offline):
    book, data = offline
    default = rotation_table(
        resolve_window(data.panel, data.as_of, "7d"), book.members(), book.benchmark
    )
    price = rotation_table(
        resolve_window(data.panel, data.as_of, "7d"), book.members(), book.benchmark, "price"
    )
    volume = rotation_table(
        resolve_window(data.panel, data.as_of, "7d"),
        book.members(),
        book.benchmark,
        VOLUME_SHARE_BASIS,
    )
    pd.testing.assert_frame_equal(default, price)
    assert (default[RS_BASIS] == PRICE_BASIS).all()
    assert not np.allclose(default[RS_RATIO], volume[RS_RATIO])
    strength = [RS_BASIS, RELATIVE_STRENGTH, RS_RATIO, RS_MOMENTUM]
    pd.testing.assert_frame_equal(default.drop(columns=strength), volume.drop(columns=strength))


def test_a_30d_window_has_volume_share_rs_every_four_hours(offline):
    book, data = offline
    table = rotation_table(
        resolve_window(data.panel, data.as_of, "30d"), book.members(), None, VOLUME_SHARE_BASIS
    ).dropna(subset=[RS_RATIO])
    steps = table["timestamp"].drop_duplicates()
    assert (steps.diff().dropna() == 4 * HOUR).all()
    assert len(steps) == 181
