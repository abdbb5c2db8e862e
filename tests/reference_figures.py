"""An independent, plain-Python reference of every sector figure, for checking the pandas layer.

Loops, dicts and floats only: no numpy, nothing from ``analytics``. Slow and literal on purpose, so
that it can be read against the window rule (DESIGN.md, issue 10):

* ``tolerance`` is 10% of the window ``w``; the window starts at ``start = t - w``.
* A coin's value of a measure *as of* x is its last observation with that measure present, at or
  before x and no older than ``x - tolerance``; otherwise missing.
* Start values are the as-of values at ``start``; end values the as-of values at ``t``.
* The window's rows are the start row (stamped ``start``, holding the start values), then one row per
  distinct timestamp of the whole frame in ``(start, t]``. On those rows a coin's value of a measure is
  its latest observation in ``(start, row]``, else its start value (forward-filled, no age limit).
* Indices chain-link over those rows with weights from the previous row (see ``index_levels``).

Missing values are ``None`` everywhere in this module (never 0, never NaN).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

PRICE = "price"
MARKET_CAP = "market_cap"
VOLUME = "volume"
MEASURES = (PRICE, MARKET_CAP, VOLUME)

CAP_WEIGHTED = "cap_weighted"
CAPPED_CAP_WEIGHTED = "capped_cap_weighted"
EQUAL_WEIGHTED = "equal_weighted"
VOLUME_WEIGHTED = "volume_weighted"
BASE_LEVEL = 100.0

TOLERANCE_SHARE_PERCENT = 10  # tolerance = 10% of the window

Value = float | None
Values = dict[str, Value]  # measure -> value


@dataclass(frozen=True)
class Observation:
    """One row of the tidy frame for one coin; ``None`` where a measure is missing."""

    at: pd.Timestamp
    price: Value
    market_cap: Value
    volume: Value

    def get(self, measure: str) -> Value:
        return getattr(self, measure)


@dataclass(frozen=True)
class Window:
    """A window resolved once: its bounds, its tolerance and the timestamps of its steps."""

    start: pd.Timestamp
    end: pd.Timestamp
    tolerance: pd.Timedelta
    steps: tuple[pd.Timestamp, ...]  # distinct frame timestamps in (start, end], in order

    @property
    def stamps(self) -> tuple[pd.Timestamp, ...]:
        """Every row of the window: the start row, then the steps."""
        return (self.start, *self.steps)


# --- reading the frame -----------------------------------------------------------------------


def _number(value: object) -> Value:
    """A float, or ``None`` for NaN/None/pd.NA."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if number != number else number


def observations(frame: pd.DataFrame) -> dict[str, list[Observation]]:
    """coin_id -> its observations in time order."""
    by_coin: dict[str, list[Observation]] = {}
    columns = zip(
        frame["timestamp"].tolist(),
        frame["coin_id"].astype(str).tolist(),
        frame[PRICE].tolist(),
        frame[MARKET_CAP].tolist(),
        frame[VOLUME].tolist(),
        strict=True,
    )
    for at, coin, price, cap, volume in columns:
        observation = Observation(at, _number(price), _number(cap), _number(volume))
        by_coin.setdefault(coin, []).append(observation)
    for coin in by_coin:
        by_coin[coin].sort(key=lambda o: o.at)
    return by_coin


def window_length(window: str) -> pd.Timedelta:
    """``"24h"`` -> 24 hours, ``"7d"`` -> 7 days."""
    match = re.fullmatch(r"(\d+)([hd])", window.strip())
    if not match:
        raise ValueError(f"not a window: {window!r}")
    amount = int(match.group(1))
    return pd.Timedelta(hours=amount) if match.group(2) == "h" else pd.Timedelta(days=amount)


