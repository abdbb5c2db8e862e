"""kill -9 at random points: backfills of the offline story SIGKILLed mid-run, then checked.

    python -m benchmarks.crash_runs [--runs N] [--seed S]      default: 50 runs, seed 6

Each run collects the story (a snapshot, then 13 four-day chunks) into a fresh store and kills
the collector after a seeded random delay, uniform over the time an uninterrupted collect takes
(measured first), so kills land while it opens the store, fetches, and writes. Then the store is
checked against the collector's plan (``tests.store_workers.aftermath``): every write committed
before the kill still there, no write stored in part, no stored value the story does not have;
and a rerun must complete the story. SQLite always; PostgreSQL when AISECTOR_TEST_POSTGRES names
a server (as in CI). Exits 1 if any run lost or mangled anything.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.store_backends import SERVER_ENV, Server
from tests.store_workers import Aftermath, collect_seconds, is_complete, kill_at

CALIBRATION_RUNS = 3
PLACES = ("opening the store", "between writes", "inside a write", "after the end")


@dataclass
class Tally:
    """One database's runs."""

    collect_seconds: float
    left: list[Aftermath] = field(default_factory=list)
    rerun_seconds: list[float] = field(default_factory=list)
    complete: int = 0

    @property
    def clean(self) -> bool:
        damage = sum(a.rows_lost + a.partial + a.wrong_rows for a in self.left)
        return damage == 0 and self.complete == len(self.left)


@contextmanager
def fresh_store(backend: str, folder: Path, name: str) -> Iterator[str]:
    """An empty store's URL: a new SQLite file, or a new PostgreSQL database dropped after."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / name}.sqlite"
        return
    server = Server(os.environ[SERVER_ENV])
    url = server.new_database()
    try:
        yield url
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)')


def calibrate(backend: str, folder: Path) -> float:
    """Median seconds of uninterrupted collects into empty stores (after one to warm up)."""
    seconds = []
    for run in range(CALIBRATION_RUNS + 1):
        with fresh_store(backend, folder, f"calibrate{run}") as url:
            seconds.append(collect_seconds(url, folder / f"calibrate{backend}{run}"))
    return statistics.median(seconds[1:])


def crash_runs(backend: str, runs: int, seed: int, folder: Path) -> Tally:
    """``runs`` collects killed at seeded random points, each checked and rerun to the end."""
    tally = Tally(calibrate(backend, folder))
    draw = random.Random(seed)
    for run in range(runs):
        delay = draw.uniform(0, tally.collect_seconds)
        with fresh_store(backend, folder, f"run{run}") as url:
            tally.left.append(kill_at(url, delay, folder / f"trace{backend}{run}"))
            tally.rerun_seconds.append(collect_seconds(url, folder / f"rerun{backend}{run}"))
            tally.complete += is_complete(url)
    return tally


def print_table(results: dict[str, Tally]) -> None:
    print("collector SIGKILLed at a random point of an uninterrupted collect's duration")
    header = f"{'database':<11}{'runs':>5}{'collect s':>10}  {'kill landed':<58}"
    print(
        header + f"{'rows lost':>10}{'partial':>8}{'wrong':>6}{'rerun complete':>15}{'rerun s':>8}"
    )
    for backend, tally in results.items():
        places = Counter(a.landed for a in tally.left)
        landed = ", ".join(f"{places[p]} {p}" for p in PLACES if places[p])
        print(
            f"{backend:<11}{len(tally.left):>5}{tally.collect_seconds:>10.2f}  {landed:<58}"
            f"{sum(a.rows_lost for a in tally.left):>10}{sum(a.partial for a in tally.left):>8}"
            f"{sum(a.wrong_rows for a in tally.left):>6}"
            f"{f'{tally.complete}/{len(tally.left)}':>15}"
            f"{statistics.median(tally.rerun_seconds):>8.2f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="kills per database (default 50)")
    parser.add_argument("--seed", type=int, default=6, help="seed of the kill delays (default 6)")
    options = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if os.environ.get(SERVER_ENV) else ["sqlite"]
    with tempfile.TemporaryDirectory() as folder:
        results = {b: crash_runs(b, options.runs, options.seed, Path(folder)) for b in backends}
    print_table(results)
    return 0 if all(tally.clean for tally in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
