"""Upstream requests per snapshot and per backfill, counted at a CoinGecko-shaped local server.

Run: ``.venv/bin/python -m benchmarks.requests_per_snapshot``. The connector under test is the
real one (``connectors.coingecko.CoinGecko``), pointed at ``tests.fault_server.FaultServer`` on
127.0.0.1 with synthetic coins; the server counts what it was asked. Prints a table: for N coins,
requests for one dashboard snapshot (latest view: quotes plus 24h/7d/30d look-backs), the
expected ceil(N / 250), and requests for a 30-day and a 180-day hourly backfill.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence

import pandas as pd

from connectors.coingecko import IDS_PER_CALL, CoinGecko
from tests.fault_server import FaultServer, market_rows

COIN_COUNTS = (31, 250, 251, 1000)
BACKFILL_DAYS = (30, 180)


def synthetic_rows(count: int) -> list[dict]:
    """``count`` /coins/markets rows shaped like the fixture's, with ids coin-0000…, fresh now."""
    template = market_rows()[0]
    now = pd.Timestamp.now(tz="UTC").isoformat().replace("+00:00", "Z")
    return [
        {
            **template,
            "id": f"coin-{i:04d}",
            "symbol": f"c{i}",
            "name": f"Coin {i}",
            "last_updated": now,
        }
        for i in range(count)
    ]


def requests_for(count: int) -> tuple[int, int, dict[int, int], float]:
    """(snapshot requests, coins served, backfill requests per days, snapshot seconds)."""
    rows = synthetic_rows(count)
    coins = [row["id"] for row in rows]
    with FaultServer(rows=rows) as server:
        source = CoinGecko.from_settings(
            {"COINGECKO_API_URL": server.url, "COINGECKO_CALLS_PER_MINUTE": "100000"}
        )
        began = time.perf_counter()
        frame = source.latest(coins)
        seconds = time.perf_counter() - began
        snapshot = len(server.log)
        backfill = {}
        end = pd.Timestamp.now(tz="UTC").floor("h")
        for days in BACKFILL_DAYS if count <= IDS_PER_CALL else ():  # one call per coin: slow here
            server.clear()
            source.history(coins, end - pd.Timedelta(days=days), end)
            backfill[days] = len(server.log)
    return snapshot, frame["coin_id"].nunique(), backfill, seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coins", type=int, nargs="*", default=list(COIN_COUNTS))
    options = parser.parse_args(argv)
    print(
        "| coins | snapshot requests | expected ceil(N/250) | coins served | snapshot s |"
        + "".join(f" {d}d backfill requests |" for d in BACKFILL_DAYS)
    )
    print("|---:|---:|---:|---:|---:|" + "---:|" * len(BACKFILL_DAYS))
    for count in options.coins:
        snapshot, served, backfill, seconds = requests_for(count)
        expected = math.ceil(count / IDS_PER_CALL)
        cells = "".join(f" {backfill.get(d, '–')} |" for d in BACKFILL_DAYS)
        print(f"| {count} | {snapshot} | {expected} | {served} | {seconds:.2f} |{cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
