"""Every sector figure on live data equals an independent computation from what upstream served.

A CoinGecko-shaped server on 127.0.0.1 (``tests/fault_server.py``) serves the fixture's quotes,
stamped now, and hourly ``market_chart`` series. ``aisector export sectors`` runs with
``--source coingecko`` and ``auto``, before any history is stored (the snapshot view: quotes plus
the rows CoinGecko's own 24h/7d/30d changes imply) and after ``aisector collect`` stored the
history. For 24h, 7d and 30d and all four index methods, each figure must equal the plain-Python
reference (``tests/reference_figures.py``) computed on the rows rebuilt from the served bodies,
to 1e-9; a figure the reference finds missing must be blank. Upstream requests are counted.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd
import pytest

from aisector.apps.cli import main
from tests import reference_figures as ref
from tests.fault_server import FaultServer, _chart, market_rows
from tests.live_fakes import FIXTURE_SECTORS

KEY = "CG-liveFiguresKey00001"
SECTORS = f"""{FIXTURE_SECTORS}
[sectors.tracked]
label = "All tracked"
coins = ["virtual-protocol", "pippin", "bitcoin"]
"""
MEMBERS = {"ai-agents": ("virtual-protocol", "pippin"), "majors": ("bitcoin",)}
MEMBERS["tracked"] = (*MEMBERS["ai-agents"], *MEMBERS["majors"])
WINDOWS = ("24h", "7d", "30d")
MAX_WEIGHT = 0.6
LOOKBACKS = {
    "24h": pd.Timedelta(hours=24),
    "7d": pd.Timedelta(days=7),
    "30d": pd.Timedelta(days=30),
}
FIGURES = (
    "counted",
    "market_cap_counted",
    "market_cap",
    "market_cap_change",
    "return_cap_weighted",
    "return_capped_cap_weighted",
    "return_equal_weighted",
    "return_volume_weighted",
    "volume",
    "volume_share",
)


@pytest.fixture
def upstream(monkeypatch) -> FaultServer:
    with FaultServer(api_key=KEY) as server:
        monkeypatch.setenv("COINGECKO_API_URL", server.url)
        monkeypatch.setenv("COINGECKO_DEMO_API_KEY", KEY)
        yield server


@pytest.fixture
def sectors_file(tmp_path: Path) -> Path:
    path = tmp_path / "sectors.toml"
    path.write_text(SECTORS, encoding="utf-8")
    return path


def same_minute() -> pd.Timestamp:
    """This minute, after waiting out its last seconds: a quote and its check share one minute."""
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    return pd.Timestamp(time.time(), unit="s", tz="UTC").floor("min")


def quote_rows(at: pd.Timestamp) -> list[dict]:
    """The fixture's quotes as rows filed under ``at``, read straight from the served body."""
    return [
        {
            "timestamp": at,
            "coin_id": row["id"],
            "price": float(row["current_price"]),
            "market_cap": float(row["market_cap"]),
            "volume": float(row["total_volume"]),
        }
        for row in market_rows()
    ]


def lookback_rows(at: pd.Timestamp) -> list[dict]:
    """The rows CoinGecko's own changes imply: the price w ago, the cap 24 h ago, no volume."""
    rows = []
    for row in market_rows():
        for window, length in LOOKBACKS.items():
            percent = row.get(f"price_change_percentage_{window}_in_currency")
            if percent is None:
                continue
            cap = row["market_cap"] - row["market_cap_change_24h"] if window == "24h" else None
            rows.append(
                {
                    "timestamp": at - length,
                    "coin_id": row["id"],
                    "price": row["current_price"] / (1 + percent / 100),
                    "market_cap": cap,
                    "volume": None,
                }
            )
    return rows


