"""The GeckoTerminal connector: most liquid pool, spam pools ignored, numbers as strings, base or
quote side, hourly candles paged backwards, and the composition with CoinGecko and coin aliases."""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
import pytest
import responses

from aisector.core.errors import BadPayload, RateLimited
from aisector.core.schema import MARKET_COLUMNS
from aisector.core.sectors import DexToken, parse_sectors
from connectors.base import CollectableSource, HistoryOnly, collectable
from connectors.coingecko import PUBLIC_URL, CoinGecko
from connectors.compose import (
    AliasedLiveSource,
    AliasedSource,
    DexFallback,
    for_sectors,
    under_own_ids,
)
from connectors.geckoterminal import API_URL, GeckoTerminal, hourly_rows, ohlcv_frame
from connectors.offline import OfflineMarket
from tests.live_fakes import fixture, query_of

AGENT = "AgentX7qVh4mQk2s9Lw3Nd8Rf5Tb6Yc1Zp4pump"
MAIN_POOL = "MainPoo1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
POOLS_URL = f"{API_URL}networks/solana/tokens/{AGENT}/pools"
OHLCV_URL = f"{API_URL}networks/solana/pools/{MAIN_POOL}/ohlcv/hour"
AS_OF = pd.Timestamp("2025-01-22 00:05", tz="UTC")


@pytest.fixture
def dex(clock) -> GeckoTerminal:
    tokens = {"agent-x": DexToken("solana", AGENT)}
    return GeckoTerminal.from_settings(tokens, {}, clock=clock.time, sleep=clock.sleep)


@responses.activate
def test_snapshot_prices_the_coin_from_its_most_liquid_pool(dex):
    responses.get(POOLS_URL, json=fixture("geckoterminal_token_pools.json"))
    frame = dex.market_history(["agent-x", "bitcoin"])  # bitcoin has no dex token: not ours
    assert list(frame.columns) == list(MARKET_COLUMNS)
    now = frame[frame["timestamp"] == AS_OF].iloc[0]
    assert (now["coin_id"], now["symbol"], now["source"]) == ("agent-x", "AGENTX", "geckoterminal")
    assert now["price"] == 0.0123  # the 250k pool, not the 120-dollar spam pool quoting 5.0
    assert now["market_cap"] == 12_300_000
    assert now["volume"] == pytest.approx(800_000.25 + 100_000)  # both liquid pools, not the spam
    day_ago = frame[frame["timestamp"] == AS_OF - pd.Timedelta(hours=24)].iloc[0]
    assert day_ago["price"] == pytest.approx(0.0123 / 1.15)
    assert len(responses.calls) == 1 == dex.requests_made
    assert query_of(responses.calls[0])["include"] == "base_token,quote_token"
    assert len(dex.snapshot(["agent-x"])) == 1  # the current quote only
    assert responses.calls[0].request.headers["accept"] == "application/json;version=20230302"


@responses.activate
def test_a_token_on_the_quote_side_takes_the_quote_price(dex):
    body = fixture("geckoterminal_token_pools.json")
    body["data"] = [body["data"][2]]  # OTHER / AGENTX only
    responses.get(POOLS_URL, json=body)
    frame = dex.snapshot(["agent-x"])
    assert frame["price"].tolist() == [0.0124]
    assert math.isnan(frame["market_cap"].iloc[0])  # the pool's market cap is the base token's


@responses.activate
def test_spam_pools_only_means_no_row_and_a_warning(dex, caplog):
    body = fixture("geckoterminal_token_pools.json")
    body["data"] = [body["data"][0]]
    responses.get(POOLS_URL, json=body)
    with caplog.at_level(logging.INFO):
        frame = dex.snapshot(["agent-x"])
    assert frame.empty
    assert "no pool of agent-x holds $10,000 or more" in caplog.text


@responses.activate
def test_minimum_liquidity_is_a_setting(clock):
    responses.get(POOLS_URL, json=fixture("geckoterminal_token_pools.json"))
    tokens = {"agent-x": DexToken("solana", AGENT)}
    environ = {"GECKOTERMINAL_MIN_LIQUIDITY_USD": "100"}
    dex = GeckoTerminal.from_settings(tokens, environ, clock=clock.time, sleep=clock.sleep)
    assert dex.snapshot(["agent-x"])["price"].max() == 0.0123  # still the most liquid pool
    assert dex.liquid_pools("agent-x")["pool"].tolist()[-1].startswith("SpamPoo1")


