"""Time and memory of the pandas layer on a year of hourly data for 1,000 coins (8.76 M rows),
and the sector market-cap aggregation against DuckDB on the same in-memory frame.

Run: ``.venv/bin/python -m benchmarks.pandas_layer [--coins N] [--hours H] [--repeat R]``.
Prints a table; the data comes from the offline simulator (generated in a child process and
handed over as Parquet, so the peak RSS below is the layer's, not the simulator's).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from aisector.analytics.index import METHODS, index_levels
from aisector.analytics.membership import membership_matrix
from aisector.analytics.moves import token_moves
from aisector.analytics.panel import market_matrix, market_panel
from aisector.analytics.sector_stats import sector_summary
from aisector.analytics.shares import sector_shares, sector_totals
from aisector.analytics.windows import Window, resolve_window
from aisector.core.schema import MARKET_CAP
from benchmarks.generic_market import generic_sector_members

GENERATE = """
import sys
from benchmarks.generic_market import simulate_generic_market
simulate_generic_market(int(sys.argv[1]), int(sys.argv[2]), seed=7).to_parquet(sys.argv[3])
"""


def measure(step: Callable[[], object], repeat: int) -> tuple[float, float, float, object]:
    """Seconds of the first (cold) run, median of ``repeat`` warm runs after it, and one traced
    run's peak MB allocated. Cold runs pay the machine's first touch of fresh memory pages."""
    seconds, result = [], None
    for _ in range(repeat + 1):
        began = time.perf_counter()
        result = step()
        seconds.append(time.perf_counter() - began)
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds[0], statistics.median(seconds[1:]), peak, result


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def duckdb_sector_caps(frame: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    import duckdb

    connection = duckdb.connect()
    connection.register("market", frame)
    connection.register("members", members)
    return connection.execute(
        "SELECT m.timestamp, s.sector, SUM(m.market_cap) AS market_cap "
        "FROM market m JOIN members s ON m.coin_id = s.coin_id GROUP BY 1, 2"
    ).df()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coins", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=8760)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        parquet = Path(folder) / "market.parquet"
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", GENERATE, str(options.coins), str(options.hours), str(parquet)],
            check=True,
        )
        generated = time.perf_counter() - began
        frame = pd.read_parquet(parquet)
    members = generic_sector_members(options.coins)
    rss_with_frame = peak_rss_mb()
    as_of = frame["timestamp"].max()
    rows: list[tuple[str, float, float, float]] = []

    def timed(name: str, step: Callable[[], object]) -> object:
        cold, warm, peak, result = measure(step, options.repeat)
        rows.append((name, cold, warm, peak))
        return result

    panel = timed("tidy frame -> panel (matrices)", lambda: market_panel(frame))
    membership = membership_matrix(members, panel.coins)

    def whole_year() -> Window:  # a new one each run: a window caches its filled matrices
        return Window(panel, "year", panel.timestamps[0], as_of, pd.Timedelta(0))

    def last(window: str) -> Window:
        return resolve_window(panel, as_of, window)

    timed("token moves 24h/7d/30d", lambda: token_moves(last("24h"), [last("7d"), last("30d")]))
    timed(
        "sector summary 24h (cap change, 3 returns, volume share)",
        lambda: sector_summary(last("24h"), members),
    )
    timed(
        "4 indices (cap, capped 25%, equal, volume), full year",
        lambda: index_levels(whole_year(), membership, METHODS, 0.25),
    )
    timed("volume & cap share over time, full year", lambda: sector_shares(whole_year(), members))
    rows.append(("WHOLE LAYER (target < 1.5 s)", *(sum(r[i] for r in rows) for i in (1, 2)), 0.0))
    rss_after_layer = peak_rss_mb()

    ours = measure(
        lambda: sector_totals(market_matrix(frame, MARKET_CAP)[2], membership), options.repeat
    )
    duck = measure(lambda: duckdb_sector_caps(frame, members), options.repeat)
    check = duck[3].pivot(index="timestamp", columns="sector", values="market_cap").sort_index()
    assert np.allclose(check.to_numpy(), ours[3], rtol=1e-9, equal_nan=True), (
        "DuckDB and the layer disagree"
    )
    aggregation = [
        ("aisector (categorical codes -> cap matrix -> matmul)", *ours[:3]),
        ("DuckDB (join + GROUP BY on the same DataFrame)", *duck[:3]),
        ("ratio aisector / DuckDB (target <= 0.8)", ours[0] / duck[0], ours[1] / duck[1], 0.0),
    ]
    print(
        f"\n{options.coins} coins x {options.hours} hours = {len(frame):,} rows (simulated in "
        f"{generated:.1f} s); cold = first run, warm = median of the next {options.repeat}\n"
    )
    print_table("pandas layer step", rows)
    print_table("sector market-cap aggregation, from the tidy frame", aggregation)
    print(
        f"peak RSS: {rss_with_frame:.0f} MB with the frame loaded, {rss_after_layer:.0f} MB after "
        "the layer (target < 1536 MB)"
    )


def print_table(title: str, rows: list[tuple[str, float, float, float]]) -> None:
    """A Markdown table: step, cold s, warm s, peak MB (blank where not measured)."""
    print(f"| {title:<58} |   cold s |   warm s |  peak MB |")
    print(f"|{'-' * 60}|{'-' * 9}:|{'-' * 9}:|{'-' * 9}:|")
    for name, cold, warm, peak in rows:
        peak_text = f"{peak:>8.0f}" if peak else " " * 8
        print(f"| {name:<58} | {cold:>8.3f} | {warm:>8.3f} | {peak_text} |")
    print()


if __name__ == "__main__":
    main()
