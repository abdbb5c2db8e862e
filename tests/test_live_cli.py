"""End to end against a CoinGecko-shaped server on 127.0.0.1: the real connector and the real CLI,
pointed at it with COINGECKO_API_URL, through rate limiting and a broken upstream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from aisector.cli import main
from aisector.sectors import load_sectors
from connectors.coingecko import CoinGecko

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


@dataclass
class Upstream:
    """What the fake CoinGecko answers (a script of failures first) and what it was asked."""

    script: list[tuple[int, dict[str, str], str]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        if self.script:
            return self.script.pop(0)
        if path.endswith("/coins/markets"):
            ids = query.get("ids", [""])[0].split(",")
            return 200, {}, json.dumps([ROWS[c] for c in ids if c in ROWS])
        if path.endswith("/coins/list"):
            rows = [{"id": c, "symbol": r["symbol"], "name": r["name"]} for c, r in ROWS.items()]
            return 200, {}, json.dumps(rows)
        return (
            404,
            {},
            json.dumps({"error": "Incorrect path. Please check https://www.coingecko.com/api/"}),
        )


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, headers, body = state.answer(parts.path, parse_qs(parts.query))
            payload = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/api/v3"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


RATE_LIMITED = (
    429,
    {"Retry-After": "1"},
    json.dumps({"status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit."}}),
)


def test_connector_survives_a_429_and_snapshots_in_one_request(upstream):
    state, url = upstream
    state.script.append(RATE_LIMITED)
    waits: list[float] = []
    environ = {"COINGECKO_API_URL": url, "COINGECKO_DEMO_API_KEY": KEY}
    gecko = CoinGecko.from_settings(environ, sleep=waits.append)
    frame = gecko.market_history(load_sectors().coins())
    assert waits == [1.0]
    markets = [(p, h) for p, h in state.requests if "/coins/markets" in p]
    assert len(markets) == 2  # the 429 and its retry: ceil(32 / 250) = 1 snapshot request
    assert all(h["x-cg-demo-api-key"] == KEY and KEY not in p for p, h in markets)
    latest = frame[frame["timestamp"] == frame["timestamp"].max()].set_index("coin_id")
    assert len(latest) == len(COINS) and ABSENT not in latest.index
    assert latest.loc["pippin", "price"] == ROWS["pippin"]["current_price"]


def export_tokens(tmp_path: Path, monkeypatch, url: str) -> tuple[int, Path]:
    monkeypatch.setenv("COINGECKO_API_URL", url)
    monkeypatch.setenv("COINGECKO_DEMO_API_KEY", KEY)
    out = tmp_path / "tokens.csv"
    return main(["export", "tokens", "--source", "coingecko", "--out", str(out)]), out


def test_cli_exports_live_tokens_through_rate_limiting(upstream, tmp_path, monkeypatch, capsys):
    state, url = upstream
    state.script.append(RATE_LIMITED)
    started = time.monotonic()
    code, out = export_tokens(tmp_path, monkeypatch, url)
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
    assert len([p for p, _ in state.requests if "/coins/markets" in p]) == 2
    assert f"no data for 1 coin(s): {ABSENT}" in streams.err
    provenance = json.loads(out.with_suffix(".json").read_text())
    assert provenance["source"] == "coingecko" and provenance["data"] == "live"
    everything = streams.out + streams.err + out.read_text() + out.with_suffix(".json").read_text()
    assert KEY not in everything


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (
            (503, {"Retry-After": "0", "Content-Type": "text/html"}, "<html><h1>503</h1></html>"),
            "server error (HTTP 503, an HTML error page) after 4 attempts",
        ),
        (
            (
                401,
                {},
                json.dumps(
                    {"status": {"error_code": 10002, "error_message": f"API Key Missing {KEY}"}}
                ),
            ),
            "the API key is missing, wrong or not valid",
        ),
        ((200, {}, '[{"id": "bitcoin", "current_price": 9'), "not valid JSON"),
    ],
)
def test_cli_on_a_broken_upstream_fails_in_one_clear_line_without_the_key(
    upstream, tmp_path, monkeypatch, capsys, reply, words
):
    state, url = upstream
    state.script.extend([reply] * 4)
    code, out = export_tokens(tmp_path, monkeypatch, url)
    err = capsys.readouterr().err
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aisector: error: CoinGecko")
    assert words in lines[0]
    assert KEY not in err and "Traceback" not in err
    assert not out.exists()


def test_console_run_on_a_broken_upstream_prints_exactly_one_line(upstream, tmp_path):
    state, url = upstream
    state.script.extend([(503, {"Retry-After": "0"}, "<html>down</html>")] * 4)
    environ = {**os.environ, "COINGECKO_API_URL": url, "COINGECKO_PRO_API_KEY": KEY}
    command = "import sys; from aisector.cli import main; sys.exit(main(sys.argv[1:]))"
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
    assert [h["x-cg-pro-api-key"] for _, h in state.requests] == [KEY] * 4
