"""Processes the store's tests start, kill and watch: a slowed collector, and a reader.

python -m tests.store_workers collect URL [--pause S]   prints its summary as JSON
python -m tests.store_workers read URL [--seconds S]     prints the row counts it saw as JSON
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

import pandas as pd

from aisector.backfill import backfill_plan
from aisector.collector import collect
from analytics.schema import validate_market_frame
from connectors.offline import STORY_END, STORY_START, OfflineMarket
from store import open_existing, open_store

BACKFILL = STORY_END - STORY_START  # the whole story
CHUNK = pd.Timedelta(days=4)
WINDOW = (STORY_END - BACKFILL, STORY_END)
READ_PAUSE = 0.1  # between a reader's reads, leaving the writer its share of a small machine


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


class SlowStory:
    """The offline story served four days per request after a pause: a backfill to interrupt."""

    name = "offline"
    label = "offline – simulated market"
    live = False
    history_chunk = CHUNK

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.requests_made = 0
        self._market = OfflineMarket()

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


def story() -> pd.DataFrame:
    """The rows a complete collect stores."""
    return validate_market_frame(OfflineMarket().market_history(story_coins()))


def chunk_row_counts() -> list[int]:
    """Rows stored after each chunk of an uninterrupted run, in the collector's order."""
    plan = backfill_plan({c: [] for c in story_coins()}, WINDOW, CHUNK, pd.Timedelta(hours=1))
    stamps = story()["timestamp"]
    seen = pd.Series(False, index=stamps.index)
    counts = [0]
    for chunk in plan:
        seen |= stamps.between(chunk.start, chunk.end)
        counts.append(int(seen.sum()))
    return counts


def run_collector(url: str, pause: float) -> dict[str, object]:
    with open_store(url) as store:
        done = collect(store, SlowStory(pause), story_coins(), BACKFILL, STORY_END)
    return {"rows_added": done.rows_added, "requests": done.requests, "coins": done.coins}


def run_reader(url: str, seconds: float) -> list[int]:
    """Read the whole store again and again until it is complete or time is up."""
    counts: list[int] = []
    full = len(story())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (not counts or counts[-1] < full):
        time.sleep(READ_PAUSE)
        store = open_existing(url)
        if store is None:
            counts.append(0)
            continue
        with store:
            counts.append(len(store.read(story_coins(), STORY_START, STORY_END)))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=("collect", "read"))
    parser.add_argument("url")
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    options = parser.parse_args()
    if options.role == "collect":
        print(json.dumps(run_collector(options.url, options.pause)), flush=True)
    else:
        print(json.dumps(run_reader(options.url, options.seconds)), flush=True)


if __name__ == "__main__":
    main()
