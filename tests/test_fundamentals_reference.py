"""The fundamentals analytics against a slow plain-Python reference, on random activity with gaps,
late starts, missing metrics, zero and negative revenue, and on random irregular market grids for
the cap-to-revenue ratio; plus hand-computed cases.

Every figure must equal the reference (to 1e-9 relative) and be missing exactly where the
reference's is. Activity values are whole dollars, so every sum is exact whatever its order.
"""

from __future__ import annotations

import bisect
import math
import random

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisector.analytics.fundamentals import (
    cap_to_revenue,
    daily_series,
    protocol_caps,
    revenue_share,
    sector_totals,
    trailing_sum,
    window_change,
)
from aisector.core.schema import validate_fundamentals_frame
from tests.grids import PROPERTY, coin_rows, tidy_frame

DAY = pd.Timedelta(days=1)
FIRST = pd.Timestamp("2024-11-20", tz="UTC")
METRICS = ("fees", "revenue", "volume")
WINDOWS = (1, 2, 3, 7, 30)

# --- the reference: dicts, loops and floats; None is missing ---------------------------------

Values = dict[tuple[pd.Timestamp, str], float]  # (day, protocol) -> value


def ref_days(rows: list[tuple]) -> list[pd.Timestamp]:
    """Every day from the first row's date to the last row's, any metric."""
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    return [first + DAY * k for k in range((last - first) // DAY + 1)]


def ref_values(rows: list[tuple], metric: str) -> Values:
    return {(day, protocol): value for day, protocol, m, value in rows if m == metric}


def ref_sum(values: Values, day: pd.Timestamp, protocol: str, days: int) -> float | None:
    """The sum over the ``days`` days ending with ``day``, if every one has a value."""
    span = [day - DAY * k for k in range(days)]
    if any((d, protocol) not in values for d in span):
        return None
    return sum(values[(d, protocol)] for d in span)


def ref_change(values: Values, day: pd.Timestamp, protocol: str, days: int) -> float | None:
    recent = ref_sum(values, day, protocol, days)
    earlier = ref_sum(values, day - DAY * days, protocol, days)
    if recent is None or earlier is None or earlier <= 0:
        return None
    return recent / earlier - 1


def ref_sector_total(
    values: Values, day: pd.Timestamp, members: list[str], days: int = 1
) -> tuple[float | None, int]:
    present = [ref_sum(values, day, p, days) for p in members]
    present = [v for v in present if v is not None]
    return (sum(present) if present else None), len(present)


def ref_share(
    values: Values, day: pd.Timestamp, protocol: str, members: list[str], days: int
) -> float | None:
    own = ref_sum(values, day, protocol, days)
    total, _ = ref_sector_total(values, day, members, days)
    if own is None or total is None or total <= 0:
        return None
    return own / total


def ref_caps_by_coin(rows: list[tuple]) -> dict[str, list[tuple[pd.Timestamp, float]]]:
    """Each coin's (time, cap) observations that have a cap, in time order."""
    out: dict[str, list[tuple[pd.Timestamp, float]]] = {}
    for t, coin, _price, cap, _volume in sorted(rows, key=lambda r: r[0]):
        if not math.isnan(cap):
            out.setdefault(coin, []).append((t, cap))
    return out


def ref_close(observed: list[tuple[pd.Timestamp, float]], day: pd.Timestamp) -> float | None:
    """The last cap at or before the day's close (next midnight), no older than one day."""
    close = day + DAY
    at = bisect.bisect_right([t for t, _ in observed], close)
    if at == 0 or observed[at - 1][0] < close - DAY:
        return None
    return observed[at - 1][1]


def ref_cap(caps_by_coin: dict, coins: list[str], day: pd.Timestamp) -> float | None:
    caps = [ref_close(caps_by_coin.get(coin, []), day) for coin in coins]
    return None if any(c is None for c in caps) else sum(caps)


def ref_ratio(cap: float | None, revenue_30d: float | None) -> float | None:
    if cap is None or revenue_30d is None or revenue_30d <= 0:
        return None
    return cap / (revenue_30d * 365 / 30)


# --- comparing ---------------------------------------------------------------------------------


def same(got: float, want: float | None) -> bool:
    if want is None or math.isnan(got):
        return want is None and math.isnan(got)
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def assert_same(got: float, want: float | None, what: str) -> None:
    assert same(got, want), f"{what}: pandas layer {got!r}, reference {want!r}"


# --- random activity ---------------------------------------------------------------------------


@st.composite
def activity_rows(draw, min_span: int = 1) -> tuple[list[tuple], dict[str, str]]:
    """(date, protocol, metric, value) rows of 1-5 protocols in 1-3 sectors, and the sectors.

    Each protocol starts and stops on its own days, skips days at random (scattered or in a long
    gap), may lack a metric altogether, and reports zero days; a protocol may lose money (its
    revenue mostly negative or zero)."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    count = draw(st.integers(1, 5))
    sectors = {f"p{i}": f"s{draw(st.integers(0, 2))}" for i in range(count)}
    span = draw(st.integers(min_span, 80))
    rows = []
    for protocol in sectors:
        first = rng.randrange(span - min_span + 1)  # reports over min_span days at least
        last = rng.randrange(first + min_span - 1, span)
        skip = draw(st.sampled_from((0.0, 0.05, 0.3)))
        gap_start, gap_length = rng.randrange(span), rng.choice((0, 0, 3, 20))
        for metric in METRICS:
            if draw(st.integers(0, 5)) == 0:
                continue  # this protocol reports no such metric
            losing = metric == "revenue" and draw(st.integers(0, 2)) == 0  # pays out more
            for k in range(first, last + 1):
                if rng.random() < skip or gap_start <= k < gap_start + gap_length:
                    continue
                if losing:
                    value = rng.choice((0, rng.randint(-1_000, 10)))
                else:
                    value = rng.choice((0, rng.randint(0, 2_000), rng.randint(0, 10**9)))
                rows.append((FIRST + DAY * k, protocol, metric, float(value)))
    if not rows:
        rows.append((FIRST, "p0", "fees", 1.0))
    return rows, sectors


def frame_of(rows: list[tuple]) -> pd.DataFrame:
    raw = pd.DataFrame(rows, columns=["date", "protocol", "metric", "value"])
    return validate_fundamentals_frame(raw, source="test")


def members_of(sectors: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [(p, s, f"coin-{p}") for p, s in sectors.items()],
        columns=["protocol", "sector", "coin_id"],
    )


def series_of(rows: list[tuple], sectors: dict[str, str], metric: str) -> pd.DataFrame:
    return daily_series(frame_of(rows), metric, list(sectors))


# --- properties --------------------------------------------------------------------------------


@PROPERTY
@given(activity_rows(), st.sampled_from(METRICS))
def test_daily_series_matches_reference(case, metric):
    rows, sectors = case
    series = series_of(rows, sectors, metric)
    values = ref_values(rows, metric)
    assert list(series.index) == ref_days(rows)
    assert list(series.columns) == list(sectors)
    for day in series.index:
        for protocol in sectors:
            assert_same(series.at[day, protocol], values.get((day, protocol)), f"{protocol} {day}")


@PROPERTY
@given(activity_rows(), st.sampled_from(METRICS), st.sampled_from(WINDOWS))
def test_trailing_sum_and_window_change_match_reference(case, metric, days):
    rows, sectors = case
    series = series_of(rows, sectors, metric)
    sums, changes = trailing_sum(series, days), window_change(series, days)
    values = ref_values(rows, metric)
    for day in series.index:
        for protocol in sectors:
            where = f"{protocol} {metric} on {day:%Y-%m-%d} over {days}d"
            assert_same(sums.at[day, protocol], ref_sum(values, day, protocol, days), where)
            assert_same(changes.at[day, protocol], ref_change(values, day, protocol, days), where)


@PROPERTY
@given(activity_rows(), st.sampled_from(WINDOWS))
def test_sector_totals_and_revenue_share_match_reference(case, days):
    rows, sectors = case
    series = series_of(rows, sectors, "revenue")
    members = members_of(sectors)
    values = ref_values(rows, "revenue")
    totals = sector_totals(trailing_sum(series, days), members).set_index(["date", "sector"])
    shares = revenue_share(series, members, days)
    for day in series.index:
        for sector in set(sectors.values()):
            in_sector = [p for p, s in sectors.items() if s == sector]
            total, counted = ref_sector_total(values, day, in_sector, days)
            row = totals.loc[(day, sector)]
            assert_same(row["value"], total, f"{sector} total on {day:%Y-%m-%d}")
            assert (row["counted"], row["members"]) == (counted, len(in_sector))
        for protocol, sector in sectors.items():
            in_sector = [p for p, s in sectors.items() if s == sector]
            want = ref_share(values, day, protocol, in_sector, days)
            assert_same(shares.at[day, protocol], want, f"{protocol} share on {day:%Y-%m-%d}")


@st.composite
def market_rows(draw, coins: list[str], first: pd.Timestamp, last: pd.Timestamp) -> list[tuple]:
    """Each coin on its own irregular grid (to the second, with gaps) over the activity's days,
    some caps missing; sometimes exactly at midnight, the closes' edge."""
    rows = []
    for coin in coins:
        rng = random.Random(draw(st.integers(0, 2**32 - 1)))
        seconds = int((last + 2 * DAY - first).total_seconds())
        step = rng.choice((3_600, 86_400, 40_000, None))
        if step is None:
            times = [first + pd.Timedelta(seconds=rng.randrange(seconds)) for _ in range(30)]
        else:
            times = [first + pd.Timedelta(seconds=s) for s in range(0, seconds, step)]
            times = [t for t in times if rng.random() > 0.2]
        rows += draw(coin_rows(coin, sorted(set(times))))
    return rows


@PROPERTY
@given(activity_rows(min_span=30), st.data())
def test_protocol_caps_and_cap_to_revenue_match_reference(case, data):
    rows, sectors = case
    revenue = series_of(rows, sectors, "revenue")
    coins_of = {p: data.draw(st.sampled_from((["a"], ["b"], ["a", "b"], ["c"]))) for p in sectors}
    members = pd.DataFrame(
        [(p, sectors[p], c) for p, coins in coins_of.items() for c in coins],
        columns=["protocol", "sector", "coin_id"],
    )
    market = data.draw(market_rows(["a", "b"], revenue.index[0], revenue.index[-1]))
    caps = protocol_caps(tidy_frame(market), members, revenue.index)
    ratios = cap_to_revenue(revenue, caps)
    values = ref_values(rows, "revenue")
    caps_by_coin = ref_caps_by_coin(market)
    for day in revenue.index:
        for protocol, coins in coins_of.items():
            cap = ref_cap(caps_by_coin, coins, day)
            assert_same(caps.at[day, protocol], cap, f"{protocol} cap on {day:%Y-%m-%d}")
            want = ref_ratio(cap, ref_sum(values, day, protocol, 30))
            assert_same(ratios.at[day, protocol], want, f"{protocol} ratio on {day:%Y-%m-%d}")


# --- hand-computed cases -----------------------------------------------------------------------


def day(n: int) -> pd.Timestamp:
    return FIRST + DAY * n


def test_change_over_two_days_by_hand():
    rows = [(day(k), "p", "fees", v) for k, v in enumerate((1.0, 3.0, 2.0, 6.0, 0.0, 0.0))]
    changes = window_change(daily_series(frame_of(rows), "fees"), 2)["p"].tolist()
    # days 0-1 sum 4, days 2-3 sum 8: +100%; days 1-2 sum 5, days 3-4 sum 6: +20%;
    # days 2-3 sum 8, days 4-5 sum 0: -100%
    assert changes[:3] == pytest.approx([math.nan] * 3, nan_ok=True)
    assert changes[3:] == pytest.approx([1.0, 0.2, -1.0])


def test_a_missing_day_empties_every_span_it_is_in_and_a_zero_base_is_undefined():
    rows = [(day(k), "p", "fees", 5.0) for k in (0, 1, 3, 4, 5, 6)]
    rows += [(day(k), "q", "fees", 0.0) for k in range(7)]
    series = daily_series(frame_of(rows), "fees")
    assert math.isnan(series.at[day(2), "p"])  # the gap is a row of NaN, not a skipped row
    sums = trailing_sum(series, 2)["p"].tolist()
    assert sums == pytest.approx([math.nan, 10, math.nan, math.nan, 10, 10, 10], nan_ok=True)
    changes = window_change(series, 2)
    assert changes["p"].tolist()[-1] == 0.0  # days 3-4 against 5-6: both complete
    assert changes["p"].isna().sum() == 6
    assert changes["q"].isna().all()  # nothing against nothing: no change, not 0 and not -100%


def test_revenue_share_and_sector_totals_by_hand():
    rows = [
        (day(0), "v", "revenue", 30.0),
        (day(0), "a", "revenue", 10.0),
        (day(0), "r", "revenue", 7.0),
        (day(1), "v", "revenue", 20.0),  # a has no revenue on day 1
        (day(1), "r", "revenue", 0.0),
    ]
    members = pd.DataFrame(
        [("v", "agents", "x"), ("a", "agents", "y"), ("r", "infra", "z")],
        columns=["protocol", "sector", "coin_id"],
    )
    series = daily_series(frame_of(rows), "revenue", ["v", "a", "r"])
    shares = revenue_share(series, members)
    assert shares.loc[day(0)].tolist() == [0.75, 0.25, 1.0]
    assert shares.loc[day(1), "v"] == 1.0  # of the protocols that report (totals say 1 of 2)
    assert math.isnan(shares.loc[day(1), "a"]) and math.isnan(shares.loc[day(1), "r"])
    totals = sector_totals(series, members)
    assert totals.astype({"date": str}).values.tolist() == [
        [str(day(0)), "agents", 40.0, 2, 2],
        [str(day(0)), "infra", 7.0, 1, 1],
        [str(day(1)), "agents", 20.0, 1, 2],
        [str(day(1)), "infra", 0.0, 1, 1],
    ]


def test_a_sector_or_a_month_that_earns_nothing_has_no_share_and_no_ratio():
    rows = [(day(k), "v", "revenue", -5.0 if k % 2 else 5.0) for k in range(30)]
    rows += [(day(k), "w", "revenue", 0.0) for k in range(30)]
    series = daily_series(frame_of(rows), "revenue")
    members = pd.DataFrame(
        [("v", "agents", "x"), ("w", "idle", "y")], columns=["protocol", "sector", "coin_id"]
    )
    shares = revenue_share(series, members, 2)  # every 2-day sum is 0
    assert shares.isna().all().all()
    caps = pd.DataFrame({"v": 1e9, "w": 1e9}, index=series.index)
    assert cap_to_revenue(series, caps).isna().all().all()  # never inf, never 0
    losing = revenue_share(series.assign(v=-1.0), members)
    assert losing["v"].isna().all()  # a share of a loss is undefined


def test_cap_to_revenue_by_hand():
    rows = [(day(k), "v", "revenue", 1_000.0) for k in range(31)]
    rows[30] = (day(30), "v", "revenue", 0.0)
    series = daily_series(frame_of(rows), "revenue")
    market = [
        (day(29) + pd.Timedelta(hours=12), "tok", 2.0, 3_650_000.0, 1.0),  # close of day 29
        (day(30) + DAY, "tok", 2.0, 7_300_000.0, 1.0),  # exactly at the close of day 30
    ]
    members = pd.DataFrame([("v", "agents", "tok")], columns=["protocol", "sector", "coin_id"])
    caps = protocol_caps(tidy_frame(market), members, series.index)
    assert caps["v"].tolist()[28:] == pytest.approx(
        [math.nan, 3_650_000.0, 7_300_000.0], nan_ok=True
    )
    ratios = cap_to_revenue(series, caps)["v"]
    # day 29: 30 days of $1,000 -> $365,000 a year against a $3.65M cap; day 30: $29,000 in 30 days
    assert ratios[day(29)] == pytest.approx(10.0)
    assert ratios[day(30)] == pytest.approx(7_300_000.0 / (29_000 * 365 / 30))
    assert ratios[: day(28)].isna().all()  # fewer than 30 days of revenue: no ratio
