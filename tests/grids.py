"""Hypothesis strategies for random irregular observation grids and random sector memberships.

A drawn ``Case`` holds a validated tidy frame, a sectors mapping, an ``as_of`` and a window. Grids
mix: random timestamps (to the second, off the hour), hourly or daily points at any phase, daily
history joined to recent hourly history, regular grids of odd steps, gaps (scattered and long), a
snapshot at minute 22 after hourly or daily points, coins entering mid-window or going stale before
the end, rows after ``as_of``, points exactly on the window's boundaries, missing caps and volumes,
and observations that repeat the previous values. Each coin has its own grid.

Structure is drawn by hypothesis (so it shrinks: fewer coins, simpler grids, 24h first); the numbers
along a grid come from a drawn seed, which keeps big grids cheap to draw.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace

import pandas as pd
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from aisector.core.schema import MARKET_COLUMNS, validate_market_frame
from tests.reference_figures import window_length

WINDOWS = ("24h", "7d", "12h", "30d")
MAX_WEIGHTS = (None, 0.5, 0.25, 0.4, 0.6, 0.2, 1.0)
KINDS = ("random", "hourly", "daily", "daily_then_hourly", "regular")
BASE_DAY = pd.Timestamp("2025-01-20T00:00Z")
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)
SECOND = pd.Timedelta(seconds=1)
GHOST = "ghost"  # a configured coin the data never mentions

# The reference tests' settings. Each example costs tens of milliseconds (a validated frame, every
# table, the reference), and hypothesis may shrink a failure for minutes; so shrinking is opt-in.
# AISECTOR_REFERENCE_EXAMPLES=500 AISECTOR_REFERENCE_SHRINK=1 for a thorough run with minimal
# counterexamples.
EXAMPLES = int(os.environ.get("AISECTOR_REFERENCE_EXAMPLES", "60"))
PHASES = tuple(p for p in Phase if p is not Phase.explain)
if not os.environ.get("AISECTOR_REFERENCE_SHRINK"):
    PHASES = tuple(p for p in PHASES if p is not Phase.shrink)
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Case:
    """One drawn scenario: the frame, the sectors, and where and how long the window is."""

    frame: pd.DataFrame
    sectors: dict[str, tuple[str, ...]]
    as_of: pd.Timestamp
    window: str
    max_weight: float | None = None

    @property
    def start(self) -> pd.Timestamp:
        return self.as_of - window_length(self.window)

    @property
    def tolerance(self) -> pd.Timedelta:
        return pd.Timedelta(window_length(self.window).value // 10, unit="ns")

    @property
    def coins(self) -> list[str]:
        return sorted(set(self.frame["coin_id"].astype(str)))

    def members(self) -> pd.DataFrame:
        """The membership frame the pandas layer takes: one row per (sector, coin_id)."""
        return members_frame(self.sectors)

    def with_sectors(self, sectors: dict[str, tuple[str, ...]]) -> Case:
        return replace(self, sectors=sectors)

    def __repr__(self) -> str:  # hypothesis prints this for a falsifying example
        lines = [
            f"Case(window={self.window!r}, as_of={self.as_of.isoformat()}, "
            f"start={self.start.isoformat()}, tolerance={self.tolerance}, "
            f"max_weight={self.max_weight}, sectors={self.sectors})",
            "  timestamp                 coin   price        market_cap   volume",
        ]
        for row in self.frame.itertuples(index=False):
            lines.append(
                f"  {row.timestamp.isoformat():25} {row.coin_id:6} {row.price:<12.6g} "
                f"{row.market_cap:<12.6g} {row.volume:<12.6g}"
            )
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:  # hypothesis's printer
        printer.text(repr(self))


def members_frame(sectors: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(sector, coin) for sector, coins in sectors.items() for coin in coins],
        columns=["sector", "coin_id"],
    )


def tidy_frame(rows: list[tuple]) -> pd.DataFrame:
    """A validated frame from (timestamp, coin_id, price, market_cap, volume) tuples."""
    columns = list(zip(*rows, strict=True)) if rows else [[]] * 5
    frame = pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex(list(columns[0]), tz="UTC"),
            "coin_id": list(columns[1]),
            "symbol": [coin.upper() for coin in columns[1]],
            "price": pd.array(columns[2], dtype="float64"),
            "market_cap": pd.array(columns[3], dtype="float64"),
            "volume": pd.array(columns[4], dtype="float64"),
            "source": "test",
        }
    )
    return validate_market_frame(frame[list(MARKET_COLUMNS)])


def frame_rows(frame: pd.DataFrame) -> list[tuple]:
    """The (timestamp, coin_id, price, market_cap, volume) tuples of a frame."""
    return [
        (r.timestamp, str(r.coin_id), r.price, r.market_cap, r.volume)
        for r in frame.itertuples(index=False)
    ]


# --- one coin's grid ---------------------------------------------------------------------------


def _floor(stamp: pd.Timestamp, unit: pd.Timedelta) -> pd.Timestamp:
    return stamp.floor(f"{int(unit.total_seconds())}s")


def _regular(lo: pd.Timestamp, hi: pd.Timestamp, step: pd.Timedelta, phase: pd.Timedelta):
    """Points phase + k * step (aligned on the step's unit) inside [lo, hi]."""
    t = _floor(lo, step) + phase
    while t < lo:
        t += step
    out = []
    while t <= hi:
        out.append(t)
        t += step
    return out


@st.composite
def coin_grid(draw, as_of: pd.Timestamp, window: str, covered: bool = False) -> list[pd.Timestamp]:
    """The observation times of one coin: its own grid, gaps, snapshot and boundary points.

    ``covered``: the coin is always observed within the tolerance of the window start and of
    ``as_of`` (no entering, no going stale).
    """
    length = window_length(window)
    tolerance = pd.Timedelta(length.value // 10, unit="ns")
    start = as_of - length
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(KINDS))
    lo = start - tolerance * draw(st.sampled_from((1.5, 0.5, 3.0))) - DAY * draw(st.integers(0, 2))
    hi = as_of
    if not covered and draw(st.booleans()):  # enters mid-window
        lo = start + length * rng.uniform(0.0, 0.9)
    if not covered and draw(st.integers(0, 4)) == 0:  # goes stale before the end
        hi = as_of - tolerance * rng.uniform(1.05, 3.0)
    if draw(st.integers(0, 3)) == 0:  # rows after as_of too
        hi = as_of + length * 0.2
    if kind == "random":
        count = draw(st.integers(1, 30))
        span = int((hi - lo).total_seconds())
        times = [lo + SECOND * rng.randint(0, max(span, 0)) for _ in range(count)]
    elif kind == "hourly" and length <= 7 * DAY:
        phase = draw(st.sampled_from((pd.Timedelta(0), pd.Timedelta(minutes=22), None)))
        phase = SECOND * rng.randint(0, 3599) if phase is None else phase
        times = _regular(lo, hi, HOUR, phase)
    elif kind in ("daily", "hourly"):
        phase = draw(st.sampled_from((pd.Timedelta(0), None)))
        phase = SECOND * rng.randint(0, 86399) if phase is None else phase
        times = _regular(lo, hi, DAY, phase)
    elif kind == "daily_then_hourly":
        join = _floor(hi, HOUR) - HOUR * draw(st.integers(0, 72))
        times = [t for t in _regular(lo, hi, DAY, pd.Timedelta(0)) if t < join]
        times += _regular(max(join, lo), hi, HOUR, pd.Timedelta(0))
    else:  # a regular grid of an odd step
        step = SECOND * int(length.total_seconds() // draw(st.integers(2, 40)))
        times = _regular(lo, hi, step, SECOND * rng.randint(0, int(step.total_seconds()) - 1))
    gap = draw(st.sampled_from((0.0, 0.15, 0.4)))
    times = [t for t in times if rng.random() >= gap]
    if draw(st.integers(0, 3)) == 0:  # one long gap
        gap_start = start + length * rng.uniform(-0.1, 0.9)
        gap_end = gap_start + length * rng.uniform(0.1, 0.6)
        times = [t for t in times if not gap_start <= t <= gap_end]
    snapshot = draw(st.sampled_from(("none", "at_as_of", "minute_22")))
    if snapshot == "at_as_of" and lo <= as_of:
        times.append(as_of)
    elif snapshot == "minute_22" and times:
        before = [t for t in times if t <= as_of]
        if before:
            times.append(max(before) + pd.Timedelta(minutes=22))
    boundary = draw(st.sampled_from((None, "start", "start-tol", "end-tol", "as_of")))
    if boundary is not None:
        times.append(
            {
                "start": start,
                "start-tol": start - tolerance,
                "end-tol": as_of - tolerance,
                "as_of": as_of,
            }[boundary]
        )
    if covered:
        times.append(start - SECOND * int(tolerance.total_seconds() * rng.random()))
        times.append(as_of - SECOND * int(tolerance.total_seconds() * rng.random()))
        times = [t for t in times if t >= start - tolerance]
    if not times:
        times.append(lo)
    return sorted(set(times))


@st.composite
def coin_rows(
    draw, coin: str, times: list[pd.Timestamp], constant_supply: bool = False
) -> list[tuple]:
    """(timestamp, coin, price, market_cap, volume) along a grid: a random walk with missing
    caps or volumes and observations repeating the previous values."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    missing_cap = 0.0 if constant_supply else draw(st.sampled_from((0.0, 0.25, 1.0)))
    missing_volume = draw(st.sampled_from((0.0, 0.25, 1.0)))
    repeat = draw(st.sampled_from((0.0, 0.2, 0.6)))
    price = rng.choice((0.5, 1.0, 2.0, 10.0, 100.0, 1234.5, 0.0001))
    supply = rng.choice((1e6, 3e7, 2e9))
    rows: list[tuple] = []
    for t in times:
        if rows and rng.random() < repeat:  # the very same values again
            rows.append((t, *rows[-1][1:]))
            continue
        price *= rng.choice((1.0, 0.9, 0.95, 1.02, 1.1, 1.3, rng.uniform(0.8, 1.25)))
        if not constant_supply:
            supply *= rng.uniform(0.99, 1.02)
        cap = price * supply if rng.random() >= missing_cap else float("nan")
        volume = 10 ** rng.uniform(3, 7) if rng.random() >= missing_volume else float("nan")
        rows.append((t, coin, price, cap, volume))
    return rows


# --- whole cases -------------------------------------------------------------------------------


@st.composite
def as_of_times(draw) -> pd.Timestamp:
    """A snapshot time: minute 22 (the collector's), on the hour, or any second."""
    hour = BASE_DAY + DAY * draw(st.integers(0, 3)) + HOUR * draw(st.integers(0, 23))
    minute = draw(st.sampled_from(("22", "00", "any")))
    if minute == "any":
        return hour + SECOND * draw(st.integers(1, 3599))
    return hour + pd.Timedelta(minutes=int(minute))


@st.composite
def memberships(draw, coins: list[str]) -> dict[str, tuple[str, ...]]:
    """1-4 sectors, each a non-empty set of coins (a coin may be in several, or in none; a sector
    may name a coin the data lacks)."""
    pool = [*coins, GHOST]
    count = draw(st.integers(1, 4))
    return {
        f"s{i}": tuple(
            draw(st.lists(st.sampled_from(pool), min_size=1, max_size=len(pool), unique=True))
        )
        for i in range(count)
    }


@st.composite
def cases(
    draw,
    *,
    max_coins: int = 5,
    constant_supply: bool = False,
    windows: tuple[str, ...] = WINDOWS,
) -> Case:
    """A random irregular grid with random sectors.

    ``constant_supply``: caps are supply x price on every row (never missing) and every coin is
    observed within the tolerance of both window ends.
    """
    window = draw(st.sampled_from(windows))
    as_of = draw(as_of_times())
    coins = [f"c{i}" for i in range(draw(st.integers(1, max_coins)))]
    rows = []
    for coin in coins:
        times = draw(coin_grid(as_of, window, covered=constant_supply))
        rows += draw(coin_rows(coin, times, constant_supply=constant_supply))
    frame = tidy_frame(rows)
    sectors = draw(memberships(coins))
    if constant_supply:  # constant membership: only coins the data has
        sectors = {
            s: tuple(c for c in cs if c != GHOST) or (coins[0],) for s, cs in sectors.items()
        }
    return Case(frame, sectors, as_of, window, draw(st.sampled_from(MAX_WEIGHTS)))


@st.composite
def identical_series_cases(draw) -> Case:
    """A case where coin ``c0`` has two twins with the same grid and prices (their caps and volumes
    differ); sector ``twins`` holds the three, sector ``solo`` c0 alone."""
    case = draw(cases(max_coins=3))
    rows = frame_rows(case.frame)
    scales = draw(st.lists(st.sampled_from((0.5, 2.0, 7.0)), min_size=2, max_size=2))
    twins = [
        (t, f"twin{k}", p, cap * scale, vol / scale)
        for k, scale in enumerate(scales)
        for t, coin, p, cap, vol in rows
        if coin == "c0"
    ]
    sectors = {"twins": ("c0", "twin0", "twin1"), "solo": ("c0",), **case.sectors}
    return replace(case, frame=tidy_frame(rows + twins), sectors=sectors)