def chart_rows(server: FaultServer) -> list[dict]:
    """Every hourly point the server sent in answer to a market_chart request."""
    prices = {row["id"]: row["current_price"] for row in market_rows()}
    rows = []
    for request in (r for r in server.log if r.route == "chart"):
        body = _chart(prices[request.coin], request.query["from"], request.query["to"])
        for (ms, price), (_, cap), (_, volume) in zip(*body.values(), strict=True):
            stamp = pd.Timestamp(ms, unit="ms", tz="UTC")
            rows.append(
                {
                    "timestamp": stamp,
                    "coin_id": request.coin,
                    "price": price,
                    "market_cap": cap,
                    "volume": volume,
                }
            )
    return rows


def served_frame(rows: list[dict]) -> pd.DataFrame:
    """One row per (time, coin); a later row (a newer quote) replaces an earlier one."""
    frame = pd.DataFrame(rows).drop_duplicates(["timestamp", "coin_id"], keep="last")
    return frame.sort_values(["timestamp", "coin_id"]).reset_index(drop=True)


def export_sectors(source: str, window: str, sectors: Path, store: Path, out: Path) -> pd.DataFrame:
    args = ["export", "sectors", "--source", source, "--window", window, "--sectors", str(sectors)]
    args += ["--max-weight", str(MAX_WEIGHT), "--store", f"sqlite:///{store}", "--out", str(out)]
    assert main(args) == 0
    return pd.read_csv(out, keep_default_na=False, na_values=[""]).set_index("sector")


def assert_figures_match(table: pd.DataFrame, frame: pd.DataFrame, window: str) -> None:
    as_of = pd.Timestamp(table["as_of"].iloc[0])
    expected = ref.sector_rows(frame, MEMBERS, as_of, window, MAX_WEIGHT)
    for sector, figures in expected.items():
        for column in FIGURES:
            want, got = figures[column], table.loc[sector, column]
            where = f"{window} {sector} {column}"
            if want is None:
                assert math.isnan(got), f"{where}: {got} where the reference has no value"
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12), where


@pytest.mark.parametrize("source", ["coingecko", "auto"])
def test_snapshot_figures_equal_the_reference_on_the_served_quotes(
    upstream, sectors_file, tmp_path, source
):
    now = same_minute()
    for window in WINDOWS:
        table = export_sectors(
            source, window, sectors_file, tmp_path / "none.sqlite", tmp_path / "s.csv"
        )
        assert pd.Timestamp(table["as_of"].iloc[0]) == now
        frame = served_frame(lookback_rows(now) + quote_rows(now))
        assert_figures_match(table, frame, window)
    # the snapshot has no cap 7 and 30 days ago and no volume before now: those stay empty
    assert table[["return_cap_weighted", "return_volume_weighted"]].isna().all().all()
    assert upstream.count("chart") == 0


@pytest.mark.parametrize("source", ["coingecko", "auto"])
def test_figures_with_stored_history_equal_the_reference_on_the_served_series(
    upstream, sectors_file, tmp_path, source
):
    store = tmp_path / "history.sqlite"
    collected_at = same_minute()
    collect = [
        "collect",
        "--source",
        "coingecko",
        "--backfill",
        "35",
        "--sectors",
        str(sectors_file),
    ]
    assert main([*collect, "--store", f"sqlite:///{store}"]) == 0
    assert upstream.count("chart") == 3  # one hourly request per coin covers 35 days
    now = same_minute()
    for window in WINDOWS:
        table = export_sectors(source, window, sectors_file, store, tmp_path / "s.csv")
        assert pd.Timestamp(table["as_of"].iloc[0]) == now
        # history, the collector's snapshot and this export's quotes; no look-back row is spliced
        # in where history exists
        rows = chart_rows(upstream) + quote_rows(collected_at) + quote_rows(now)
        assert_figures_match(table, served_frame(rows), window)
        assert table[["return_cap_weighted", "return_volume_weighted"]].notna().all().all()
    assert upstream.count("chart") == 3  # exports read history from the store, not upstream
    assert upstream.count("markets") == 1 + len(WINDOWS)