def resolve_window(frame: pd.DataFrame, as_of: pd.Timestamp, window: str) -> Window:
    """Bounds, tolerance (10% of w, to the nanosecond) and steps of ``window`` ending at ``as_of``."""
    length = window_length(window)
    tolerance = pd.Timedelta(length.value * TOLERANCE_SHARE_PERCENT // 100, unit="ns")
    start = as_of - length
    stamps = {pd.Timestamp(t) for t in frame["timestamp"]}
    steps = tuple(sorted(t for t in stamps if start < t <= as_of))
    return Window(start=start, end=as_of, tolerance=tolerance, steps=steps)


def value_as_of(
    history: Sequence[Observation], measure: str, at: pd.Timestamp, tolerance: pd.Timedelta
) -> Value:
    """The last observation of ``measure`` at or before ``at``, no older than ``at - tolerance``."""
    for observation in reversed(history):
        if observation.at > at:
            continue
        if observation.at < at - tolerance:
            return None
        if observation.get(measure) is not None:
            return observation.get(measure)
    return None


def values_as_of(
    history: Sequence[Observation], at: pd.Timestamp, tolerance: pd.Timedelta
) -> Values:
    """Every measure as of ``at``."""
    return {m: value_as_of(history, m, at, tolerance) for m in MEASURES}


def window_rows(
    by_coin: Mapping[str, Sequence[Observation]], window: Window
) -> list[tuple[pd.Timestamp, dict[str, Values]]]:
    """The window's rows: (stamp, coin -> values), the start row first, then forward-filled steps."""
    current = {
        coin: values_as_of(history, window.start, window.tolerance)
        for coin, history in by_coin.items()
    }
    at_stamp = {coin: {o.at: o for o in history} for coin, history in by_coin.items()}
    rows = [(window.start, {coin: dict(values) for coin, values in current.items()})]
    for step in window.steps:
        for coin in by_coin:
            observation = at_stamp[coin].get(step)
            if observation is None:
                continue
            for measure in MEASURES:
                if observation.get(measure) is not None:
                    current[coin][measure] = observation.get(measure)
        rows.append((step, {coin: dict(values) for coin, values in current.items()}))
    return rows


def _unique(coins: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(coins))


# --- token moves -------------------------------------------------------------------------------


def token_moves(frame: pd.DataFrame, as_of: pd.Timestamp, window: str) -> dict[str, Value]:
    """coin -> end price / start price - 1 (``None`` if either end is missing)."""
    resolved = resolve_window(frame, as_of, window)
    moves = {}
    for coin, history in observations(frame).items():
        start = value_as_of(history, PRICE, resolved.start, resolved.tolerance)
        end = value_as_of(history, PRICE, resolved.end, resolved.tolerance)
        moves[coin] = None if start is None or end is None else end / start - 1.0
    return moves


def end_values(frame: pd.DataFrame, as_of: pd.Timestamp, window: str) -> dict[str, Values]:
    """coin -> its price, market cap and volume as of ``as_of`` (the window's tolerance)."""
    resolved = resolve_window(frame, as_of, window)
    return {
        coin: values_as_of(history, as_of, resolved.tolerance)
        for coin, history in observations(frame).items()
    }


# --- indices -----------------------------------------------------------------------------------


def capped_shares(weights: Mapping[str, float], max_weight: float) -> dict[str, float]:
    """Normalised weights with none above ``max_weight``, the excess spread pro rata (water-filling).

    Only members with a weight > 0 take part; if too few to respect the cap (``n * max_weight < 1``)
    they share equally.
    """
    present = {coin: w for coin, w in weights.items() if w > 0}
    if not present:
        return {}
    if len(present) * max_weight < 1.0:
        return {coin: 1.0 / len(present) for coin in present}
    capped: set[str] = set()
    while True:
        free = {coin: w for coin, w in present.items() if coin not in capped}
        room = 1.0 - max_weight * len(capped)
        free_total = sum(free.values())
        shares = {coin: room * w / free_total for coin, w in free.items()}
        over = {coin for coin, share in shares.items() if share > max_weight}
        if not over:
            return {**{coin: max_weight for coin in capped}, **shares}
        capped |= over


def step_weights(
    returns: Mapping[str, float],
    previous: Mapping[str, Values],
    method: str,
    max_weight: float | None,
) -> dict[str, float]:
    """Weights of the members that have a return, from the previous row's values."""
    if method == EQUAL_WEIGHTED:
        return {coin: 1.0 for coin in returns}
    measure = VOLUME if method == VOLUME_WEIGHTED else MARKET_CAP
    basis = {}
    for coin in returns:
        value = previous[coin][measure]
        if value is not None and value > 0:
            basis[coin] = value
    if method == CAPPED_CAP_WEIGHTED:
        if max_weight is None:
            raise ValueError("the capped cap-weighted index needs max_weight")
        return capped_shares(basis, max_weight)
    if method not in (CAP_WEIGHTED, VOLUME_WEIGHTED):
        raise ValueError(f"unknown method {method!r}")
    return basis


def sector_levels(
    rows: Sequence[tuple[pd.Timestamp, Mapping[str, Values]]],
    coins: Sequence[str],
    method: str,
    max_weight: float | None = None,
) -> list[tuple[pd.Timestamp, Value]]:
    """One sector's index level on every window row.

    Base 100 at the first row where a member has a price (the start row if any member has a start
    price); before it, no level. Step return = sum(w_i r_i) / sum(w_i) over members with a return;
    0 if no member has a return; if members have returns but no weight, the level is missing from
    that row on.
    """
    levels: list[tuple[pd.Timestamp, Value]] = []
    level: Value = None
    started = False
    lost = False
    for k, (stamp, values) in enumerate(rows):
        priced = [c for c in coins if c in values and values[c][PRICE] is not None]
        if not started:
            if priced:
                started, level = True, BASE_LEVEL
            levels.append((stamp, level))
            continue
        if lost:
            levels.append((stamp, None))
            continue
        previous = rows[k - 1][1]
        returns = {}
        for coin in priced:
            before = previous[coin][PRICE]
            if before is not None:
                returns[coin] = values[coin][PRICE] / before - 1.0
        if returns:
            weights = step_weights(returns, previous, method, max_weight)
            total = sum(weights.values())
            if total > 0:
                step = sum(weights[c] * returns[c] for c in weights) / total
                level = level * (1.0 + step)
            else:
                lost, level = True, None
        levels.append((stamp, level))
    return levels


def index_levels(
    frame: pd.DataFrame,
    sectors: Mapping[str, Sequence[str]],
    as_of: pd.Timestamp,
    window: str,
    methods: Sequence[str] = (CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED),
    max_weight: float | None = None,
) -> dict[tuple[str, str], list[tuple[pd.Timestamp, Value]]]:
    """(sector, method) -> [(stamp, level)] on the window's rows, the start row first."""
    rows = window_rows(observations(frame), resolve_window(frame, as_of, window))
    return {
        (sector, method): sector_levels(rows, _unique(coins), method, max_weight)
        for sector, coins in sectors.items()
        for method in methods
    }


def index_return(levels: Sequence[tuple[pd.Timestamp, Value]]) -> Value:
    """Final level / 100 - 1; missing if the final level is."""
    final = levels[-1][1]
    return None if final is None else final / BASE_LEVEL - 1.0


# --- the sectors table -------------------------------------------------------------------------


def _sum(values: Iterable[Value]) -> Value:
    """The sum of the present values; ``None`` if none is present (an empty sum is unknown)."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def methods_for(max_weight: float | None) -> tuple[str, ...]:
    if max_weight is None:
        return (CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED)
    return (CAP_WEIGHTED, CAPPED_CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED)


def sector_rows(
    frame: pd.DataFrame,
    sectors: Mapping[str, Sequence[str]],
    as_of: pd.Timestamp,
    window: str,
    max_weight: float | None = None,
) -> dict[str, dict[str, object]]:
    """sector -> {column: value}, the sectors table's figures (``None`` where missing).

    ``members`` counts configured coins (known to the data or not); ``counted`` those with a price at
    both ends; ``market_cap_counted`` those with a cap at both ends. ``market_cap`` and ``volume`` sum
    the end values of members that have one (``None`` if no member has). ``volume_share`` is the
    sector's volume over the sum of all sectors' volumes (a coin in two sectors counts in each);
    ``None`` if either is missing or the total is 0.

    ``return_<method>`` is the index's final level / 100 - 1, missing if that level is missing or if
    no member is counted: an index that starts after the window start (every member entered later)
    or ends on stale prices (no member priced at the end) covers another window, and "never another
    window's number". This is also what makes a one-member sector's return equal its token move on
    any grid (both missing together).
    """
    by_coin = observations(frame)
    resolved = resolve_window(frame, as_of, window)
    nothing = {m: None for m in MEASURES}
    start = {c: values_as_of(h, resolved.start, resolved.tolerance) for c, h in by_coin.items()}
    end = {c: values_as_of(h, resolved.end, resolved.tolerance) for c, h in by_coin.items()}
    levels = index_levels(frame, sectors, as_of, window, methods_for(max_weight), max_weight)
    table: dict[str, dict[str, object]] = {}
    for sector, configured in sectors.items():
        coins = _unique(configured)
        first = [start.get(c, nothing) for c in coins]
        last = [end.get(c, nothing) for c in coins]
        both_prices = [
            a[PRICE] is not None and b[PRICE] is not None for a, b in zip(first, last, strict=True)
        ]
        both_caps = [
            (a[MARKET_CAP], b[MARKET_CAP])
            for a, b in zip(first, last, strict=True)
            if a[MARKET_CAP] is not None and b[MARKET_CAP] is not None
        ]
        cap_change = (
            sum(b for _, b in both_caps) / sum(a for a, _ in both_caps) - 1.0 if both_caps else None
        )
        row: dict[str, object] = {
            "members": len(coins),
            "counted": sum(both_prices),
            "market_cap_counted": len(both_caps),
            "market_cap": _sum(b[MARKET_CAP] for b in last),
            "market_cap_change": cap_change,
            "volume": _sum(b[VOLUME] for b in last),
        }
        for method in methods_for(max_weight):
            final = index_return(levels[(sector, method)])
            row[f"return_{method}"] = final if row["counted"] else None
        table[sector] = row
    total = _sum(row["volume"] for row in table.values())
    for row in table.values():
        volume = row["volume"]
        row["volume_share"] = (
            volume / total if volume is not None and total is not None and total > 0 else None
        )
    return table


# --- shares per step (the rotation table) ------------------------------------------------------


def rotation_shares(
    frame: pd.DataFrame,
    sectors: Mapping[str, Sequence[str]],
    as_of: pd.Timestamp,
    window: str,
) -> dict[tuple[pd.Timestamp, str], dict[str, Value]]:
    """(stamp, sector) -> volume_share and market_cap_share on every window row.

    A sector's total is the sum of its members' forward-filled values (a missing value adds
    nothing; no value at all leaves the total missing); its share is that over the sum of the
    known totals, missing where its total is missing or that sum is 0.
    """
    rows = window_rows(observations(frame), resolve_window(frame, as_of, window))
    out: dict[tuple[pd.Timestamp, str], dict[str, Value]] = {}
    for stamp, values in rows:
        for measure, column in ((VOLUME, "volume_share"), (MARKET_CAP, "market_cap_share")):
            totals = {}
            for sector, coins in sectors.items():
                totals[sector] = _sum(values[c][measure] for c in _unique(coins) if c in values)
            grand = sum(t for t in totals.values() if t is not None)
            for sector, total in totals.items():
                share = total / grand if total is not None and grand > 0 else None
                out.setdefault((stamp, sector), {})[column] = share
    return out