@responses.activate
def test_numbers_as_strings_nan_and_nulls(dex):
    body = fixture("geckoterminal_token_pools.json")
    main = body["data"][1]["attributes"]
    main["market_cap_usd"] = None
    main["price_change_percentage"]["h24"] = "NaN"
    responses.get(POOLS_URL, json=body)
    frame = dex.snapshot(["agent-x"])
    assert len(frame) == 1 and math.isnan(frame["market_cap"].iloc[0])


@responses.activate
def test_text_that_is_no_number_is_rejected_naming_the_pool(dex):
    body = fixture("geckoterminal_token_pools.json")
    body["data"][1]["attributes"]["reserve_in_usd"] = "lots"
    responses.get(POOLS_URL, json=body)
    with pytest.raises(BadPayload, match=f"reserve_in_usd of {MAIN_POOL} holds 'lots'"):
        dex.snapshot(["agent-x"])


@responses.activate
def test_public_rate_limit_is_30_calls_a_minute_and_429s_are_ours(dex):
    assert dex.http.budget.per_minute == 30
    responses.get(
        POOLS_URL,
        status=429,
        json={"errors": [{"status": "429", "title": "Rate Limited"}]},
        headers={"Retry-After": "600"},
    )
    with pytest.raises(RateLimited, match=r"GeckoTerminal .*Rate Limited"):
        dex.snapshot(["agent-x"])


@responses.activate
def test_history_from_candles_of_the_most_liquid_pool(dex):
    responses.get(POOLS_URL, json=fixture("geckoterminal_token_pools.json"))
    responses.get(OHLCV_URL, json=fixture("geckoterminal_ohlcv_hour.json"))
    end = pd.Timestamp("2025-01-22 00:00", tz="UTC")
    frame = dex.history(["agent-x"], end - pd.Timedelta(hours=5), end)
    assert frame["timestamp"].tolist() == list(
        pd.date_range(end - pd.Timedelta(hours=5), end, freq="h")
    )
    assert frame["price"].iloc[-1] == pytest.approx(0.0129)  # close of the 23:00 candle
    # 24 candles up to the close at 00:00: volumes 1000 + i for i in 0..23
    assert frame["volume"].iloc[-1] == pytest.approx(sum(1000.0 + i for i in range(24)))
    assert frame["market_cap"].isna().all()
    query = query_of(responses.calls[1])
    assert (query["token"], query["limit"], query["currency"]) == ("base", "1000", "usd")
    assert int(query["before_timestamp"]) == int(end.timestamp()) - 3600 + 1


@responses.activate
def test_candles_are_paged_backwards_until_the_start(dex, monkeypatch):
    monkeypatch.setattr("connectors.geckoterminal.CANDLES_PER_CALL", 10)
    body = fixture("geckoterminal_ohlcv_hour.json")
    candles = body["data"]["attributes"]["ohlcv_list"]
    pages = [candles[:10], candles[10:20], candles[20:]]
    responses.get(POOLS_URL, json=fixture("geckoterminal_token_pools.json"))
    for page in pages:
        responses.get(OHLCV_URL, json={"data": {"attributes": {"ohlcv_list": page}}})
    end = pd.Timestamp("2025-01-22 00:00", tz="UTC")
    frame = dex.history(["agent-x"], end - pd.Timedelta(hours=2), end)
    befores = [int(query_of(c)["before_timestamp"]) for c in responses.calls[1:]]
    assert befores == [int(end.timestamp()) - 3599, candles[9][0], candles[19][0]]
    assert len(frame) == 3


def test_hourly_rows_put_each_close_at_the_candle_end_and_need_a_full_day_of_volume():
    candles = ohlcv_frame(fixture("geckoterminal_ohlcv_hour.json"), "test")
    rows = hourly_rows(candles)
    assert rows["timestamp"].is_monotonic_increasing
    assert rows["timestamp"].iloc[-1] == pd.Timestamp("2025-01-22 00:00", tz="UTC")
    assert rows["volume"].iloc[:23].isna().all() and rows["volume"].iloc[23:].notna().all()
    assert hourly_rows(candles.iloc[0:0]).empty


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"errors": [{"title": "Not Found"}]}, "no data.attributes.ohlcv_list"),
        ({"data": {"attributes": {"ohlcv_list": [[1, 2, 3]]}}}, "candles must be"),
        (
            {"data": {"attributes": {"ohlcv_list": [[1737500400, 1, 1, 1, "x", 5]]}}},
            "close holds 'x'",
        ),
    ],
)
def test_malformed_candles_are_rejected_clearly(body, message):
    with pytest.raises(BadPayload, match=message):
        ohlcv_frame(body, "GeckoTerminal candles")


