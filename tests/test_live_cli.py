"""End to end against a CoinGecko-shaped server on 127.0.0.1: the real connector and the real CLI,
pointed at it with COINGECKO_API_URL, through rate limiting and a broken upstream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from aisector.apps.cli import main
from aisector.core.sectors import load_sectors
from aisector.sources.market_data import load_market
from aisector.store import open_store
from connectors.coingecko import CoinGecko
from tests.fault_server import FaultServer, error, rate_limited

KEY = "CG-liveServerKey4242"
ABSENT = "cookie"  # a default-sectors coin the server does not know


def market_row(index: int, coin: str) -> dict:
    """A /coins/markets row with figures that follow from the coin's position: easy to check."""
    price = 1.0 + index
    return {
        "id": coin,
        "symbol": coin.split("-")[0][:6],
        "name": coin.title(),
        "current_price": price,
        "market_cap": price * 1e8,
        "total_volume": price * 1e6,
        "market_cap_change_24h": price * 1e7,
        "last_updated": pd.Timestamp.now(tz="UTC").isoformat().replace("+00:00", "Z"),
        "price_change_percentage_24h_in_currency": 10.0 * (index % 3),  # 0%, 10%, 20%
        "price_change_percentage_7d_in_currency": -50.0,
        "price_change_percentage_30d_in_currency": None,
    }


COINS = [c for c in load_sectors().coins() if c != ABSENT]
ROWS = {coin: market_row(i, coin) for i, coin in enumerate(COINS)}
ROWS["elizaos"] = market_row(len(COINS), "elizaos")  # AI16Z's id since its migration


@pytest.fixture
def upstream() -> Iterator[FaultServer]:
    with FaultServer(list(ROWS.values()), api_key=KEY) as server:
        yield server


RATE_LIMITED = rate_limited("1")


def test_connector_survives_a_429_and_snapshots_in_one_request(upstream):
    upstream.script("markets", RATE_LIMITED)
    waits: list[float] = []
    environ = {"COINGECKO_API_URL": upstream.url, "COINGECKO_DEMO_API_KEY": KEY}
    gecko = CoinGecko.from_settings(environ, sleep=waits.append)
    frame = gecko.market_history(load_sectors().coins())
    assert waits == [1.0]
    markets = [r for r in upstream.log if r.route == "markets"]
    assert len(markets) == 2  # the 429 and its retry: ceil(32 / 250) = 1 snapshot request
    assert all(r.authorized and "x-cg-demo-api-key" in r.headers for r in markets)
    assert all(KEY not in r.path + str(r.query) for r in markets)
    latest = frame[frame["timestamp"] == frame["timestamp"].max()].set_index("coin_id")
    assert len(latest) == len(COINS) and ABSENT not in latest.index
    assert latest.loc["pippin", "price"] == ROWS["pippin"]["current_price"]


def export_tokens(tmp_path: Path, monkeypatch, url: str) -> tuple[int, Path]:
    monkeypatch.setenv("COINGECKO_API_URL", url)
    monkeypatch.setenv("COINGECKO_DEMO_API_KEY", KEY)
    out = tmp_path / "tokens.csv"
    return main(["export", "tokens", "--source", "coingecko", "--out", str(out)]), out


def test_cli_exports_live_tokens_through_rate_limiting(upstream, tmp_path, monkeypatch, capsys):
    upstream.script("markets", RATE_LIMITED)
    started = time.monotonic()
    code, out = export_tokens(tmp_path, monkeypatch, upstream.url)
    streams = capsys.readouterr()
    assert code == 0, streams.err
    assert time.monotonic() - started < 10
    tokens = pd.read_csv(out).set_index("coin_id")
    for coin in ("pippin", "virtual-protocol", "bitcoin"):
        row = ROWS[coin]
        assert tokens.loc[coin, "price"] == pytest.approx(row["current_price"])
        assert tokens.loc[coin, "market_cap"] == pytest.approx(row["market_cap"])
        assert tokens.loc[coin, "volume"] == pytest.approx(row["total_volume"])
        change = row["price_change_percentage_24h_in_currency"] / 100
        assert tokens.loc[coin, "change"] == pytest.approx(change)
    assert upstream.count("markets") == 2
    assert f"no data for 1 coin(s): {ABSENT}" in streams.err
    provenance = json.loads(out.with_suffix(".json").read_text())
    assert provenance["source"] == "coingecko" and provenance["data"] == "live"
    everything = streams.out + streams.err + out.read_text() + out.with_suffix(".json").read_text()
    assert KEY not in everything


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (
            error(503, "<html><h1>503</h1></html>", retry_after="0"),
            "server error (HTTP 503, an HTML error page) after 4 attempts",
        ),
        (
            error(
                401,
                json.dumps(
                    {"status": {"error_code": 10002, "error_message": f"API Key Missing {KEY}"}}
                ),
            ),
            "the API key is missing, wrong or not valid",
        ),
        (error(200, '[{"id": "bitcoin", "current_price": 9'), "not valid JSON"),
    ],
)
def test_cli_on_a_broken_upstream_fails_in_one_clear_line_without_the_key(
    upstream, tmp_path, monkeypatch, capsys, reply, words
):
    upstream.script("markets", *[reply] * 4)
    code, out = export_tokens(tmp_path, monkeypatch, upstream.url)
    err = capsys.readouterr().err
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aisector: error: CoinGecko")
    assert words in lines[0]
    assert KEY not in err and "Traceback" not in err
    assert not out.exists()


def test_console_run_on_a_broken_upstream_prints_exactly_one_line(upstream, tmp_path):
    upstream.script("markets", *[error(503, "<html>down</html>", retry_after="0")] * 4)
    environ = {**os.environ, "COINGECKO_API_URL": upstream.url, "COINGECKO_PRO_API_KEY": KEY}
    command = "import sys; from aisector.apps.cli import main; sys.exit(main(sys.argv[1:]))"
    out = tmp_path / "tokens.csv"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            command,
            "export",
            "tokens",
            "--source",
            "coingecko",
            "--out",
            str(out),
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("aisector: error: CoinGecko")
    assert KEY not in run.stderr + run.stdout
    assert [(r.authorized, "x-cg-pro-api-key" in r.headers) for r in upstream.log] == [
        (True, True)
    ] * 4


def test_collect_stores_a_migrated_coin_under_its_new_id_and_the_store_serves_it_as_ours(
    upstream, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("COINGECKO_API_URL", upstream.url)
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    code = main(["collect", "--source", "coingecko", "--backfill", "0", "--store", store])
    streams = capsys.readouterr()
    assert code == 0, streams.err
    assert streams.err.splitlines() == [
        f"aisector: warning: no data for 1 coin(s): {ABSENT}",
        # protocol activity beside the prices: the conftest leaves DefiLlama unreachable
        "aisector: warning: protocol activity not collected: DefiLlama /summary/fees/"
        "virtuals-protocol cannot be reached: Connection refused",
    ]
    asked = upstream.log[-1].query["ids"].split(",")
    assert {"ai16z", "elizaos"} <= set(asked)  # the sectors file's id and its later one
    with open_store(store) as history:
        stored = history.read(source="coingecko")
    assert "elizaos" in set(stored["coin_id"].astype(str))  # kept as upstream names it
    monkeypatch.setenv("AISECTOR_STORE", store)
    served = load_market("store", load_sectors()).frame.set_index("coin_id")
    assert served.loc["ai16z", "price"] == ROWS["elizaos"]["current_price"]  # shown as ours
    assert "elizaos" not in served.index
