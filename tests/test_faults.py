"""Fault scenarios over the whole product, against a scripted CoinGecko on 127.0.0.1.

One table, ``SCENARIOS``: each breaks one route of ``tests/fault_server.py`` in one way. For each,
``aisector export tokens`` and ``aisector collect`` must end with the documented exit code and one
line (no traceback, no API key), a failed collect must leave every committed row and no partial
chunk, a store-backed read must serve what the store holds, and a dashboard that loaded good data
must keep its numbers and say why and how old they are. ``ACROSS_RUNS`` names the scenarios that
take two collects (a 404 with DEX tokens in the sectors file, a collect killed mid-backfill); each
has its own test. ``docs/faults.md`` lists the same scenarios with their outcomes; a test keeps
the two equal.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from aisector.apps.cli import main
from aisector.apps.collector import collect
from aisector.core.errors import ConfigError
from aisector.core.sectors import load_sectors
from aisector.present.formatting import age_text, utc_time
from aisector.sources.market_data import load_market
from aisector.store import open_store
from connectors.coingecko import CoinGecko
from connectors.http import DEFAULT_TIMEOUT, RetryPolicy, client_settings
from dashboard import cache
from tests.cli_runs import run_cli
from tests.fault_server import (
    OK,
    FaultServer,
    Reply,
    chart_gap,
    chart_point,
    chart_repeats,
    chart_shuffled,
    cloudflare_429,
    edited,
    error,
    hang,
    market_rows,
    nulls,
    numbers_as_strings,
    rate_limited,
    without,
)
from tests.live_fakes import FIXTURE_SECTORS

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
DOC = ROOT / "docs" / "faults.md"
ACTIVITY_HEADING = (
    "## When DefiLlama or Dune breaks"  # its scenarios: tests/test_activity_sources.py
)
KEY = "CG-test-secret-123"
ATTEMPTS = 3
SETTINGS = {
    "COINGECKO_DEMO_API_KEY": KEY,
    "COINGECKO_CALLS_PER_MINUTE": "600",
    "AISECTOR_HTTP_TIMEOUT": "2",  # roomy: a busy machine must not turn a good reply into a retry
    "AISECTOR_HTTP_ATTEMPTS": str(ATTEMPTS),
    "AISECTOR_HTTP_BACKOFF": "0.05",
}
COINS = ("virtual-protocol", "pippin", "bitcoin")  # the fixture's coins, in sectors-file order
BUT_PIPPIN = ("virtual-protocol", "bitcoin")
BASELINE_AGE = pd.Timedelta(hours=3)  # the store's earlier collect ran this long ago ...
BASELINE_DAYS = 2  # ... and filled this many days; the faulty collect asks for FAULT_DAYS
FAULT_DAYS = 4
MARKET_FIELDS = {"price": "current_price", "market_cap": "market_cap", "volume": "total_volume"}
EVERYTHING = {"snapshot": COINS, "recent": COINS, "older": COINS}
NOTHING: dict[str, tuple[str, ...]] = {}
UP_TO_THE_FAULT = {"snapshot": COINS, "recent": COINS}
CHART_FIRST_OK = (OK,) * 4  # the recent chunk's 3 coins and the older chunk's first coin
GAP_HOURS = 10


@dataclass(frozen=True)
class Outcome:
    """How a command ends: its exit code and a piece of its one stderr line ("": no line)."""

    code: int
    line: str = ""


@dataclass(frozen=True)
class Scenario:
    """One way upstream breaks, and what every part of the product must do about it."""

    name: str
    route: str  # the fault server route whose replies are scripted: markets or chart
    replies: tuple[Reply, ...]
    requests: int  # requests that route receives in one export, collect or dashboard load
    export: Outcome | None  # None: export tokens never calls the route
    collect: Outcome
    stored: Mapping[str, tuple[str, ...]]  # coins with new rows per part: snapshot, recent, older
    subprocess: bool = False  # run the commands as real console-script processes
    timeout: str | None = None  # AISECTOR_HTTP_TIMEOUT while the fault is on, when it hangs
    left_out: int = 0  # points upstream leaves out of pippin's older gap (a gap in the series)

    def fault_on(self, server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> None:
        """Script the fault (and the short timeout a hang needs to be noticed soon)."""
        server.script(self.route, *self.replies)
        if self.timeout is not None:
            monkeypatch.setenv("AISECTOR_HTTP_TIMEOUT", self.timeout)

    def edit(self, rows: list[dict]) -> list[dict]:
        """The fixture rows as the scripted markets reply serves them."""
        for reply in self.replies:
            rows = reply.edit(rows) if reply.edit else rows
        return rows


def markets(
    name: str, replies: tuple[Reply, ...], requests: int, export: Outcome, **options
) -> Scenario:
    """A /coins/markets fault: export, collect and the dashboard all meet it."""
    failed = export.code != 0
    defaults = {"collect": export, "stored": NOTHING if failed else EVERYTHING}
    return Scenario(name, "markets", replies, requests, export, **{**defaults, **options})


def chart(
    name: str, replies: tuple[Reply, ...], collect: Outcome, retried: int = 0, **options
) -> Scenario:
    """A /market_chart/range fault on pippin's older chunk: only collect meets it. ``retried``:
    requests made again after the fault that then succeed."""
    requests = len(CHART_FIRST_OK) + len(replies) + retried + (1 if collect.code == 0 else 0)
    options.setdefault("stored", EVERYTHING if collect.code == 0 else UP_TO_THE_FAULT)
    return Scenario(name, "chart", CHART_FIRST_OK + replies, requests, None, collect, **options)


NOT_JSON = "/coins/markets sent a reply that is not valid JSON"
NO_PIPPIN = Outcome(0, "aisector: warning: no data for 1 coin(s): pippin")
UNQUOTED_PIPPIN = Outcome(0, "aisector: warning: no current quote for 1 coin(s): pippin")
SCENARIOS = (
    markets("429-retry-after", (rate_limited("1"),), 2, Outcome(0)),
    markets("429-no-retry-after", (rate_limited(),), 2, Outcome(0)),
    markets(
        "429-long-retry-after",
        (rate_limited("120"),),
        1,
        Outcome(1, "rate limit reached (HTTP 429: You've exceeded the Rate Limit."),
    ),
    markets(
        "429-cloudflare-html",
        (cloudflare_429(),) * ATTEMPTS,
        ATTEMPTS,
        Outcome(1, "rate limit reached (HTTP 429, an HTML error page) after 3 attempts"),
    ),
    markets(
        "401-bad-key",
        (error(401, f'{{"status": {{"error_message": "Invalid API key {KEY}"}}}}'),),
        1,
        Outcome(1, "the API key is missing, wrong or not valid for this plan (HTTP 401"),
    ),
    markets(
        "404",
        (error(404, '{"error": "Incorrect path. Please check https://www.coingecko.com/api/"}'),),
        1,
        Outcome(1, "/coins/markets: not found (HTTP 404: Incorrect path."),
    ),
    markets(
        "500",
        (error(500),) * ATTEMPTS,
        ATTEMPTS,
        Outcome(1, "/coins/markets: server error (HTTP 500) after 3 attempts"),
    ),
    markets("502-once", (error(502, "<html><h1>502 Bad Gateway</h1></html>"),), 2, Outcome(0)),
    markets(
        "503-html",
        (error(503, "<html><h1>503 Service Unavailable</h1></html>"),) * ATTEMPTS,
        ATTEMPTS,
        Outcome(1, "server error (HTTP 503, an HTML error page) after 3 attempts"),
    ),
    markets(
        "hang",
        (hang(5.0),) * ATTEMPTS,
        ATTEMPTS,
        Outcome(1, "/coins/markets did not answer in time after 3 attempts"),
        timeout="0.5",
    ),
    markets(
        "connection-reset",
        (Reply(reset=True),) * ATTEMPTS,
        ATTEMPTS,
        Outcome(1, "/coins/markets cannot be reached after 3 attempts: Connection reset by peer"),
    ),
    markets(
        "truncated-json",
        (Reply(truncate=True),),
        1,
        Outcome(1, f"{NOT_JSON} (cut short after"),
    ),
    markets(
        "not-json",
        (error(200, "<html><body>Down for maintenance</body></html>"),),
        1,
        Outcome(1, f"{NOT_JSON} (an HTML page)"),
    ),
    markets("numbers-as-strings", (edited(numbers_as_strings),), 1, Outcome(0)),
    markets(
        "number-as-junk-text",
        (edited(lambda rows: [{**r, "current_price": "n/a"} for r in rows]),),
        1,
        Outcome(1, "current_price of virtual-protocol holds 'n/a', which is not a number"),
    ),
    markets(
        "nulls",
        (edited(nulls({"pippin": ["current_price"], "bitcoin": ["market_cap", "total_volume"]})),),
        1,
        NO_PIPPIN,
        collect=UNQUOTED_PIPPIN,
        stored={**EVERYTHING, "snapshot": BUT_PIPPIN},
    ),
    markets(
        "empty-list",
        (Reply(body="[]"),),
        1,
        Outcome(1, "CoinGecko (live) has no rows for the coins in"),
        collect=Outcome(0, "aisector: warning: no current quote for 3 coin(s)"),
        stored={**EVERYTHING, "snapshot": ()},
    ),
    markets(
        "coin-vanishes",
        (edited(without("pippin")),),
        1,
        NO_PIPPIN,
        collect=UNQUOTED_PIPPIN,
        stored={**EVERYTHING, "snapshot": BUT_PIPPIN},
    ),
    chart(
        "chart-500",
        (error(500),) * ATTEMPTS,
        Outcome(1, "/coins/pippin/market_chart/range: server error (HTTP 500) after 3 attempts"),
        subprocess=True,
    ),
    chart(
        "chart-hang",
        (hang(5.0),) * ATTEMPTS,
        Outcome(1, "/coins/pippin/market_chart/range did not answer in time after 3 attempts"),
        timeout="1",  # the 6 good requests before the hang must still get through
    ),
    chart(
        "chart-truncated-json",
        (Reply(truncate=True),),
        Outcome(
            1, "/coins/pippin/market_chart/range sent a reply that is not valid JSON (cut short"
        ),
    ),
    chart(
        "chart-404",
        (error(404, '{"error": "coin not found"}'),),
        Outcome(0, "no history found upstream (asked again next run) for 1 coin(s): pippin"),
        stored={**EVERYTHING, "older": BUT_PIPPIN},
    ),
    chart(
        "chart-429-mid-backfill",
        (rate_limited("120"),),
        Outcome(1, "/coins/pippin/market_chart/range: rate limit reached (HTTP 429: You've"),
    ),
    chart("chart-429-then-answers", (rate_limited("1"),), Outcome(0), retried=1),
    chart("chart-gap", (edited(chart_gap(GAP_HOURS)),), Outcome(0), left_out=GAP_HOURS),
    chart("chart-repeated-points", (edited(chart_repeats),), Outcome(0)),
    chart("chart-out-of-order", (edited(chart_shuffled),), Outcome(0)),
)
ON_MARKETS = [s for s in SCENARIOS if s.route == "markets"]


def ids(scenarios: list[Scenario] | tuple[Scenario, ...]) -> list[str]:
    return [s.name for s in scenarios]


@pytest.fixture(scope="module")
def server() -> Iterator[FaultServer]:
    with FaultServer(api_key=KEY) as fake:
        yield fake


@pytest.fixture(scope="module")
def sectors_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "sectors.toml"
    path.write_text(FIXTURE_SECTORS, encoding="utf-8")
    return path


@pytest.fixture
def upstream(server: FaultServer, monkeypatch) -> FaultServer:
    """The fault server, with an empty script and log, and every setting pointing at it."""
    monkeypatch.setenv("COINGECKO_API_URL", server.url)
    for name, value in SETTINGS.items():
        monkeypatch.setenv(name, value)
    server.clear()
    return server


@dataclass(frozen=True)
class Baseline:
    """A store filled by a good collect ``BASELINE_AGE`` ago: its file and what it held."""

    path: Path
    now: pd.Timestamp
    rows: pd.DataFrame
    coverage: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]


@pytest.fixture(scope="module")
def baseline(server: FaultServer, tmp_path_factory) -> Baseline:
    """One good collect, made in-process on a clock set back, shared by the collect tests."""
    path = tmp_path_factory.mktemp("baseline") / "history.sqlite"
    then = time.time() - BASELINE_AGE.total_seconds()
    environ = {**SETTINGS, "COINGECKO_API_URL": server.url}
    source = CoinGecko.from_settings(environ, clock=lambda: then)
    now = pd.Timestamp(then, unit="s", tz="UTC")
    with open_store(f"sqlite:///{path}") as store:
        collect(store, source, COINS, pd.Timedelta(days=BASELINE_DAYS), now)
        rows, coverage = store.read(source="coingecko"), store.coverage("coingecko", COINS)
    server.clear()
    return Baseline(path, now, rows, coverage)


def assert_one_clean_line(err: str, out: str, expected: Outcome) -> None:
    """stderr is the expected line or nothing; nothing anywhere shows a traceback or the key."""
    lines = err.strip().splitlines()
    if expected.line:
        assert len(lines) == 1, err
        assert expected.line in lines[0], lines[0]
        prefix = "aisector: error: " if expected.code else "aisector: warning: "
        assert lines[0].startswith(prefix)
    else:
        assert lines == [], err
    assert "Traceback" not in err + out
    assert KEY not in err + out


def numeric(value: object) -> float:
    """A fixture cell as the number it stands for (text included); null is NaN."""
    return math.nan if value is None else float(value)


@pytest.mark.parametrize("scenario", ON_MARKETS, ids=ids(ON_MARKETS))
def test_export(scenario: Scenario, upstream, sectors_file, tmp_path, monkeypatch):
    scenario.fault_on(upstream, monkeypatch)
    out = tmp_path / "tokens.csv"
    args = ["export", "tokens", "--source", "coingecko", "--sectors", str(sectors_file)]
    run = run_cli([*args, "--out", str(out)], console_script=scenario.subprocess)
    code, stdout, err = run.code, run.out, run.err
    assert scenario.export is not None
    assert code == scenario.export.code, err
    assert_one_clean_line(err, stdout, scenario.export)
    assert upstream.count("markets") == scenario.requests
    assert all(r.authorized and KEY not in str(r.query) for r in upstream.log)
    if code:
        assert not out.exists() and not out.with_suffix(".json").exists()
        return
    assert KEY not in out.read_text() + out.with_suffix(".json").read_text()
    tokens = pd.read_csv(out).set_index("coin_id")
    served = {row["id"]: row for row in scenario.edit(market_rows())}
    priced = [c for c in COINS if c in served and served[c]["current_price"] is not None]
    assert sorted(tokens.index) == sorted(priced)
    for coin in priced:  # what the CSV says is exactly what upstream sent, as numbers
        for column, field in MARKET_FIELDS.items():
            expected = numeric(served[coin][field])
            assert tokens.loc[coin, column] == pytest.approx(expected, nan_ok=True), (coin, field)
        change = numeric(served[coin]["price_change_percentage_24h_in_currency"]) / 100
        assert tokens.loc[coin, "change"] == pytest.approx(change)


def store_parts(new: pd.DataFrame, baseline: Baseline) -> dict[str, tuple[str, ...]]:
    """Which coins got new rows in each part: the snapshot, the recent gap, the older gap."""
    chart_row = new["timestamp"].dt.second == 7  # the server's hourly points; snapshots sit on :00
    start = baseline.now - pd.Timedelta(days=BASELINE_DAYS)
    parts = {
        "snapshot": ~chart_row,
        "recent": chart_row & (new["timestamp"] > baseline.now),
        "older": chart_row & (new["timestamp"] < start),
    }
    found = {
        name: tuple(c for c in COINS if c in set(new.loc[rows, "coin_id"].astype(str)))
        for name, rows in parts.items()
    }
    return {name: coins for name, coins in found.items() if coins}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=ids(SCENARIOS))
def test_collect(scenario: Scenario, upstream, baseline, sectors_file, tmp_path, monkeypatch):
    path = tmp_path / "history.sqlite"
    shutil.copy(baseline.path, path)
    scenario.fault_on(upstream, monkeypatch)
    args = ["collect", "--source", "coingecko", "--sectors", str(sectors_file)]
    args += ["--backfill", str(FAULT_DAYS), "--store", f"sqlite:///{path}"]
    run = run_cli(args, console_script=scenario.subprocess)
    code, stdout, err = run.code, run.out, run.err
    assert code == scenario.collect.code, err
    assert_one_clean_line(err, stdout, scenario.collect)
    assert upstream.count(scenario.route) == scenario.requests
    if code == 0:
        assert stdout.strip().endswith(f", {len(upstream.log)} requests")
    with open_store(f"sqlite:///{path}") as store:
        rows, coverage = store.read(source="coingecko"), store.coverage("coingecko", COINS)
    keys = ["coin_id", "timestamp"]
    kept = baseline.rows.merge(rows, on=keys, how="left", suffixes=("", "_after"))
    for column in ("price", "market_cap", "volume"):  # every earlier row is still there, unchanged
        pd.testing.assert_series_equal(
            kept[column], kept[f"{column}_after"], check_names=False, check_exact=True
        )
    new = rows.merge(baseline.rows[keys], on=keys, how="left", indicator=True)
    new = new[new["_merge"] == "left_only"]
    assert store_parts(new, baseline) == {k: v for k, v in scenario.stored.items() if v}
    history = new[new["timestamp"].dt.second == 7]
    assert_stored_as_served(history)
    assert_left_out(history, baseline, scenario.left_out)
    older = {coin: min(start for start, _ in spans) for coin, spans in coverage.items()}
    before = {coin: min(start for start, _ in spans) for coin, spans in baseline.coverage.items()}
    extended = {coin for coin in COINS if older[coin] < before[coin]}
    assert extended == set(scenario.stored.get("older", ()))  # a range is marked only when served
    assert_the_store_serves(rows, path, sectors_file, monkeypatch)


def assert_stored_as_served(history: pd.DataFrame) -> None:
    """Each stored hourly row holds the price, cap and volume the server sent for that hour:
    repeated points stored once with the last value, shuffled series aligned by time."""
    prices = {row["id"]: row["current_price"] for row in market_rows()}
    served = pd.DataFrame(
        [
            chart_point(prices[c], t.value // 10**6)
            for c, t in zip(history["coin_id"].astype(str), history["timestamp"], strict=True)
        ],
        columns=["price", "market_cap", "volume"],
    )
    for column in served.columns:
        assert history[column].tolist() == pytest.approx(served[column].tolist()), column


def assert_left_out(history: pd.DataFrame, baseline: Baseline, left_out: int) -> None:
    """Pippin's older gap holds exactly the points served: ``left_out`` fewer than a coin asked
    for the same range, and nothing made up in their place."""
    older = history[history["timestamp"] < baseline.now - pd.Timedelta(days=BASELINE_DAYS)]
    counts = older["coin_id"].astype(str).value_counts()
    if {"pippin", "virtual-protocol"} <= set(counts.index):
        assert counts["pippin"] == counts["virtual-protocol"] - left_out


def assert_the_store_serves(
    rows: pd.DataFrame, path: Path, sectors_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--source store`` (what charts read) serves every stored row, with no warning."""
    monkeypatch.setenv("AISECTOR_STORE", f"sqlite:///{path}")
    data = load_market("store", load_sectors(sectors_file))
    assert (data.source, data.warnings) == ("store", ())
    pd.testing.assert_frame_equal(data.frame, rows)


