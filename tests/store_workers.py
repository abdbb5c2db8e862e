"""Processes the store's tests and benchmarks start, kill and watch, and what a kill leaves behind.

python -m tests.store_workers collect URL [--pause S]   prints its summary as JSON
python -m tests.store_workers read URL [--seconds S] [--via dashboard]
    prints "reading" once it has read, then the row counts it saw as JSON; ``--via dashboard``
    reads the way the dashboard does (``load_market`` on ``--source store``, AISECTOR_STORE=URL)

``kill_at`` runs a traced collector as a child of a forkserver that has imported everything
already, and times its delay from the collector's first note, so a kill lands in the collect
itself, not in Python's start-up; ``aftermath`` then checks the store against the collector's
plan, write by write.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aisector.apps.backfill import Chunk, Interval, backfill_plan, is_covered
from aisector.apps.collector import collect
from aisector.core.errors import SourceError
from aisector.core.schema import validate_market_frame
from aisector.core.sectors import load_sectors
from aisector.sources.market_data import load_market
from aisector.store import HistoryStore, open_existing, open_store
from connectors.base import CollectableSource
from connectors.offline import STORY_END, STORY_START, OfflineMarket

BACKFILL = STORY_END - STORY_START  # the whole story
CHUNK = pd.Timedelta(days=4)
STEP = pd.Timedelta(hours=1)
WINDOW = (STORY_END - BACKFILL, STORY_END)
READ_PAUSE = 0.1  # between a reader's reads, leaving the writer its share of a small machine
KEY = ["coin_id", "timestamp"]
VALUES = ["symbol", "price", "market_cap", "volume"]
MILLISECOND = pd.Timedelta(milliseconds=1)
# Children forked from one process that imported this module: started in milliseconds.
FORKS = multiprocessing.get_context("forkserver")
FORKS.set_forkserver_preload([__name__])


def story_coins() -> tuple[str, ...]:
    """Eight coins of the offline story, two of them launched late: small enough to be quick."""
    return (
        "bitcoin",
        "ethereum",
        "virtual-protocol",
        "pippin",
        "official-trump",
        "melania-meme",
        "bittensor",
        "pepe",
    )


class SlowStory(CollectableSource):
    """The offline story as a live-like source: a snapshot of its last hour, then history served
    four days per request after a pause: a backfill to interrupt."""

    name = "offline"
    label = "offline – simulated market"
    live = False
    history_chunk = CHUNK
    history_step = STEP
    history_not_found: frozenset[str] = frozenset()

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.requests_made = 0
        self._market = OfflineMarket()

    def snapshot(self, coins: Sequence[str]) -> pd.DataFrame:
        self.requests_made += 1
        return self._market.market_history(coins, STORY_END, STORY_END)

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        if start is not None:
            time.sleep(self.pause)
            self.requests_made += 1
        return self._market.market_history(coins, start, end)


class Trace:
    """Events noted in a file by unbuffered appends: whatever was noted survives a SIGKILL."""

    def __init__(self, path: Path) -> None:
        self._file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)

    def note(self, event: str) -> None:
        os.write(self._file, f"{event}\n".encode())


class TracedStore:
    """A store that notes when each write starts and when it has committed."""

    def __init__(self, store: HistoryStore, trace: Trace) -> None:
        self._store = store
        self._trace = trace

    def write(self, *args: object) -> int:
        self._trace.note("begin")
        added = self._store.write(*args)
        self._trace.note("commit")
        return added

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def story() -> pd.DataFrame:
    """The rows a complete collect stores."""
    return validate_market_frame(OfflineMarket().market_history(story_coins()))


def snapshot_rows() -> pd.DataFrame:
    """The rows of the collector's snapshot, its first write."""
    return SlowStory(0).snapshot(story_coins())


def planned_chunks() -> list[Chunk]:
    """The chunks a collect into an empty store writes after the snapshot, in its order."""
    return backfill_plan({c: [] for c in story_coins()}, WINDOW, CHUNK, STEP)


