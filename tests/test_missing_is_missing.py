"""Missing is missing: a figure without its inputs is empty (blank in CSV, "—" on screen, left out
of rankings), never 0 and never another window's number. One test per place that could turn
"unknown" into "zero"."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import responses

from aisector.analytics.market import MarketData
from aisector.analytics.panel import market_panel
from aisector.analytics.shares import sector_totals, shares_of_total
from aisector.analytics.views import build_views
from aisector.apps.exports import csv_text
from aisector.core.schema import validate_market_frame
from aisector.core.sectors import parse_sectors
from aisector.present.formatting import MISSING, signed_percent
from aisector.present.missing import NO_CAP_WEIGHTS, NO_PRICES, NO_VOLUME_WEIGHTS, missing_reason
from aisector.present.summary import ranked_sectors, rotation_sentence, window_sentences
from connectors.coingecko import PUBLIC_URL, CoinGecko
from dashboard.grids import sector_table, sector_table_notes
from tests.live_fakes import FIXTURE_SECTORS, FakeClock, fixture

RETURNS = ("return_cap_weighted", "return_equal_weighted", "return_volume_weighted")


@pytest.fixture(scope="module")
def snapshot() -> MarketData:
    """CoinGecko's latest view only (no stored history): quotes now plus the rows its own
    24h/7d/30d changes imply; caps exist now and 24 h ago, volumes only now."""
    clock = FakeClock()
    gecko = CoinGecko.from_settings({}, clock=clock.time, sleep=clock.sleep)
    with responses.RequestsMock() as mocked:
        mocked.get(PUBLIC_URL + "coins/markets", json=fixture("coingecko_markets.json"))
        frame = gecko.market_history(["virtual-protocol", "pippin", "bitcoin"])
    return MarketData(frame, market_panel(frame), "coingecko", "CoinGecko (live)", True)


def sectors_for(data: MarketData, window: str) -> pd.DataFrame:
    return build_views(data, parse_sectors(FIXTURE_SECTORS), window).sectors.set_index("sector")


def test_a_7d_cap_weighted_return_without_a_cap_7d_ago_is_empty_not_the_24h_figure(snapshot):
    week = sectors_for(snapshot, "7d")
    day = sectors_for(snapshot, "24h")
    assert week["return_cap_weighted"].isna().all()
    assert week["market_cap_change"].isna().all()
    assert day["return_cap_weighted"].notna().all()  # caps 24 h ago come from CoinGecko's change
    # the equal-weighted index needs prices only: 7d ago -> 24h ago -> now, from CoinGecko's own
    # changes (VIRTUAL -20% over 7d, +11.95% over 24h; PIPPIN +60%, +104.82%)
    first_step = ((0.80 / 1.1195 - 1) + (1.60 / 2.0482 - 1)) / 2
    second_step = (0.1195 + 1.0482) / 2
    expected = (1 + first_step) * (1 + second_step) - 1
    assert week.loc["ai-agents", "return_equal_weighted"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("window", ["24h", "7d", "30d"])
def test_volume_weighted_return_without_volume_at_the_start_is_empty_in_every_window(
    snapshot, window
):
    table = sectors_for(snapshot, window)
    assert table["return_volume_weighted"].isna().all()
    assert (table["volume"] > 0).all()  # the volume now is known and shown


def test_empty_figures_are_blank_in_csv_and_dash_on_screen_with_the_reason(snapshot):
    views = build_views(snapshot, parse_sectors(FIXTURE_SECTORS), "7d")
    text = csv_text(views.sectors[["sector", *RETURNS]], "test")
    assert text.splitlines()[1].split(",")[1:4:2] == ["", ""]  # cap and volume weighted blank
    row = views.sectors.set_index("sector").loc["ai-agents"]
    assert signed_percent(row["return_volume_weighted"]) == MISSING == "—"
    assert missing_reason(row, "return_cap_weighted") == NO_CAP_WEIGHTS
    assert missing_reason(row, "return_volume_weighted") == NO_VOLUME_WEIGHTS
    assert missing_reason(row, "return_equal_weighted") is None
    shown = sector_table(views.sectors)
    assert (shown["Volume-weighted"] == MISSING).all()
    notes = sector_table_notes(views.sectors)
    assert any(
        "AI agents" in n and "Volume-weighted" in n and NO_VOLUME_WEIGHTS in n for n in notes
    )
    assert not any(re.search(r"(?<!\d)[+-]?0\.00%", cell) for cell in shown.to_numpy().ravel())


def test_a_sector_with_no_priced_member_is_explained_as_such():
    row = pd.Series({"counted": 0, "return_cap_weighted": np.nan})
    assert missing_reason(row, "return_cap_weighted") == NO_PRICES


def test_sectors_without_a_cap_weighted_return_are_left_out_of_the_ranking_and_summary(snapshot):
    views = build_views(snapshot, parse_sectors(FIXTURE_SECTORS), "7d")
    assert ranked_sectors(views).empty
    text = " ".join(window_sentences(views))
    assert not re.search(r"(?<!\d)[+-]?0\.00%", text)
    assert "AI agents led" not in text
    assert text.startswith("No sector has a cap-weighted return over the last 7d: no member has")


def test_a_sector_without_values_has_no_total_and_no_share_not_zero():
    values = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])
    membership = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    totals = sector_totals(values, membership)
    assert totals[0].tolist()[0] == 1.0 and math.isnan(totals[0, 1]) and totals[0, 2] == 3.0
    assert np.isnan(totals[1]).all()
    shares = shares_of_total(totals)
    assert shares[0, 0] == pytest.approx(0.25) and math.isnan(shares[0, 1])
    assert np.isnan(shares[1]).all()  # nothing known: no shares, not 0


def test_shares_that_did_not_move_read_steady_not_plus_zero_points():
    steady = pd.DataFrame(
        {
            "timestamp": [pd.Timestamp("2025-01-21T00:00Z")] * 2
            + [pd.Timestamp("2025-01-22T00:00Z")] * 2,
            "coin_id": ["a", "b"] * 2,
            "symbol": ["A", "B"] * 2,
            "price": [1.0, 2.0, 1.1, 2.2],
            "market_cap": [10.0, 20.0, 11.0, 22.0],
            "volume": [3.0, 7.0, 3.3, 7.7],  # both grow 10%: shares stay 30% / 70%
            "source": "test",
        }
    )
    frame = validate_market_frame(steady)
    data = MarketData(frame, market_panel(frame), "test", "test", False)
    book = parse_sectors('[sectors.x]\ncoins = ["a"]\n[sectors.y]\ncoins = ["b"]\n')
    sentence = rotation_sentence(build_views(data, book, "24h"))
    assert sentence == "Volume shares held steady over the last 24h (no sector moved 0.05 pp)."