def shown(markdown: str) -> str:
    """Markdown as the viewer reads it: backslash escapes dropped."""
    return re.sub(r"\\(.)", r"\1", markdown)


def page_text(at: AppTest) -> str:
    """Everything the page says in words."""
    parts = [*at.markdown, *at.warning, *at.error, *at.info, *at.caption, *at.metric]
    words = (str(getattr(p, "value", "")) + str(getattr(p, "label", "")) for p in parts)
    return shown("\n".join(words))


@pytest.mark.parametrize("scenario", ON_MARKETS, ids=ids(ON_MARKETS))
def test_dashboard(scenario: Scenario, upstream, sectors_file, monkeypatch):
    st.cache_resource.clear()
    st.cache_data.clear()
    monkeypatch.setattr(
        sys,
        "argv",
        [str(APP), "--source", "coingecko", "--sectors", str(sectors_file), "--no-collect"],
    )
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception and not at.error
    good = [(m.label, m.value) for m in at.metric]
    good_words = [m.value for m in at.markdown[1:]]  # the summary and tables' headings
    assert len(good) == 2 and upstream.count("markets") == 1
    as_of = pd.Timestamp(re.search(r"as of \*\*(.+?) UTC\*\*", at.markdown[0].value)[1], tz="UTC")

    upstream.clear()
    scenario.fault_on(upstream, monkeypatch)
    cache._fresh_market_data.clear()  # the cache lifetime ends; the refresh meets the fault
    at.run()
    assert not at.exception and not at.error
    assert upstream.count("markets") == scenario.requests  # one refresh, not one per rerun
    text = page_text(at)
    assert KEY not in text
    warnings = [shown(w.value) for w in at.warning]
    assert scenario.export is not None
    if scenario.export.code:
        assert [(m.label, m.value) for m in at.metric] == good  # the last good numbers stay
        assert [m.value for m in at.markdown[1:]] == good_words
        badge = at.markdown[0].value
        assert (
            f"as of **{utc_time(as_of)}** · {age_text(pd.Timestamp.now(tz='UTC') - as_of)}" in badge
        )
        assert "live refresh failed – last good data" in badge
        assert len(warnings) == 1
        assert warnings[0].startswith(
            f"refresh failed, showing the last good data (as of {utc_time(as_of)})"
        )
        assert scenario.export.line in warnings[0]
    else:
        words = scenario.export.line.removeprefix("aisector: warning: ")
        assert warnings == ([words] if words else [])
    at.run()  # another viewer's rerun during the outage waits for nothing
    assert upstream.count("markets") == scenario.requests
    assert [shown(w.value) for w in at.warning] == warnings