def chunk_row_counts() -> list[int]:
    """Rows stored after each write of an uninterrupted run (the snapshot, then each chunk)."""
    stamps = story()["timestamp"]
    seen = stamps == STORY_END
    counts = [0, int(seen.sum())]
    for chunk in planned_chunks():
        seen |= stamps.between(chunk.start, chunk.end)
        counts.append(int(seen.sum()))
    return counts


def stored(url: str) -> tuple[pd.DataFrame, dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]]:
    """The store's story rows and fetched ranges; an empty store when none was ever created."""
    store = open_existing(url)
    if store is None:
        return story().iloc[:0], {coin: [] for coin in story_coins()}
    with store:
        return store.read(source="offline"), store.coverage("offline", story_coins())


def run_collector(url: str, pause: float) -> dict[str, object]:
    with open_store(url) as store:
        done = collect(store, SlowStory(pause), story_coins(), BACKFILL, STORY_END)
    return {"rows_added": done.rows_added, "requests": done.requests, "coins": done.coins}


def run_traced(url: str, path: str) -> None:
    """A collect at full speed noting in ``path`` its start, the store open, and every write."""
    trace = Trace(Path(path))
    trace.note("start")
    with open_store(url) as store:
        trace.note("open")
        collect(TracedStore(store, trace), SlowStory(0), story_coins(), BACKFILL, STORY_END)


def run_reader(url: str, seconds: float, via: str) -> list[int]:
    """Read the whole store again and again until it is complete or time is up."""
    rows = dashboard_rows if via == "dashboard" else store_rows
    counts: list[int] = []
    full = len(story())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (not counts or counts[-1] < full):
        counts.append(rows(url))
        if len(counts) == 1:
            print("reading", flush=True)
        time.sleep(READ_PAUSE)
    return counts


def store_rows(url: str) -> int:
    """Rows the store holds for the story, read through the store itself."""
    store = open_existing(url)
    if store is None:
        return 0
    with store:
        return len(store.read(story_coins(), STORY_START, STORY_END))


def dashboard_rows(_url: str) -> int:
    """Rows the dashboard would show: ``load_market`` on the store, as ``dashboard/cache.py``
    calls it (the store's URL comes from AISECTOR_STORE, as for a dashboard started without
    ``--store``)."""
    try:
        return len(load_market("store", load_sectors()).frame)
    except SourceError:  # nothing collected yet: the dashboard says so, no crash
        return 0


@dataclass(frozen=True)
class Aftermath:
    """What a collector killed at some point left in the store, checked against its plan."""

    landed: str  # where the kill landed: opening the store, inside a write, between writes
    committed: int  # writes the collector had committed before the kill, by its trace
    rows_lost: int  # rows of those writes the store no longer holds
    partial: int  # writes stored in part, chunks marked fetched without their rows, or the reverse
    wrong_rows: int  # stored rows of no committed write, or with values the story does not have


def kill_at(url: str, delay: float, trace: Path) -> Aftermath:
    """Start a traced collect into ``url``, SIGKILL it ``delay`` seconds after it started, then
    check the store."""
    worker = _started(url, trace)
    worker.join(delay)
    finished = not worker.is_alive()
    if not finished:
        os.kill(worker.pid, signal.SIGKILL)
        worker.join()
    events = _events(trace)
    return aftermath(url, _landed(events, finished), events.count("commit"))


def collect_seconds(url: str, trace: Path) -> float:
    """Seconds a collect at full speed takes from its start to its end; raises if it fails."""
    worker = _started(url, trace)
    began = time.perf_counter()
    worker.join()
    if worker.exitcode != 0:
        raise RuntimeError(f"the collector into {url} exited with {worker.exitcode}")
    return time.perf_counter() - began


def _started(url: str, trace: Path) -> multiprocessing.process.BaseProcess:
    """A traced collector, once it has started: delays count from there, not from the fork."""
    worker = FORKS.Process(target=run_traced, args=(url, str(trace)))
    worker.start()
    while worker.is_alive() and not _events(trace):
        time.sleep(0.001)
    return worker


