"""Which history a collect still has to fetch: the gaps in what the store has fetched, in chunks.

Pure functions of the store's coverage; the collector runs the plan. Chunks of coins with the
same gaps are shared, so a source is asked once per chunk for all of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

Interval = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class Chunk:
    """One request's worth of history: [start, end] for these coins."""

    start: pd.Timestamp
    end: pd.Timestamp
    coins: tuple[str, ...]


def gaps(window: Interval, covered: Sequence[Interval], shortest: pd.Timedelta) -> list[Interval]:
    """The parts of ``window`` outside every covered interval, ignoring those under ``shortest``."""
    start, end = window
    found: list[Interval] = []
    for low, high in sorted(covered):
        if low > start:
            found.append((start, min(low, end)))
        start = max(start, high)
        if start >= end:
            break
    if start < end:
        found.append((start, end))
    return [(low, high) for low, high in found if high - low >= shortest]


def chunks(interval: Interval, size: pd.Timedelta) -> list[Interval]:
    """``interval`` cut into pieces no longer than ``size`` (the source's limit), full ones last.

    Cut back from the end, so only the oldest piece is short: recent data comes in full chunks.
    """
    start, end = interval
    pieces: list[Interval] = []
    while end > start:
        pieces.append((max(start, end - size), end))
        end = pieces[-1][0]
    return pieces[::-1]


def backfill_plan(
    covered: Mapping[str, Sequence[Interval]],
    window: Interval,
    size: pd.Timedelta,
    shortest: pd.Timedelta,
    max_coins: int | None = None,
) -> list[Chunk]:
    """The chunks to fetch so every coin covers ``window``, newest first: every coin's newest
    chunk comes before any coin's older one, so the default windows fill for all coins first.

    Coins with the same piece share a chunk, at most ``max_coins`` to a chunk (a chunk is one
    write: smaller ones land sooner and lose less when a run stops)."""
    pieces: dict[tuple[int, Interval], list[str]] = defaultdict(list)
    for coin, intervals in covered.items():
        mine = [p for gap in gaps(window, intervals, shortest) for p in chunks(gap, size)]
        for rank, piece in enumerate(sorted(mine, reverse=True)):
            pieces[(rank, piece)].append(coin)
    ordered = sorted(pieces.items(), key=lambda item: (-item[0][0], item[0][1]), reverse=True)
    step = max_coins or max((len(c) for c in pieces.values()), default=1)
    return [
        Chunk(start, end, tuple(coins[i : i + step]))
        for (_rank, (start, end)), coins in ordered
        for i in range(0, len(coins), step)
    ]


def is_covered(covered: Sequence[Interval], chunk: Chunk) -> bool:
    """Whether one covered interval already holds the whole chunk (another run fetched it)."""
    return any(low <= chunk.start and chunk.end <= high for low, high in covered)