def test_the_doc_lists_exactly_the_scenarios():
    coingecko = DOC.read_text(encoding="utf-8").split(ACTIVITY_HEADING)[0]
    names = re.findall(r"^\| `([^`]+)` \|", coingecko, flags=re.MULTILINE)
    assert names == ids(SCENARIOS) + list(ACROSS_RUNS)


# --- scenarios across two collects -----------------------------------------------------------

ACROSS_RUNS: dict[str, str] = {}  # scenario name -> the test that runs it, in the doc's order


def across_runs(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a test as the scenario ``name`` of docs/faults.md."""

    def register(test: Callable[..., None]) -> Callable[..., None]:
        ACROSS_RUNS[name] = test.__name__
        return test

    return register


AGENT = "AgentX7qVh4mQk2s9Lw3Nd8Rf5Tb6Yc1Zp4pump"  # the DEX token of the pools fixture
DEX_SECTORS = f"""
[sectors.ai-agents]
label = "AI agents"
coins = ["virtual-protocol", "pippin", "agent-x"]

[sectors.majors]
label = "Majors"
coins = ["bitcoin"]

[coins.agent-x]
dex = "solana:{AGENT}"
"""
NOT_FOUND_PIPPIN = "no history found upstream (asked again next run) for 1 coin(s): pippin"


def collect_args(path: Path, sectors: Path, days: int) -> list[str]:
    return [
        "collect",
        "--source",
        "coingecko",
        "--sectors",
        str(sectors),
        "--backfill",
        str(days),
        "--store",
        f"sqlite:///{path}",
    ]


def stored_now(path: Path, coins: tuple[str, ...] = COINS) -> tuple[pd.DataFrame, dict]:
    with open_store(f"sqlite:///{path}") as store:
        return store.read(source="coingecko"), store.coverage("coingecko", coins)


def assert_rows_kept(before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Every row of ``before`` is in ``after`` with the same values."""
    keys = ["coin_id", "timestamp"]
    kept = before.merge(after, on=keys, how="left", suffixes=("", "_after"), indicator=True)
    assert (kept["_merge"] == "both").all()
    for column in ("price", "market_cap", "volume"):
        pd.testing.assert_series_equal(
            kept[column], kept[f"{column}_after"], check_names=False, check_exact=True
        )


@across_runs("chart-404-with-dex-tokens")
def test_a_404_with_dex_tokens_in_the_sectors_file_is_asked_again_next_run(
    upstream, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("GECKOTERMINAL_API_URL", upstream.url)
    sectors = tmp_path / "sectors.toml"
    sectors.write_text(DEX_SECTORS, encoding="utf-8")
    path = tmp_path / "history.sqlite"
    coins = (*COINS, "agent-x")
    upstream.script("chart:pippin", error(404, '{"error": "coin not found"}'))
    assert main(collect_args(path, sectors, 2)) == 0
    err = capsys.readouterr().err
    assert err.strip() == f"aisector: warning: {NOT_FOUND_PIPPIN}"
    assert upstream.count("ohlcv") >= 1  # agent-x came from GeckoTerminal, through DexFallback
    first, covered = stored_now(path, coins)
    assert covered["pippin"] == [] and all(covered[c] for c in coins if c != "pippin")
    assert set(first["coin_id"].astype(str)) == set(coins)  # pippin: its snapshot row only
    assert (first["coin_id"] == "pippin").sum() == 1

    upstream.clear()
    assert main(collect_args(path, sectors, 2)) == 0
    assert capsys.readouterr().err == ""
    assert upstream.count("chart", "pippin") == 1  # asked again; nobody else's range is
    assert upstream.count("chart") == 1
    second, covered = stored_now(path, coins)
    assert all(covered[c] for c in coins)
    assert (second["coin_id"] == "pippin").sum() > 24
    assert_rows_kept(first, second)


@across_runs("coin-delisted-then-relisted")
def test_a_coin_coingecko_stops_listing_keeps_its_rows_and_its_gap_is_filled_when_it_returns(
    upstream, sectors_file, tmp_path, capsys
):
    path = tmp_path / "history.sqlite"
    delisted = edited(lambda coins: [c for c in coins if c["id"] != "pippin"])
    upstream.script("list", delisted)
    upstream.script("markets", edited(without("pippin")))
    assert main(collect_args(path, sectors_file, 2)) == 0
    err = capsys.readouterr().err
    assert "pippin" in err and "asked again next run" in err
    assert upstream.count("chart", "pippin") == 0
    first, covered = stored_now(path)
    assert covered["pippin"] == [] and covered["bitcoin"]  # not marked fetched without rows

    upstream.clear()
    assert main(collect_args(path, sectors_file, 2)) == 0
    assert capsys.readouterr().err == ""
    assert upstream.count("chart", "pippin") == 1 and upstream.count("chart") == 1
    second, covered = stored_now(path)
    assert covered["pippin"] and (second["coin_id"] == "pippin").sum() > 24
    assert_rows_kept(first, second)


@across_runs("collect-killed-mid-backfill")
def test_a_collect_killed_mid_backfill_resumes_without_asking_again(
    upstream, baseline, sectors_file, tmp_path, capsys
):
    path = tmp_path / "history.sqlite"
    shutil.copy(baseline.path, path)
    upstream.script("chart", *CHART_FIRST_OK, hang(60.0))  # pippin's older gap never answers
    script = Path(sys.executable).with_name("aisector")
    environ = {**os.environ, "AISECTOR_HTTP_TIMEOUT": "60"}
    args = collect_args(path, sectors_file, FAULT_DAYS)
    worker = subprocess.Popen([str(script), *args], env=environ, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while upstream.count("chart") < len(CHART_FIRST_OK) + 1:
        assert worker.poll() is None and time.monotonic() < deadline, worker.stderr
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.communicate()
    killed, covered = stored_now(path)
    assert_rows_kept(baseline.rows, killed)
    start = baseline.now - pd.Timedelta(days=BASELINE_DAYS)
    assert not (killed["timestamp"] < start).any()  # nothing of the chunk it was in
    assert (killed["timestamp"] > baseline.now).groupby(killed["coin_id"]).sum().min() >= 2
    assert covered == {
        coin: [(spans[0][0], max(end for _, end in covered[coin]))]
        for coin, spans in baseline.coverage.items()
    }  # the recent gap is marked fetched, the older not

    upstream.clear()
    assert main(args) == 0
    assert capsys.readouterr().err == ""
    charts = [r for r in upstream.log if r.route == "chart"]
    assert sorted(r.coin for r in charts) == sorted(COINS)  # the older gap, once per coin
    ends = [pd.Timestamp(int(r.query["to"]), unit="s", tz="UTC") for r in charts]
    assert all(end <= start + pd.Timedelta(seconds=1) for end in ends)  # whole seconds upstream
    resumed, covered = stored_now(path)
    assert_rows_kept(killed, resumed)
    assert all(spans[0][0] < start for spans in covered.values())
    assert (resumed["timestamp"] < start).groupby(resumed["coin_id"]).sum().min() > 24


def test_the_http_settings_shape_the_timeout_and_the_retries():
    timeout, policy = client_settings(SETTINGS)
    assert timeout == (2.0, 2.0)
    assert (policy.attempts, policy.backoff) == (ATTEMPTS, 0.05)
    assert client_settings({}) == (DEFAULT_TIMEOUT, RetryPolicy())
    for name, value in (("AISECTOR_HTTP_ATTEMPTS", "2.5"), ("AISECTOR_HTTP_TIMEOUT", "soon")):
        with pytest.raises(ConfigError, match=name):
            client_settings({name: value})
