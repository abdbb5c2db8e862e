"""Protocol activity beside token prices (``aisector.analytics.usage``): hand-computed cases of the
daily table and of when usage and price disagree, then the offline story's golden figures."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from aisector.analytics.panel import market_panel
from aisector.analytics.usage import (
    BELOW_PEAK,
    CAP_TO_REVENUE,
    FROM_PEAK,
    KIND,
    OPPOSITE,
    PEAK_DATE,
    REVENUE_SHARE,
    USAGE_CHANGE,
    change_column,
    protocol_days,
    usage_price_disagreements,
    usage_views,
)
from aisector.analytics.views import build_views
from aisector.core.schema import (
    COIN_ID,
    DATE,
    METRIC,
    PRICE,
    PROTOCOL,
    REVENUE,
    SECTOR,
    validate_fundamentals_frame,
)
from aisector.core.sectors import load_sectors
from aisector.present.summary import usage_sentences
from aisector.sources.fundamentals import load_fundamentals
from aisector.sources.market_data import load_market
from tests.conftest import tidy

DAY0 = pd.Timestamp("2025-01-01T00:00Z")
PROTOCOLS = pd.DataFrame(
    [("p", "s", "a"), ("q", "s", "b"), ("q", "s", "c")], columns=[PROTOCOL, SECTOR, COIN_ID]
)


def activity(values: dict[tuple[str, str], list[float | None]]) -> pd.DataFrame:
    """Daily rows from DAY0 on: {(protocol, metric): [value per day]}, None for no row."""
    rows = [
        (DAY0 + pd.Timedelta(days=day), protocol, metric, value, "test")
        for (protocol, metric), series in values.items()
        for day, value in enumerate(series)
        if value is not None
    ]
    frame = pd.DataFrame(rows, columns=["date", "protocol", "metric", "value", "data_source"])
    return validate_fundamentals_frame(frame)


def moves(**changes: float) -> pd.DataFrame:
    return pd.DataFrame({COIN_ID: list(changes), "change": list(changes.values())})


def test_price_up_while_usage_far_below_its_peak_disagrees():
    usage = activity({("p", REVENUE): [10.0, 100.0, 40.0, 30.0], ("q", REVENUE): [10, 100, 60, 51]})
    found = usage_price_disagreements(usage, moves(a=0.10, b=0.10, c=0.10), PROTOCOLS, None)
    # p is 70% below its day-1 peak; q only 49%: not "far" (half)
    assert found[[PROTOCOL, COIN_ID, KIND]].values.tolist() == [["p", "a", BELOW_PEAK]]
    assert found.loc[0, FROM_PEAK] == pytest.approx(30 / 100 - 1)
    assert found.loc[0, PEAK_DATE] == DAY0 + pd.Timedelta(days=1)


def test_a_falling_price_beside_low_usage_agrees():
    usage = activity({("p", REVENUE): [10.0, 100.0, 40.0, 30.0]})
    assert usage_price_disagreements(usage, moves(a=-0.2), PROTOCOLS, None).empty


def test_opposite_moves_over_the_windows_days_disagree_for_each_token():
    # last 2 days 20 + 22 = 42 against 10 + 10 = 20 before: +110%; one token falls, one holds
    usage = activity({("q", REVENUE): [10.0, 10.0, 20.0, 22.0]})
    found = usage_price_disagreements(usage, moves(b=-0.06, c=-0.01), PROTOCOLS, 2)
    assert found[[COIN_ID, KIND]].values.tolist() == [["b", OPPOSITE]]  # c moved under 5%
    assert found.loc[0, USAGE_CHANGE] == pytest.approx(42 / 20 - 1)
    # without whole days (a 12h window) the opposite rule is not checked
    assert usage_price_disagreements(usage, moves(b=-0.06), PROTOCOLS, None).empty


def test_usage_is_revenue_else_fees_else_volume():
    usage = activity(
        {
            ("p", REVENUE): [5.0, None, None],  # no revenue on the newest day: fees speak
            ("p", "fees"): [10.0, 100.0, 20.0],
            ("p", "volume"): [1.0, 1.0, 1.0],
        }
    )
    found = usage_price_disagreements(usage, moves(a=0.3), PROTOCOLS, None)
    assert found.loc[0, METRIC] == "fees" and found.loc[0, FROM_PEAK] == pytest.approx(-0.8)


def test_a_token_without_a_move_or_a_protocol_without_usage_says_nothing():
    usage = activity({("p", REVENUE): [100.0, 1.0]})
    assert usage_price_disagreements(usage, moves(b=0.5), PROTOCOLS, 1).empty  # a unpriced
    zero = activity({("p", REVENUE): [0.0, 0.0]})  # a peak of 0: no "from its peak"
    assert usage_price_disagreements(zero, moves(a=0.5), PROTOCOLS, None).empty


def test_daily_table_sets_price_and_cap_at_each_close_and_keeps_missing_missing():
    usage = activity({("p", REVENUE): [3.0, 4.0], ("q", REVENUE): [1.0, None]})
    # closes: hours 23 and 47 after T0 (2025-01-21); the activity days are 21 and 22 Jan
    market = tidy(
        [
            (23, "a", 2.0, 20.0, 1.0),
            (47, "a", 3.0, 30.0, 1.0),
            (23, "b", 5.0, 50.0, 1.0),
            (23, "c", 7.0, 70.0, 1.0),
            (47, "b", 6.0, 60.0, 1.0),
        ]
    )
    usage = usage.assign(**{DATE: usage[DATE] + (pd.Timestamp("2025-01-21T00:00Z") - DAY0)})
    days = protocol_days(usage, market, PROTOCOLS).set_index([PROTOCOL, DATE])
    assert days.loc["p", PRICE].tolist() == [2.0, 3.0]
    assert days.loc["q", PRICE].isna().all()  # two tokens: their prices do not add up
    assert days.loc["q", "market_cap"].iloc[0] == 120.0
    assert pd.isna(days.loc["q", "market_cap"].iloc[1])  # c has no cap at the second close
    assert pd.isna(days.loc["q", REVENUE].iloc[1])  # no row stays NaN, never 0
    assert days[CAP_TO_REVENUE].isna().all()  # fewer than 30 days of revenue


@pytest.fixture(scope="module")
def offline():
    book = load_sectors(None)
    return book, load_market("offline", book), load_fundamentals("offline", book)


def test_offline_story_golden_figures_over_24h(offline):
    book, market, fundamentals = offline
    views = build_views(market, book, "24h")
    usage = usage_views(fundamentals.frame, market, book.protocol_members(), views.tokens, 1)
    window = usage.window.set_index(PROTOCOL)
    virtuals = window.loc["virtuals-protocol"]
    assert virtuals[DATE] == pd.Timestamp("2025-01-21T00:00Z")
    assert virtuals[change_column(REVENUE)] == pytest.approx(2532.36 / 989.20 - 1)
    assert virtuals[CAP_TO_REVENUE] == pytest.approx(17.490059, rel=1e-6)
    assert virtuals[REVENUE_SHARE] == pytest.approx(0.506959, rel=1e-5)
    assert window.loc["render-network", REVENUE_SHARE] == 1.0  # alone in its sector
    assert pd.isna(window.loc["arc-rig", change_column("volume")])  # ARC reports no volume
    found = usage.disagreements.set_index(PROTOCOL)
    assert list(found.index) == ["virtuals-protocol", "ai16z-launchpad", "arc-rig"]
    assert found.loc["virtuals-protocol", "price_change"] == pytest.approx(0.1195)
    assert found.loc["virtuals-protocol", FROM_PEAK] == pytest.approx(2532.36 / 1_594_093 - 1)
    assert found.loc["virtuals-protocol", PEAK_DATE] == pd.Timestamp("2025-01-02T00:00Z")
    assert set(found[KIND]) == {BELOW_PEAK}
    peak_day = usage.days[
        (usage.days[PROTOCOL] == "virtuals-protocol") & (usage.days[DATE] == "2025-01-02")
    ]
    assert peak_day["fees"].item() == 1_594_093


def test_activity_never_runs_past_the_prices(offline):
    book, market, fundamentals = offline
    frame = market.frame[market.frame["timestamp"] <= pd.Timestamp("2025-01-10T12:00Z")]
    earlier = replace(market, frame=frame, panel=market_panel(frame))
    views = build_views(earlier, book, "24h")
    usage = usage_views(fundamentals.frame, earlier, book.protocol_members(), views.tokens, 1)
    assert usage.days[DATE].max() == pd.Timestamp("2025-01-09T00:00Z")  # the last whole day
    assert usage.window[DATE].unique().tolist() == [pd.Timestamp("2025-01-09T00:00Z")]


def shifted(market, days: int):
    """The market with every timestamp ``days`` later: the same prices at another time."""
    frame = market.frame.assign(timestamp=market.frame["timestamp"] + pd.Timedelta(days=days))
    return replace(market, frame=frame, panel=market_panel(frame))


def test_usage_that_ended_long_before_the_prices_disagrees_with_nothing(offline):
    book, market, fundamentals = offline
    later = shifted(market, 700)  # prices of 23 December 2026 beside activity ending 21 Jan 2025
    views = build_views(later, book, "24h")
    usage = usage_views(fundamentals.frame, later, book.protocol_members(), views.tokens, 1)
    assert usage.disagreements.empty
    assert usage.notes == (
        "protocol activity's newest day is 2025-01-21, 700 days before the prices' as-of time "
        "(2026-12-23 00:00 UTC): usage is not set against price",
    )
    assert usage.days[DATE].max() == pd.Timestamp("2025-01-21T00:00Z")  # still shown, dated


def test_usage_a_day_behind_the_prices_is_still_set_against_them(offline):
    book, market, fundamentals = offline
    later = shifted(market, 2)  # activity's newest day ends 2 days before the prices
    views = build_views(later, book, "24h")
    usage = usage_views(fundamentals.frame, later, book.protocol_members(), views.tokens, 1)
    assert usage.notes == ()
    assert "virtuals-protocol" in set(usage.disagreements[PROTOCOL])


def test_no_day_of_activity_before_the_prices_gives_empty_views_with_the_reason(offline):
    book, market, fundamentals = offline
    frame = market.frame[market.frame["timestamp"] <= pd.Timestamp("2024-12-01T12:00Z")]
    earlier = replace(market, frame=frame, panel=market_panel(frame))
    views = build_views(earlier, book, "1d")
    usage = usage_views(fundamentals.frame, earlier, book.protocol_members(), views.tokens, 1)
    assert usage.days.empty and usage.disagreements.empty
    assert usage.window[PROTOCOL].tolist() == [p.key for p in book.protocols]
    assert usage.window[CAP_TO_REVENUE].isna().all()  # missing, never 0
    assert usage.notes == (
        "no day of protocol activity was over by the prices' as-of time (2024-12-01 12:00 UTC)",
    )


def test_a_day_of_another_year_than_the_prices_says_its_year():
    found = pd.DataFrame(
        {
            PROTOCOL: ["p"],
            COIN_ID: ["a"],
            "price_change": [0.12],
            METRIC: [REVENUE],
            FROM_PEAK: [-0.9],
            PEAK_DATE: [pd.Timestamp("2024-12-30T00:00Z")],
            DATE: [pd.Timestamp("2025-01-01T00:00Z")],
            USAGE_CHANGE: [float("nan")],
            KIND: [BELOW_PEAK],
        }
    )
    sentences = usage_sentences(found, {"p": "P"}, {"a": "A"}, "24h", DAY0 + pd.Timedelta(days=1))
    assert sentences == (
        "A +12.00% while P revenue is -90.00% from its 30 Dec 2024 peak (daily revenue on 1 Jan).",
    )
