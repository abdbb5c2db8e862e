"""Live mode is the store's history plus the newest live quotes: the merge rule, and the CLI
exports that read both (``--source coingecko`` and ``auto``) against a local CoinGecko."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisector.apps.cli import main
from aisector.core.schema import empty_market_frame
from aisector.core.sectors import load_sectors
from aisector.sources.live_history import merge_history
from aisector.sources.market_data import load_market
from tests.conftest import hours, tidy
from tests.fault_server import FaultServer, edited, without
from tests.test_live_cli import COINS, ROWS

DAY = 24
WEEK = 7 * DAY


def latest_view(at: int, coins: dict[str, float]) -> pd.DataFrame:
    """Quotes at hour ``at`` and look-back rows 24h and 7d earlier, as a live latest view has."""
    rows = []
    for coin, price in coins.items():
        rows += [
            (at, coin, price, price * 10, 5.0),
            (at - DAY, coin, price / 1.1, price * 9, float("nan")),
            (at - WEEK, coin, price / 2, float("nan"), float("nan")),
        ]
    return tidy(rows)


def keys(frame: pd.DataFrame) -> set[tuple[pd.Timestamp, str]]:
    return set(zip(frame["timestamp"], frame["coin_id"].astype(str), strict=True))


def test_an_empty_store_leaves_the_live_view_as_it_is():
    live = latest_view(200, {"a": 2.0, "b": 3.0})
    pd.testing.assert_frame_equal(merge_history(live, empty_market_frame()), live)


def test_live_wins_at_the_same_time_and_coin_without_duplicates():
    live = latest_view(200, {"a": 2.0})
    stored = tidy([(h, "a", 1.0, 10.0, 1.0) for h in range(190, 201)])
    merged = merge_history(live, stored)
    assert not merged.duplicated(["timestamp", "coin_id"]).any()
    at_quote = merged[merged["timestamp"] == hours(200)]
    assert at_quote["price"].tolist() == [2.0]
    assert len(merged[merged["timestamp"].between(hours(190), hours(199))]) == 10


def test_look_back_rows_go_where_history_covers_their_time_and_stay_where_it_does_not():
    live = latest_view(200, {"a": 2.0, "b": 4.0})
    # a: hourly history at half past over the last 2 days (covers the 24h look-back, not 7d);
    # b: one stored row 3 h after its 24h look-back, beyond that window's 2.4 h tolerance
    stored = tidy(
        [(h + 0.5, "a", 1.0, 10.0, 1.0) for h in range(150, 200)]
        + [(200 - DAY + 3, "b", 3.0, 30.0, 1.0)]
    )
    merged = merge_history(live, stored)
    found = keys(merged)
    assert (hours(200 - DAY), "a") not in found  # spliced between stored hourly rows: dropped
    assert (hours(200 - WEEK), "a") in found  # nothing stored near it: kept
    assert (hours(200 - DAY), "b") in found
    assert (hours(200 - WEEK), "b") in found


@settings(max_examples=60, deadline=None)
@given(
    stored_hours=st.lists(st.integers(0, 400), max_size=40, unique=True),
    quote_at=st.integers(200, 420),
)
def test_the_merge_against_a_plain_python_reference(stored_hours, quote_at):
    live = latest_view(quote_at, {"a": 2.0})
    stored = tidy([(h, "a", 1.0 + h, 10.0, 1.0) for h in stored_hours])
    merged = merge_history(live, stored)
    expected = {hours(h): 1.0 + h for h in stored_hours}
    expected[hours(quote_at)] = 2.0  # live wins
    for lag, price in ((DAY, 2.0 / 1.1), (WEEK, 1.0)):
        at, tolerance = quote_at - lag, lag * 0.1
        if not any(abs(h - at) <= tolerance for h in stored_hours):
            expected[hours(at)] = price
    got = dict(zip(merged["timestamp"], merged["price"], strict=True))
    assert got.keys() == expected.keys()
    assert np.allclose([got[k] for k in expected], list(expected.values()))


def collect_history(store: str, monkeypatch) -> None:
    assert main(["collect", "--source", "coingecko", "--backfill", "10", "--store", store]) == 0


@pytest.fixture
def upstream(monkeypatch):
    with FaultServer(list(ROWS.values())) as server:
        monkeypatch.setenv("COINGECKO_API_URL", server.url)
        monkeypatch.setenv("COINGECKO_CALLS_PER_MINUTE", "6000")  # no budget waits in tests
        yield server


@pytest.mark.parametrize("source", ["coingecko", "auto"])
def test_exports_read_the_stored_history_behind_live_quotes(
    upstream, tmp_path: Path, monkeypatch, capsys, source
):
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    out = tmp_path / "index.csv"
    command = ["export", "index", "--window", "7d", "--source", source, "--store", store]
    assert main([*command, "--out", str(out)]) == 0
    before = json.loads(out.with_suffix(".json").read_text())
    assert before["history_since"] is None and "history" not in before["source_label"]
    assert pd.read_csv(out)["timestamp"].nunique() <= 3  # the latest view: look-backs + now
    collect_history(store, monkeypatch)
    capsys.readouterr()
    assert main([*command, "--out", str(out)]) == 0
    after = json.loads(out.with_suffix(".json").read_text())
    assert after["source_label"].startswith("CoinGecko (live) · history since ")
    assert after["history_since"] is not None
    stamps = pd.to_datetime(pd.read_csv(out)["timestamp"], utc=True).drop_duplicates()
    assert len(stamps) >= 7 * 24  # hourly through the week, the live quote at the end
    assert stamps.diff().dropna().max() <= pd.Timedelta(hours=1)
    assert "wrote" in capsys.readouterr().out


def test_stored_rows_of_a_migrated_coin_join_its_live_rows_under_the_sectors_file_id(
    upstream, tmp_path, monkeypatch
):
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    collect_history(store, monkeypatch)
    data = load_market("coingecko", load_sectors(), store=store)
    ai16z = data.frame[data.frame["coin_id"] == "ai16z"]
    assert "elizaos" not in set(data.frame["coin_id"].astype(str))
    assert len(ai16z) > 24 * 9  # stored hourly history, not just the live view
    assert ai16z["price"].iloc[-1] == ROWS["elizaos"]["current_price"]
    assert set(COINS) <= set(data.frame["coin_id"].astype(str))


def test_a_coin_without_a_live_quote_but_with_stored_history_is_not_reported_missing(
    upstream, tmp_path, monkeypatch
):
    store = f"sqlite:///{tmp_path / 'history.sqlite'}"
    upstream.script("markets", edited(without("pippin")))
    before = load_market("coingecko", load_sectors(), store=store)
    assert any(w.startswith("no data for") and "pippin" in w for w in before.warnings)
    collect_history(store, monkeypatch)
    upstream.script("markets", edited(without("pippin")))
    after = load_market("coingecko", load_sectors(), store=store)
    assert not any("pippin" in w for w in after.warnings)
    assert any(w == "no data for 1 coin(s): cookie" for w in after.warnings)  # still said
    assert (after.frame["coin_id"] == "pippin").sum() > 24 * 9
