"""The built-in offline market tells its story exactly, and looks like a market while doing it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aisector.core.schema import MARKET_COLUMNS, validate_market_frame
from aisector.core.sectors import load_sectors
from connectors.base import MarketSource
from connectors.offline import OfflineMarket, simulate_story, story_coins

UTC = "UTC"
FIRST = pd.Timestamp("2024-12-01 00:00", tz=UTC)
LAST = pd.Timestamp("2025-01-22 00:00", tz=UTC)
DAY = pd.Timedelta(hours=24)
# The story's moves over the 24 h to 22 January 00:00 UTC: the figures reported that day (README).
FINAL_DAY_MOVES = [
    ("pippin", 1.0482),
    ("ai-rig-complex", 0.4463),
    ("ai16z", 0.3017),
    ("virtual-protocol", 0.1195),
]


@pytest.fixture(scope="module")
def book():
    return load_sectors()


@pytest.fixture(scope="module")
def frame(book) -> pd.DataFrame:
    return OfflineMarket().market_history(book.coins())


def wide(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.pivot(index="timestamp", columns="coin_id", values=column)


def members(book, sector: str) -> list[str]:
    table = book.members()
    return table.loc[table["sector"] == sector, "coin_id"].tolist()


def sector_cap_change(frame: pd.DataFrame, coins: list[str], start, end) -> float:
    """DESIGN.md: sum(cap(end)) / sum(cap(start)) - 1 over members with both values."""
    caps = wide(frame, "market_cap").loc[[start, end], coins].dropna(axis=1)
    return caps.loc[end].sum() / caps.loc[start].sum() - 1


def volume_shares(frame: pd.DataFrame, book) -> pd.DataFrame:
    """Each sector's 24 h volume over the sum of all sectors', per timestamp."""
    rows = frame.merge(book.members(), on="coin_id")
    by_sector = rows.pivot_table(
        index="timestamp", columns="sector", values="volume", aggfunc="sum", observed=True
    )
    return by_sector.div(by_sector.sum(axis=1), axis=0)


def test_offline_market_is_a_market_source():
    source: MarketSource = OfflineMarket()
    assert (source.name, source.live) == ("offline", False)
    assert source.label == "offline – simulated market"


def test_two_independent_generations_are_equal():
    pd.testing.assert_frame_equal(simulate_story(), simulate_story())


def test_every_default_sector_coin_is_present(frame, book):
    coins = set(frame["coin_id"].astype(str))
    assert len(coins) >= 30
    assert set(book.coins()) <= coins


def test_story_groups_match_the_default_sectors_file(book):
    story = set(zip(story_coins()["group"], story_coins()["coin_id"], strict=True))
    assert story == set(book.members().itertuples(index=False, name=None))


def test_frame_is_already_valid(frame):
    assert tuple(frame.columns) == MARKET_COLUMNS
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert (frame["source"] == "offline").all()
    pd.testing.assert_frame_equal(frame, validate_market_frame(frame, source="offline"))


def test_hourly_grid_from_first_to_last_hour(frame):
    steps = frame.groupby("coin_id", observed=True)["timestamp"].diff().dropna()
    assert (steps == pd.Timedelta(hours=1)).all()
    assert frame["timestamp"].min() == FIRST
    ends = frame.groupby("coin_id", observed=True)["timestamp"].max()
    assert (ends == LAST).all()
    assert frame.groupby("coin_id", observed=True).size()["bitcoin"] == 52 * 24 + 1


def test_unknown_coins_are_absent_and_range_is_clipped():
    start = pd.Timestamp("2025-01-10", tz=UTC)
    rows = OfflineMarket().market_history(["bitcoin", "no-such-coin"], start=start)
    assert set(rows["coin_id"].astype(str)) == {"bitcoin"}
    assert rows["timestamp"].min() == start


@pytest.mark.parametrize(
    ("coin", "first"),
    [("official-trump", "2025-01-17 14:00"), ("melania-meme", "2025-01-19 14:00")],
)
def test_launched_coins_start_at_launch(frame, coin, first):
    stamps = frame.loc[frame["coin_id"] == coin, "timestamp"]
    assert stamps.min() == pd.Timestamp(first, tz=UTC)


@pytest.mark.parametrize(("coin", "move"), FINAL_DAY_MOVES)
def test_last_day_token_moves_are_exact(frame, coin, move):
    prices = wide(frame, "price")[coin]
    assert prices[LAST] / prices[LAST - DAY] - 1 == pytest.approx(move, rel=1e-9)


def test_ai_agents_rotate_back_on_the_last_day(frame, book):
    change = sector_cap_change(frame, members(book, "ai-agents"), LAST - DAY, LAST)
    assert change == pytest.approx(0.1047, rel=1e-9)


def test_ai_agents_fall_ten_percent_on_20_january(frame, book):
    start = pd.Timestamp("2025-01-20 00:00", tz=UTC)
    change = sector_cap_change(frame, members(book, "ai-agents"), start, start + DAY)
    assert change == pytest.approx(-0.10, rel=1e-9)


def test_virtual_volume_peaks_on_2_january(frame):
    volume = wide(frame, "volume")["virtual-protocol"]
    assert volume.idxmax().date() == pd.Timestamp("2025-01-02").date()
    assert volume.resample("D").mean().idxmax().date() == pd.Timestamp("2025-01-02").date()


def test_meme_launches_drain_ai_agent_volume(frame, book):
    shares = volume_shares(frame, book)
    early = shares.loc["2025-01-01":"2025-01-05"].mean()
    launch = shares.loc["2025-01-18":"2025-01-20"].mean()
    assert launch["meme"] > 3 * early["meme"]
    assert launch["ai-agents"] < 0.5 * early["ai-agents"]


@pytest.mark.parametrize(
    ("coin", "low", "high"),
    [
        ("bitcoin", 90_000, 110_000),
        ("ethereum", 3_000, 4_000),
        ("solana", 170, 300),
        ("dogecoin", 0.28, 0.45),
        ("pepe", 1.2e-5, 2.5e-5),
        ("virtual-protocol", 2.0, 5.5),
        ("ai16z", 0.7, 2.7),
        ("official-trump", 5.0, 90.0),
    ],
)
def test_january_prices_are_plausible(frame, coin, low, high):
    prices = wide(frame, "price").loc["2025-01-01":, coin].dropna()
    assert prices.between(low, high).all()


def test_trump_spikes_then_settles(frame):
    prices = wide(frame, "price")["official-trump"].dropna()
    assert prices.iloc[0] == pytest.approx(7.0, rel=0.3)
    assert 50 <= prices.max() <= 90
    assert 30 <= prices.iloc[-1] <= 50


def test_market_caps_are_realistic(frame):
    caps = wide(frame, "market_cap").loc["2025-01-01":]
    assert caps["bitcoin"].between(1.5e12, 2.5e12).all()
    assert caps["virtual-protocol"].between(2e9, 5.5e9).all()


def test_prices_move_like_a_market(frame, book):
    returns = np.log(wide(frame, "price")).diff()
    assert (returns.std() > 0.002).all()
    assert (returns.diff().abs().max() > 0).all()  # no coin moves in a straight line
    last_day = returns.loc[LAST - DAY + pd.Timedelta(hours=1) :]
    assert (last_day.std() > 0.002).all()  # calibrated hours stay noisy
    ai = returns[members(book, "ai-agents")].corr().to_numpy()
    assert ai[np.triu_indices_from(ai, k=1)].mean() > 0.2


def test_volume_reacts_to_moves(frame):
    calm = slice(None, "2025-01-16")  # before the launch surges
    move = np.log(wide(frame, "price").loc[calm]).diff(24).abs()
    turnover = np.log(wide(frame, "volume").loc[calm] / wide(frame, "market_cap").loc[calm])
    assert move.corrwith(turnover).mean() > 0.1