@responses.activate
def test_an_empty_pool_list_serves_nothing(dex):
    responses.get(POOLS_URL, json={"data": [], "included": []})
    assert dex.snapshot(["agent-x"]).empty


@responses.activate
def test_dex_fallback_fills_what_coingecko_lacks_at_the_same_time(clock):
    responses.get(PUBLIC_URL + "coins/markets", json=fixture("coingecko_markets.json"))
    responses.get(POOLS_URL, json=fixture("geckoterminal_token_pools.json"))
    book = parse_sectors(
        f'[sectors.ai]\ncoins = ["pippin", "agent-x"]\n[coins.agent-x]\ndex = "solana:{AGENT}"\n'
    )
    source = for_sectors(CoinGecko.from_settings({}, clock=clock.time, sleep=clock.sleep), book, {})
    assert isinstance(source, DexFallback)
    frame = source.market_history(book.coins())
    latest = frame[frame["timestamp"] == frame["timestamp"].max()]
    assert dict(zip(latest["coin_id"], latest["source"], strict=True)) == {
        "agent-x": "geckoterminal",
        "bitcoin": "coingecko",
        "pippin": "coingecko",
    }


ALIASES = parse_sectors(
    '[sectors.ai]\ncoins = ["ai16z"]\n[coins.ai16z]\n'
    'aliases = [{ id = "elizaos", since = 2025-11-06 }]\n'
).aliases()


def rows(*entries: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [(pd.Timestamp(t, tz="UTC"), c, c.upper(), p, np.nan, np.nan, "x") for t, c, p in entries],
        columns=list(MARKET_COLUMNS),
    )


def test_after_a_switch_only_the_new_id_is_served_under_the_coins_own_id():
    frame = rows(
        ("2025-10-01", "ai16z", 0.10),
        ("2025-11-05", "ai16z", 0.09),
        ("2025-11-07", "ai16z", 0.08),  # the old page, still quoted after the switch: not ours
        ("2025-10-01", "elizaos", 0.02),  # the new page before the switch: not ours
        ("2025-11-07", "elizaos", 0.015),
        ("2025-11-07", "bitcoin", 1.0),
    )
    out = under_own_ids(frame, ALIASES)
    ai = out[out["coin_id"] == "ai16z"]
    assert ai["price"].tolist() == [0.015]  # history starts at the switch: nothing spliced on
    assert ai["symbol"].tolist() == ["ELIZAOS"]
    assert (out["coin_id"] == "bitcoin").sum() == 1


def test_before_a_switch_the_old_id_is_served_whole():
    frame = rows(
        ("2025-01-01", "ai16z", 1.9), ("2025-01-02", "ai16z", 2.0), ("2025-01-02", "elizaos", 9.0)
    )
    out = under_own_ids(frame, ALIASES)
    assert out["price"].tolist() == [1.9, 2.0] and set(out["coin_id"]) == {"ai16z"}


def test_aliased_source_asks_for_every_id_of_a_coin():
    asked = []

    class Recorder:
        name, label, live = "rec", "recorder", False

        def market_history(self, coins, start=None, end=None):
            asked.extend(coins)
            return rows(("2025-12-01", "elizaos", 0.01))

    frame = AliasedSource(Recorder(), ALIASES).market_history(["ai16z", "bitcoin"])
    assert asked == ["ai16z", "bitcoin", "elizaos"]
    assert frame["coin_id"].tolist() == ["ai16z"]


DEX_BOOK = parse_sectors(
    '[sectors.ai]\ncoins = ["pippin", "agent-x"]\n'
    f'[coins.agent-x]\ndex = "solana:{AGENT}"\n'
    '[coins.pippin]\naliases = [{ id = "pippin-v2", since = 2030-01-01 }]\n'
)


@responses.activate
def test_wrapped_sources_keep_the_collectors_extras(clock):
    responses.get(PUBLIC_URL + "coins/markets", json=fixture("coingecko_markets.json"))
    responses.get(POOLS_URL, json=fixture("geckoterminal_token_pools.json"))
    gecko = CoinGecko.from_settings({}, clock=clock.time, sleep=clock.sleep)
    source = for_sectors(gecko, DEX_BOOK, {})
    assert isinstance(source, AliasedSource) and isinstance(source.inner, DexFallback)
    quotes = source.snapshot(DEX_BOOK.coins())
    assert set(quotes["timestamp"]) == {AS_OF}
    assert sorted(quotes["coin_id"]) == ["agent-x", "bitcoin", "pippin"]
    assert source.requests_made == 2  # one /coins/markets, one GeckoTerminal pools call
    assert source.history_chunk == pd.Timedelta(days=90)
    assert getattr(source, "no_such_extra", None) is None


