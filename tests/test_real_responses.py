"""Our parsers against bodies the real APIs produced (recorded in ../shared/data/real, see its
PROVENANCE.md), served through ``responses`` to the real connector code paths."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import responses

from aisector.core.errors import NotFound, RateLimited, Unauthorized
from aisector.core.sectors import DexToken
from connectors.coingecko import PUBLIC_URL, CoinGecko, chart_frame
from connectors.geckoterminal import API_URL, GeckoTerminal, hourly_rows, ohlcv_frame
from tests.live_fakes import FakeClock

pytestmark = pytest.mark.real_data

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"
SAMPLES = REAL / "api_response_samples"
MARKETS = PUBLIC_URL + "coins/markets"


def load(samples: Path, name: str):
    return json.loads((samples / name).read_text(encoding="utf-8"))


def pycgapi(samples: Path, key: str):
    return load(samples, "pycgapi_mock_responses_2023-12.json")[key]


def pycoingecko(samples: Path, test_function: str):
    entries = load(samples, "pycoingecko_test_api_samples_2018-2019.json")["entries"]
    return next(e["body"] for e in entries if e["test_function"] == test_function)


def gecko_at(when: str) -> tuple[CoinGecko, FakeClock]:
    clock = FakeClock(pd.Timestamp(when).timestamp())
    return CoinGecko.from_settings({}, clock=clock.time, sleep=clock.sleep), clock


@responses.activate
def test_pycgapi_markets_body_2023_becomes_the_right_tidy_rows(samples):
    responses.get(MARKETS, json=pycgapi(samples, "coins_markets_mock.coins_markets_response"))
    gecko, _ = gecko_at("2023-12-25T18:45:30Z")
    frame = gecko.latest(["bitcoin", "ethereum"])
    as_of = pd.Timestamp("2023-12-25 18:45", tz="UTC")
    now = frame[frame["timestamp"] == as_of].set_index("coin_id")
    assert now.loc["bitcoin", ["price", "market_cap", "volume"]].tolist() == [
        43602.0,
        854336711925.0,
        22684859765.0,
    ]
    assert now.loc["ethereum", "symbol"] == "ETH"
    before = frame[frame["timestamp"] == as_of - pd.Timedelta(hours=24)].set_index("coin_id")
    # this body has no *_in_currency fields: the 24h change comes from price_change_percentage_24h
    assert before.loc["bitcoin", "price"] == pytest.approx(43602 / (1 - 0.0009161))
    assert before.loc["bitcoin", "market_cap"] == pytest.approx(854336711925 - 169146665)
    assert before.loc["ethereum", "market_cap"] == pytest.approx(274130347174 + 564852452.3487549)
    assert len(frame) == 4  # "roi": "null" and "max_supply": "null" (strings) are not our fields


@responses.activate
def test_pycoingecko_markets_body_2018_with_numbers_as_strings(samples):
    responses.get(MARKETS, json=pycoingecko(samples, "test_get_coins_markets"))
    gecko, _ = gecko_at("2018-08-28T12:13:30Z")
    frame = gecko.latest(["bitcoin"]).set_index("timestamp")
    as_of = pd.Timestamp("2018-08-28 12:13", tz="UTC")
    assert frame.loc[as_of, "price"] == pytest.approx(7015.11823787848)
    day_ago = frame.loc[as_of - pd.Timedelta(hours=24)]
    assert day_ago["price"] == pytest.approx(7015.11823787848 / 1.0446323343521924)  # "4.46..."
    assert day_ago["market_cap"] == pytest.approx(120934444800.105 - 5197755386.983)  # a string


def test_market_chart_bodies_become_rows(samples):
    chart = chart_frame(
        pycgapi(samples, "coins_id_market_chart_mock.coins_id_market_chart_response"), "t"
    )
    assert len(chart) == 5
    assert chart.iloc[0]["timestamp"] == pd.Timestamp("2023-12-17", tz="UTC")
    assert chart.iloc[0][["price", "market_cap", "volume"]].tolist() == pytest.approx(
        [42247.06788172229, 825747211475.3832, 13524832238.374014]
    )
    ranged = chart_frame(
        pycgapi(samples, "coins_id_market_chart_mock.coins_id_market_chart_range_response"), "t"
    )
    assert ranged.iloc[0]["price"] == 645.14 and ranged.iloc[0]["market_cap"] == 8005429360
    prices_only = chart_frame(pycoingecko(samples, "test_get_coin_market_chart_by_id"), "t")
    assert len(prices_only) == 6 and prices_only["market_cap"].isna().all()
    assert prices_only.iloc[0]["timestamp"] == pd.Timestamp(1535373899623, unit="ms", tz="UTC")


@responses.activate
def test_real_429_body_with_retry_after_119_fails_at_once_carrying_the_wait(samples):
    observed = load(samples, "coingecko_error_bodies_observed.json")["rate_limit_429_json"]
    responses.get(
        MARKETS,
        status=observed["http_status"],
        json=observed["body"],
        headers=observed["observed_headers"],
    )
    gecko, clock = gecko_at("2022-09-29T12:00:00Z")
    with pytest.raises(RateLimited) as caught:
        gecko.snapshot(["ethereum"])
    assert caught.value.retry_after == 119.0
    assert "You've exceeded the Rate Limit" in str(caught.value)
    assert clock.waits == [] and len(responses.calls) == 1


@pytest.mark.parametrize("entry", ["unknown_coin_id_legacy", "unknown_coin_id_current"])
@responses.activate
def test_real_unknown_id_bodies_are_not_found_with_their_words(samples, entry):
    observed = load(samples, "coingecko_error_bodies_observed.json")[entry]
    responses.get(PUBLIC_URL + "coins/list", json=[{"id": "ai16zz", "symbol": "x", "name": "x"}])
    url = PUBLIC_URL + "coins/ai16zz/market_chart/range"
    responses.get(url, status=observed["http_status"], json=observed["body"])
    gecko, _ = gecko_at("2025-01-22T00:00:00Z")
    with pytest.raises(NotFound, match=observed["body"]["error"]):
        gecko._chart(
            "ai16zz",
            pd.Timestamp("2025-01-01", tz="UTC"),
            pd.Timestamp("2025-01-05", tz="UTC"),
            "hourly",
        )


@responses.activate
def test_real_truncated_401_body_is_unauthorized_in_one_short_line(samples):
    observed = load(samples, "coingecko_error_bodies_observed.json")["missing_api_key_401"]
    responses.get(MARKETS, status=401, body=observed["body_truncated"])
    gecko, _ = gecko_at("2026-05-17T01:40:00Z")
    with pytest.raises(Unauthorized, match="HTTP 401") as caught:
        gecko.snapshot(["solana"])
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 400


@responses.activate
def test_real_categories_and_coin_list_bodies(samples):
    responses.get(
        PUBLIC_URL + "coins/categories",
        json=pycgapi(samples, "coins_categories_mock.coins_categories_response"),
    )
    responses.get(PUBLIC_URL + "coins/list", json=pycoingecko(samples, "test_get_coins_list"))
    gecko, _ = gecko_at("2023-12-26T20:00:00Z")
    categories = gecko.categories().set_index("category")
    assert categories.loc["layer-1", "market_cap"] == pytest.approx(1288779699651.5208)
    assert categories.loc["layer-1", "market_cap_change"] == pytest.approx(-0.015396238956085226)
    assert gecko.unknown_ids(["bitcoin", "dogecoin", "pippin"]) == ["pippin"]


@responses.activate
def test_real_geckoterminal_token_pools_pick_the_most_liquid_pool(samples):
    weth = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
    body = load(samples, "geckoterminal_token_pools_eth_weth_2024-05-13.json")
    responses.get(f"{API_URL}networks/eth/tokens/{weth}/pools", json=body)
    clock = FakeClock(pd.Timestamp("2024-05-13T12:00:00Z").timestamp())
    dex = GeckoTerminal({"weth": DexToken("eth", weth)}, _http(clock))
    frame = dex.latest(["weth"])
    now = frame[frame["timestamp"] == frame["timestamp"].max()].iloc[0]
    # the deepest pool holding WETH is WBTC / WETH 0.3% (289.9M USD), where WETH is the quote token
    assert now["price"] == pytest.approx(2958.19885153499)
    assert math.isnan(now["market_cap"])
    pools = dex.pools("weth")
    assert len(pools) == 15  # 20 pools, 5 of them multi-token pools where WETH is neither side
    assert now["volume"] == pytest.approx(pools["volume"].sum())


@responses.activate
def test_real_new_pools_body_with_nan_strings_and_empty_reserves(samples):
    body = load(samples, "geckoterminal_new_pools_solana_2025-09-09.json")
    wenlist = "9EVh2JwRdxfe8XwDLFp28LrL3QG3MrQTM4n1ZwFQH5bt"
    greg = "huGbvMBsED85Z2P2S5bkiJkRbL7RSaqzd1iZ39qpump"
    for address in (wenlist, greg):
        responses.get(f"{API_URL}networks/solana/tokens/{address}/pools", json=body)
    clock = FakeClock(pd.Timestamp("2025-09-09T01:45:00Z").timestamp())
    tokens = {"wenlist": DexToken("solana", wenlist), "greg": DexToken("solana", greg)}
    frame = GeckoTerminal(tokens, _http(clock)).snapshot(["wenlist", "greg"])
    assert set(frame["coin_id"]) == {"wenlist"}  # GREG's pool holds 0.0 USD: spam, ignored
    assert frame["price"].iloc[-1] == pytest.approx(0.0001753139442066377)
    assert frame["symbol"].iloc[-1] == "WENLIST"


def test_real_ohlcv_bodies_become_hourly_rows(samples):
    hour = ohlcv_frame(
        load(samples, "geckoterminal_ohlcv_hour_solana_pool_7bqJG2_2025-08.json"), "t"
    )
    assert len(hour) == 235
    rows = hourly_rows(hour)
    assert rows["timestamp"].is_monotonic_increasing and rows["timestamp"].is_unique
    assert rows["timestamp"].iloc[-1] == pd.Timestamp(1756569600 + 3600, unit="s", tz="UTC")
    assert rows["price"].iloc[-1] == pytest.approx(4.629060043710037e-05)
    assert rows["price"].iloc[0] == pytest.approx(6.605112261281314e-05)
    assert np.isnan(rows["volume"].iloc[0]) and rows["volume"].iloc[-1] > 0
    minutes = ohlcv_frame(
        load(samples, "geckoterminal_ohlcv_minute15_eth_pool_unknown_2023-07-13.json"), "t"
    )
    assert len(minutes) == 100 and minutes["close"].between(0.99, 1.01).all()


def _http(clock: FakeClock):
    from connectors.http import HttpClient, open_session

    return HttpClient("GeckoTerminal", open_session(), clock=clock.time, sleep=clock.sleep)
