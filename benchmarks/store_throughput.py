"""History-store throughput: rows per second written (new, then again unchanged) and read back.

    python -m benchmarks.store_throughput [ROWS ...]      default: 36387 1000000

SQLite is a file in a temp folder (WAL, synchronous=FULL, as shipped); PostgreSQL is a throwaway
local cluster with its default, durable settings (needs Debian's postgresql, see tests).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aisector.store import Origin, open_store
from benchmarks.generic_market import simulate_generic_market
from tests.store_backends import Cluster, server_binaries

COINS = 200  # a market as wide as a big sectors file
ORIGIN = Origin("offline", "generic simulated market")


def market(rows: int) -> pd.DataFrame:
    """A simulated market of about ``rows`` rows."""
    coins = min(COINS, max(1, rows // 1000))
    return simulate_generic_market(coins, -(-rows // coins), seed=1)


def timed(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def measure(url: str, frame: pd.DataFrame) -> dict[str, float]:
    """Rows per second of each step on an empty store at ``url``."""
    with open_store(url) as store:
        steps = {
            "write new": timed(lambda: store.write(frame, ORIGIN)),
            "write unchanged": timed(lambda: store.write(frame, ORIGIN)),
            "read": timed(store.read),
        }
    return {step: len(frame) / seconds for step, seconds in steps.items()}


def main(sizes: list[int]) -> None:
    binaries = server_binaries()
    cluster = Cluster(binaries, durable=True).start() if binaries else None
    try:
        for rows in sizes:
            frame = market(rows)
            with tempfile.TemporaryDirectory() as folder:
                report("sqlite", frame, measure(f"sqlite:///{folder}/h.sqlite", frame))
            if cluster is not None:
                report("postgresql", frame, measure(cluster.new_database(), frame))
    finally:
        if cluster is not None:
            cluster.stop()


def report(backend: str, frame: pd.DataFrame, rates: dict[str, float]) -> None:
    cells = ", ".join(f"{step} {rate:,.0f} rows/s" for step, rate in rates.items())
    print(f"{backend:<10} {len(frame):>9,} rows: {cells}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [36_387, 1_000_000])
