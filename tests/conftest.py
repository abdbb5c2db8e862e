"""Shared builders for small, hand-checkable tidy market frames; the fixtures several test files
use: a fake clock, fresh history stores, the browser tests' server and browser."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from aisector.analytics.panel import MarketPanel, market_panel
from aisector.analytics.windows import Window
from aisector.apps.cli import main
from aisector.core.periods import DEFAULT_TOLERANCE_SHARE
from aisector.core.schema import MARKET_COLUMNS, validate_market_frame
from tests.headless import chromium, running_dashboard
from tests.live_fakes import FakeClock
from tests.store_backends import BACKENDS, backend_url

T0 = pd.Timestamp("2025-01-21T00:00Z")


def hours(n: int) -> pd.Timestamp:
    """T0 plus ``n`` hours."""
    return T0 + pd.Timedelta(hours=n)


def tidy(rows: Iterable[tuple]) -> pd.DataFrame:
    """A validated frame from (hour, coin_id, price, market_cap, volume) tuples."""
    records = [
        (hours(h), coin, coin.upper(), price, cap, volume, "test")
        for h, coin, price, cap, volume in rows
    ]
    return validate_market_frame(pd.DataFrame(records, columns=list(MARKET_COLUMNS)))


def panel_of(rows: Iterable[tuple]) -> MarketPanel:
    return market_panel(tidy(rows))


def span(
    panel: MarketPanel, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> Window:
    """The window from ``start`` to ``end`` (default: the panel's first and last timestamps),
    its tolerance 10% of its length, as ``resolve_window`` gives for a named window."""
    start = panel.timestamps[0] if start is None else start
    end = panel.timestamps[-1] if end is None else end
    hours_long = (end - start) / pd.Timedelta(hours=1)
    return Window(panel, f"{hours_long:g}h", start, end, (end - start) * DEFAULT_TOLERANCE_SHARE)


def members(pairs: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(sector, coin) for sector, coins in pairs.items() for coin in coins],
        columns=["sector", "coin_id"],
    )


REAL_SAMPLES = Path(__file__).resolve().parents[1].parent / "shared/data/real/api_response_samples"


@pytest.fixture(scope="module")
def samples() -> Path:
    """The recorded real bodies (../shared/data/real); skipped, saying so, when absent locally,
    a failure in CI where they must be."""
    if REAL_SAMPLES.is_dir():
        return REAL_SAMPLES
    reason = f"recorded real responses not found at {REAL_SAMPLES}; CI always has them"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def no_real_upstream(monkeypatch, tmp_path):
    """No test reaches the internet or the user's own store: live sources point at a closed local
    port unless a test points them at its own local server; the data folder is the test's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("COINGECKO_API_URL", "http://127.0.0.1:9/api/v3/")
    monkeypatch.setenv("GECKOTERMINAL_API_URL", "http://127.0.0.1:9/api/v2/")
    monkeypatch.setenv("DEFILLAMA_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DUNE_API_URL", "http://127.0.0.1:9")
    for key in (
        "COINGECKO_DEMO_API_KEY",
        "COINGECKO_PRO_API_KEY",
        "AISECTOR_STORE",
        "DUNE_API_KEY",
    ):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def two_coin_rows() -> list[tuple]:
    """A rises 10% a step; B falls 5% then rises 5%; caps follow prices, volumes vary."""
    return [
        (0, "a", 10.0, 100.0, 50.0),
        (0, "b", 20.0, 300.0, 50.0),
        (1, "a", 11.0, 110.0, 30.0),
        (1, "b", 19.0, 285.0, 10.0),
        (2, "a", 12.1, 121.0, 20.0),
        (2, "b", 19.95, 299.25, 20.0),
    ]


@pytest.fixture
def dashboard_start(monkeypatch) -> Callable[..., tuple[list[str], dict[str, str]]]:
    """The command line and environment ``aisector dashboard OPTIONS`` would replace itself with;
    nothing starts."""

    def start(*options: str) -> tuple[list[str], dict[str, str]]:
        started: list[tuple[list[str], dict[str, str]]] = []

        def exec_instead(_program: str, argv: list[str], env: dict[str, str]) -> None:
            started.append((argv, env))
            raise SystemExit(0)

        monkeypatch.setattr("aisector.apps.cli.os.execve", exec_instead)
        with pytest.raises(SystemExit):
            main(["dashboard", *options])
        return started[0]

    return start


@pytest.fixture
def clock() -> FakeClock:
    """The live connectors' time: ``clock.time`` and ``clock.sleep`` (which only records)."""
    return FakeClock()


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path) -> str:
    """A fresh history store's URL, once on SQLite and once on PostgreSQL."""
    return backend_url(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh history store's URL on SQLite only."""
    return f"sqlite:///{tmp_path / 'history.sqlite'}"


@pytest.fixture(scope="session")
def dashboard_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One running offline dashboard for all browser tests (a start costs seconds)."""
    with running_dashboard(tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium per test module; each test opens its own context. Not per session:
    Playwright's sync API keeps an event loop running, which breaks kaleido in later modules."""
    with chromium() as launched:
        yield launched