@responses.activate
def test_dex_fallback_history_takes_candles_for_what_coingecko_lacks(clock):
    responses.get(PUBLIC_URL + "coins/list", json=fixture("coingecko_coins_list.json"))
    chart = PUBLIC_URL + "coins/pippin/market_chart/range"
    responses.get(chart, json=fixture("coingecko_market_chart.json"))
    responses.get(POOLS_URL, json=fixture("geckoterminal_token_pools.json"))
    responses.get(OHLCV_URL, json=fixture("geckoterminal_ohlcv_hour.json"))
    gecko = CoinGecko.from_settings({}, clock=clock.time, sleep=clock.sleep)
    source = for_sectors(gecko, DEX_BOOK, {})
    end = pd.Timestamp("2025-01-22 00:00", tz="UTC")
    frame = source.market_history(["pippin", "agent-x"], end - pd.Timedelta(days=2), end)
    assert set(frame.groupby("coin_id", observed=True)["source"].first()) == {
        "coingecko",
        "geckoterminal",
    }
    assert (frame["coin_id"] == "agent-x").sum() == 30  # every candle closes within the range


def test_the_live_sources_and_their_wrappers_are_collectable_and_files_are_history_only(clock):
    gecko = CoinGecko.from_settings({}, clock=clock.time, sleep=clock.sleep)
    source = for_sectors(gecko, DEX_BOOK, {})
    assert isinstance(source, AliasedLiveSource) and isinstance(source.inner, DexFallback)
    for live in (gecko, source, source.inner, source.inner.dex):
        assert isinstance(live, CollectableSource) and collectable(live) is live
    offline = collectable(OfflineMarket())
    assert isinstance(offline, HistoryOnly) and offline.snapshot(["bitcoin"]) is None
    assert (offline.requests_made, offline.history_not_found) == (0, frozenset())
    aliased_file = for_sectors(OfflineMarket(), DEX_BOOK, {})
    assert not isinstance(aliased_file, CollectableSource)
    assert AliasedLiveSource(offline, ALIASES).snapshot(["ai16z"]) is None  # no quotes, no rows


def test_a_live_source_that_does_not_say_what_it_offers_is_refused():
    class Bare:
        name, label, live = "bare", "bare live", True

        def market_history(self, coins, start=None, end=None):
            raise AssertionError("not asked")

    with pytest.raises(TypeError, match="Bare is live but does not implement CollectableSource"):
        collectable(Bare())


@responses.activate
def test_dex_fallback_and_aliases_report_every_404_under_our_ids(clock):
    responses.get(PUBLIC_URL + "coins/list", json=fixture("coingecko_coins_list.json"))
    for coin in ("pippin", "elizaos"):
        chart = PUBLIC_URL + f"coins/{coin}/market_chart/range"
        responses.get(chart, status=404, json={"error": "coin not found"})
    empty = {"prices": [], "market_caps": [], "total_volumes": []}  # found, nothing in range
    for coin in ("ai16z", "bitcoin"):
        responses.get(PUBLIC_URL + f"coins/{coin}/market_chart/range", json=empty)
    responses.get(POOLS_URL, status=404, json={"errors": [{"status": "404", "title": "Not Found"}]})
    book = parse_sectors(
        '[sectors.ai]\ncoins = ["pippin", "agent-x", "ai16z"]\n'
        f'[coins.agent-x]\ndex = "solana:{AGENT}"\n'
        '[coins.ai16z]\naliases = [{ id = "elizaos", since = 2024-01-01 }]\n'
    )
    gecko = CoinGecko.from_settings({}, clock=clock.time, sleep=clock.sleep)
    source = for_sectors(gecko, book, {})
    end = pd.Timestamp("2025-01-22 00:00", tz="UTC")
    assert source.market_history(book.coins(), end - pd.Timedelta(days=2), end).empty
    assert gecko.history_not_found == {"pippin", "elizaos", "agent-x"}  # agent-x: not listed
    assert source.inner.dex.history_not_found == {"agent-x"}
    assert source.inner.history_not_found == {"pippin", "elizaos", "agent-x"}  # agent-x: the DEX's
    assert source.history_not_found == {"pippin", "ai16z", "agent-x"}  # elizaos is ai16z's