def _events(trace: Path) -> list[str]:
    return trace.read_text().split() if trace.exists() else []


def is_complete(url: str) -> bool:
    """Whether the store holds the whole story, each coin fetched as one range."""
    rows, covered = stored(url)
    return rows.equals(story()) and all(len(ranges) == 1 for ranges in covered.values())


def _landed(events: list[str], finished: bool) -> str:
    if finished:
        return "after the end"
    if "open" not in events:
        return "opening the store"
    return "inside a write" if events[-1] == "begin" else "between writes"


def aftermath(url: str, landed: str, committed: int) -> Aftermath:
    """Check the store after a kill: every write (snapshot, then chunks) whole or not at all."""
    full = story()
    rows, covered = stored(url)
    held = _held(full, rows)
    chunks = planned_chunks()
    writes = [full["timestamp"].eq(STORY_END), *(_rows_of(full, chunk) for chunk in chunks)]
    marked = [held[writes[0]].any()]  # the snapshot marks nothing: it is there if a row is
    marked += [all(is_covered(covered[c], chunk) for c in chunk.coins) for chunk in chunks]
    unique = sum(write.astype(int) for write in writes) == 1  # rows of one write only
    partial = sum(
        not held[write].all() if mark else held[write & unique].any()
        for write, mark in zip(writes, marked, strict=True)
    )
    partial += sum(covered[c] != _marked_ranges(chunks, marked[1:], c) for c in story_coins())
    expected = _any(full, [w for w, mark in zip(writes, marked, strict=True) if mark])
    lost = _any(full, writes[:committed]) & ~held
    wrong = _unknown_or_changed(full, rows) + int((held & ~expected).sum())
    return Aftermath(landed, committed, int(lost.sum()), int(partial), wrong)


def _rows_of(full: pd.DataFrame, chunk: Chunk) -> pd.Series:
    mine = full["coin_id"].isin(chunk.coins)
    return mine & full["timestamp"].between(chunk.start, chunk.end)


def _any(full: pd.DataFrame, masks: list[pd.Series]) -> pd.Series:
    return pd.concat([pd.Series(False, index=full.index), *masks], axis=1).any(axis=1)


def _keys(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(frame[KEY].astype({"coin_id": str}))


def _held(full: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Which of the story's rows the store holds."""
    return pd.Series(_keys(full).isin(_keys(rows)), index=full.index)


def _unknown_or_changed(full: pd.DataFrame, rows: pd.DataFrame) -> int:
    """Stored rows the story does not have, or whose values differ from it."""
    story_rows = full.set_index(_keys(full))[VALUES].astype({"symbol": str})
    mine = rows.set_index(_keys(rows))[VALUES].astype({"symbol": str})
    known = mine.index.isin(story_rows.index)
    theirs = story_rows.reindex(mine.index[known])
    same = (mine[known] == theirs) | (mine[known].isna() & theirs.isna())
    return int((~known).sum() + (~same.all(axis=1)).sum())


def _marked_ranges(chunks: list[Chunk], marked: list[bool], coin: str) -> list[Interval]:
    """The fetched ranges ``coin`` has when just the marked chunks were committed: touching
    chunks merged, as the store merges them."""
    ranges: list[Interval] = []
    mine = sorted(
        (c for c, m in zip(chunks, marked, strict=True) if m and coin in c.coins),
        key=lambda c: c.start,
    )
    for chunk in mine:
        if ranges and chunk.start <= ranges[-1][1] + MILLISECOND:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], chunk.end))
        else:
            ranges.append((chunk.start, chunk.end))
    return ranges


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=("collect", "read"))
    parser.add_argument("url")
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--via", choices=("store", "dashboard"), default="store")
    options = parser.parse_args()
    if options.role == "collect":
        print(json.dumps(run_collector(options.url, options.pause)), flush=True)
    else:
        print(json.dumps(run_reader(options.url, options.seconds, options.via)), flush=True)


if __name__ == "__main__":
    main()
