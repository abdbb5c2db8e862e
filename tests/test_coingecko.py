"""The CoinGecko connector through pycoingecko and ``responses``: figures, request counts, the key,
failures, and the quirks of real bodies (nulls, zeros, numbers as strings, unknown ids)."""

from __future__ import annotations

import json
import logging
import math
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest
import requests
import responses

from aisector.analytics.moves import token_moves
from aisector.analytics.panel import market_panel
from aisector.analytics.windows import resolve_window
from aisector.core.errors import BadPayload, ConfigError, RateLimited, SourceUnavailable
from aisector.core.schema import MARKET_COLUMNS
from aisector.core.settings import redact
from connectors.coingecko import PRO_URL, PUBLIC_URL, CoinGecko, chart_frame, range_chunks
from tests.live_fakes import fixture, fixture_text, query_of

MARKETS = PUBLIC_URL + "coins/markets"
COINS_LIST = PUBLIC_URL + "coins/list"
DEMO_KEY = "CG-demoKeyForTests0001"
PRO_KEY = "CG-proKeyForTests00002"
AS_OF = pd.Timestamp("2025-01-22 00:05", tz="UTC")


@pytest.fixture
def gecko(clock) -> CoinGecko:
    return CoinGecko.from_settings(
        {"COINGECKO_DEMO_API_KEY": DEMO_KEY}, clock=clock.time, sleep=clock.sleep
    )


def row(frame: pd.DataFrame, coin: str, when: pd.Timestamp) -> pd.Series:
    match = frame[(frame["coin_id"] == coin) & (frame["timestamp"] == when)]
    assert len(match) == 1, f"no single row for {coin} at {when}"
    return match.iloc[0]


@responses.activate
def test_snapshot_gives_the_figures_and_coingeckos_own_moves(gecko):
    responses.get(MARKETS, json=fixture("coingecko_markets.json"))
    frame = gecko.market_history(["virtual-protocol", "pippin", "bitcoin"])
    assert list(frame.columns) == list(MARKET_COLUMNS)
    now = row(frame, "virtual-protocol", AS_OF)
    assert (now["symbol"], now["price"], now["market_cap"], now["volume"]) == (
        "VIRTUAL",
        3.87,
        3.87e9,
        5.418e8,
    )
    day_ago = row(frame, "virtual-protocol", AS_OF - pd.Timedelta(hours=24))
    assert day_ago["price"] == pytest.approx(3.87 / 1.1195)
    assert day_ago["market_cap"] == pytest.approx(3.87e9 - 4.133e8)
    assert math.isnan(day_ago["volume"])
    assert row(frame, "virtual-protocol", AS_OF - pd.Timedelta(days=30))["price"] == pytest.approx(
        3.87 / 1.25
    )
    assert frame[frame["coin_id"] == "pippin"]["timestamp"].min() == AS_OF - pd.Timedelta(days=7)
    panel = market_panel(frame)
    day, *longer = (resolve_window(panel, AS_OF, w) for w in ("24h", "7d", "30d"))
    moves = token_moves(day, longer)
    assert moves.loc["virtual-protocol", "change_24h"] == pytest.approx(0.1195)
    assert moves.loc["pippin", "change_24h"] == pytest.approx(1.0482)
    assert moves.loc["virtual-protocol", "change_7d"] == pytest.approx(-0.20)
    assert np.isnan(moves.loc["pippin", "change_30d"])  # CoinGecko gave none: missing, not guessed
    assert set(frame["source"]) == {"coingecko"}


@pytest.mark.parametrize(("n_coins", "calls"), [(0, 0), (1, 1), (250, 1), (251, 2), (600, 3)])
@responses.activate
def test_a_snapshot_of_n_coins_costs_ceil_n_over_250_requests(gecko, n_coins, calls):
    def markets(request):
        ids = parse_qs(urlsplit(request.url).query)["ids"][0].split(",")
        rows = [
            {
                "id": c,
                "symbol": c[-4:],
                "current_price": 1.0 + i,
                "market_cap": 1e6,
                "total_volume": 1e5,
                "last_updated": "2025-01-22T00:04:00Z",
            }
            for i, c in enumerate(ids)
        ]
        return 200, {}, json.dumps(rows)

    responses.add_callback(responses.GET, MARKETS, callback=markets)
    coins = [f"coin-{i:04d}" for i in range(n_coins)]
    frame = gecko.snapshot(coins)
    assert len(responses.calls) == calls == math.ceil(n_coins / 250)
    sizes = [len(query_of(c)["ids"].split(",")) for c in responses.calls]
    assert all(size <= 250 for size in sizes) and sum(sizes) == n_coins
    assert all(query_of(c)["per_page"] == "250" for c in responses.calls)
    assert frame["coin_id"].nunique() == n_coins


@responses.activate
def test_snapshot_is_the_current_quotes_only_and_counts_its_requests(gecko):
    responses.get(MARKETS, json=fixture("coingecko_markets.json"))
    frame = gecko.snapshot(["virtual-protocol", "pippin", "bitcoin"])
    assert set(frame["timestamp"]) == {AS_OF} and len(frame) == 3
    assert gecko.requests_made == 1
    assert (gecko.history_chunk, gecko.history_step) == (
        pd.Timedelta(days=90),
        pd.Timedelta(hours=1),
    )


@responses.activate
def test_demo_key_rides_in_the_header_never_in_the_url(gecko):
    responses.get(MARKETS, json=fixture("coingecko_markets.json"))
    gecko.snapshot(["bitcoin"])
    request = responses.calls[0].request
    assert request.headers["x-cg-demo-api-key"] == DEMO_KEY
    assert DEMO_KEY not in request.url and "api_key" not in request.url
    assert query_of(responses.calls[0])["price_change_percentage"] == "24h,7d,30d"


@responses.activate
def test_pro_key_uses_the_pro_url_and_header(clock):
    responses.get(PRO_URL + "coins/markets", json=[])
    environ = {"COINGECKO_PRO_API_KEY": PRO_KEY, "COINGECKO_DEMO_API_KEY": DEMO_KEY}
    gecko = CoinGecko.from_settings(environ, clock=clock.time, sleep=clock.sleep)
    gecko.snapshot(["bitcoin"])
    request = responses.calls[0].request
    assert request.headers["x-cg-pro-api-key"] == PRO_KEY
    assert "x-cg-demo-api-key" not in request.headers
    assert PRO_KEY not in request.url
    assert gecko.http.budget.per_minute == 500


@responses.activate
def test_base_url_override_and_keyless_plan(clock):
    responses.get("http://127.0.0.1:9/api/v3/coins/markets", json=[])
    environ = {"COINGECKO_API_URL": "http://127.0.0.1:9/api/v3"}
    gecko = CoinGecko.from_settings(environ, clock=clock.time, sleep=clock.sleep)
    gecko.snapshot(["bitcoin"])
    headers = responses.calls[0].request.headers
    assert not any(name.startswith("x-cg-") for name in headers)
    assert gecko.http.budget.per_minute == 10


def test_key_from_streamlit_style_secrets_is_used_and_masked(clock):
    secrets = {"COINGECKO_DEMO_API_KEY": "CG-fromStreamlitSecrets9"}
    gecko = CoinGecko.from_settings({}, secrets, clock=clock.time, sleep=clock.sleep)
    assert gecko.http.session.headers["x-cg-demo-api-key"] == "CG-fromStreamlitSecrets9"
    assert redact("key CG-fromStreamlitSecrets9 leaked") == "key *** leaked"
    assert gecko.http.budget.per_minute == 30


def test_calls_per_minute_setting_overrides_the_plan_and_must_be_a_number(clock):
    gecko = CoinGecko.from_settings({"COINGECKO_CALLS_PER_MINUTE": "12"}, clock=clock.time)
    assert gecko.http.budget.per_minute == 12
    with pytest.raises(ConfigError, match="COINGECKO_CALLS_PER_MINUTE must be a positive number"):
        CoinGecko.from_settings({"COINGECKO_CALLS_PER_MINUTE": "fast"})


@responses.activate
def test_nulls_zeros_strings_and_stale_quotes(gecko, caplog):
    responses.get(MARKETS, json=fixture("coingecko_markets_quirks.json"))
    with caplog.at_level(logging.INFO):
        frame = gecko.latest(["aixbt", "zerebro", "griffain", "swarms", "ghost"])
    aixbt = row(frame, "aixbt", AS_OF)
    assert aixbt["price"] == 0.5012  # "0.5012" parsed
    assert math.isnan(aixbt["market_cap"]) and math.isnan(aixbt["volume"])  # null and 0
    assert row(frame, "aixbt", AS_OF - pd.Timedelta(hours=24))["price"] == pytest.approx(
        0.5012 / 0.965
    )
    assert list(frame["coin_id"].unique()) == ["aixbt"]  # no 7d (null) and no 30d ("NaN") rows
    assert len(frame) == 2
    assert "has no current price for 4 coin(s): zerebro, griffain, swarms, ghost" in caplog.text


@responses.activate
def test_text_where_a_number_belongs_is_rejected_naming_field_and_coin(gecko):
    body = fixture("coingecko_markets.json")
    body[1]["current_price"] = "n/a"
    responses.get(MARKETS, json=body)
    with pytest.raises(
        BadPayload, match="current_price of pippin holds 'n/a', which is not a number"
    ):
        gecko.snapshot(["pippin"])


@responses.activate
def test_an_empty_list_is_an_empty_valid_frame(gecko):
    responses.get(MARKETS, json=[])
    frame = gecko.snapshot(["ghost"])
    assert frame.empty and list(frame.columns) == list(MARKET_COLUMNS)


@responses.activate
def test_an_error_object_where_a_list_belongs_is_a_bad_payload(gecko):
    responses.get(MARKETS, json={"status": {"error_message": "surprise"}})
    with pytest.raises(BadPayload, match="expected a list, got dict"):
        gecko.snapshot(["bitcoin"])


@responses.activate
def test_429_then_200_through_pycoingecko_honours_retry_after(gecko, clock):
    responses.get(
        MARKETS, status=429, json=fixture("coingecko_429.json"), headers={"Retry-After": "2"}
    )
    responses.get(MARKETS, json=fixture("coingecko_markets.json"))
    frame = gecko.snapshot(["bitcoin"])
    assert clock.waits == [2.0]
    assert row(frame, "bitcoin", AS_OF)["price"] == 106182.24


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (
            {"status": 429, "body": fixture_text("cloudflare_429.html")},
            RateLimited,
            "HTML error page",
        ),
        ({"body": '[{"id": "bitcoin", "current_price": 1'}, BadPayload, "not valid JSON"),
        (
            {"body": requests.exceptions.ReadTimeout("slow")},
            SourceUnavailable,
            "did not answer in time",
        ),
        ({"status": 502, "body": "<html>Bad gateway</html>"}, SourceUnavailable, "HTTP 502"),
    ],
)
@responses.activate
def test_upstream_failures_become_our_errors_without_the_key(gecko, reply, error, message):
    responses.get(MARKETS, **reply)
    with pytest.raises(error, match=message) as caught:
        gecko.snapshot(["bitcoin"])
    assert DEMO_KEY not in str(caught.value)
    assert caught.value.__suppress_context__  # no chained traceback carries request details


@responses.activate
def test_history_uses_market_chart_range_in_chunks_of_at_most_90_days(gecko):
    responses.get(COINS_LIST, json=fixture("coingecko_coins_list.json"))
    chart_url = PUBLIC_URL + "coins/pippin/market_chart/range"
    responses.get(chart_url, json=fixture("coingecko_market_chart.json"))
    end = pd.Timestamp("2025-01-21 03:00", tz="UTC")
    frame = gecko.market_history(["pippin"], end - pd.Timedelta(days=200), end)
    charts = [c for c in responses.calls if c.request.url.startswith(chart_url)]
    assert len(charts) == 3
    spans = [(int(query_of(c)["from"]), int(query_of(c)["to"])) for c in charts]
    assert all(0 < to - start <= 90 * 86400 for start, to in spans)
    assert spans[-1][1] == int(end.timestamp())
    assert "interval" not in query_of(charts[0])
    assert len(frame) == 4 and set(frame["symbol"]) == {"PIPPIN"}


def test_range_chunks_cover_the_range_at_the_asked_granularity():
    end = pd.Timestamp("2025-01-22", tz="UTC")
    hourly = range_chunks(end - pd.Timedelta(days=200), end)
    assert [b - a for a, b in hourly] == [
        pd.Timedelta(days=20),
        pd.Timedelta(days=90),
        pd.Timedelta(days=90),
    ]
    assert hourly[0][0] == end - pd.Timedelta(days=200) and hourly[-1][1] == end
    short = range_chunks(end - pd.Timedelta(hours=6), end)
    assert short == [(end - pd.Timedelta(days=2), end)]  # 1 day up to now would come 5-minutely
    daily = range_chunks(end - pd.Timedelta(days=400), end, "daily")
    assert [b - a for a, b in daily] == [pd.Timedelta(days=35), pd.Timedelta(days=365)]


@responses.activate
def test_daily_history_asks_for_daily_points(gecko):
    responses.get(COINS_LIST, json=fixture("coingecko_coins_list.json"))
    responses.get(
        PUBLIC_URL + "coins/bitcoin/market_chart/range", json=fixture("coingecko_market_chart.json")
    )
    end = pd.Timestamp("2025-01-22", tz="UTC")
    gecko.history(["bitcoin"], end - pd.Timedelta(days=400), end, "daily")
    charts = responses.calls[1:]
    assert len(charts) == 2 and all(query_of(c)["interval"] == "daily" for c in charts)


def test_market_chart_body_becomes_rows_with_nulls_and_zeros_missing():
    frame = chart_frame(fixture("coingecko_market_chart.json"), "test")
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-01-21 00:00", tz="UTC")
    assert frame["price"].tolist() == [0.1653, 0.1701, 0.1750, 0.1802]  # "0.1750" parsed
    assert np.isnan(frame["market_cap"].iloc[1]) and np.isnan(frame["volume"].iloc[3])


def test_a_chart_body_out_of_order_with_repeats_comes_out_sorted_and_the_last_value_wins():
    hour = 3_600_000
    body = {  # each series in its own shuffled order, hour 2 sent twice with different values
        "prices": [[3 * hour, 3.0], [1 * hour, 1.0], [2 * hour, 9.0], [2 * hour, 2.0]],
        "market_caps": [[2 * hour, 99.0], [3 * hour, 30.0], [1 * hour, 10.0], [2 * hour, 20.0]],
        "total_volumes": [[2 * hour, 200.0], [1 * hour, 100.0]],
    }
    frame = chart_frame(body, "test")
    assert frame["timestamp"].tolist() == [
        pd.Timestamp(h * hour, unit="ms", tz="UTC") for h in (1, 2, 3)
    ]
    assert frame["price"].tolist() == [1.0, 2.0, 3.0]
    assert frame["market_cap"].tolist() == [10.0, 20.0, 30.0]
    assert frame["volume"].tolist()[:2] == [100.0, 200.0] and np.isnan(frame["volume"].iloc[2])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": "coin not found"}, "expected an object with prices, got an error object"),
        ({"prices": [[1737417600000]]}, r"prices must be a list of \[time, value\] pairs"),
        ({"prices": [[1737417600000, "abc"]]}, "prices holds 'abc'"),
        ([], "expected an object with prices, got list"),
    ],
)
def test_malformed_market_chart_bodies_are_rejected_clearly(body, message):
    with pytest.raises(BadPayload, match=message):
        chart_frame(body, "CoinGecko market_chart for pippin")


@responses.activate
def test_unknown_ids_are_reported_by_name_and_the_rest_served(gecko, caplog):
    responses.get(COINS_LIST, json=fixture("coingecko_coins_list.json"))
    responses.get(
        PUBLIC_URL + "coins/pippin/market_chart/range", json=fixture("coingecko_market_chart.json")
    )
    responses.get(
        PUBLIC_URL + "coins/ai16z/market_chart/range", status=404, json={"error": "coin not found"}
    )
    end = pd.Timestamp("2025-01-21 03:00", tz="UTC")
    with caplog.at_level(logging.INFO):
        frame = gecko.history(["ghost", "ai16z", "pippin"], end - pd.Timedelta(days=3), end)
    assert set(frame["coin_id"]) == {"pippin"}
    assert "CoinGecko does not list 1 coin(s): ghost" in caplog.text
    assert "ai16z/market_chart/range: not found (HTTP 404: coin not found)" in caplog.text
    assert not any("ghost/market_chart" in c.request.url for c in responses.calls)


@responses.activate
def test_coin_list_is_fetched_once_a_day(gecko, clock):
    responses.get(COINS_LIST, json=fixture("coingecko_coins_list.json"))
    assert gecko.unknown_ids(["bitcoin", "ghost", "elizaos"]) == ["ghost"]
    gecko.coin_list()
    clock.now += 23 * 3600
    gecko.coin_list()
    assert len(responses.calls) == 1
    clock.now += 3600
    gecko.coin_list()
    assert len(responses.calls) == 2


@responses.activate
def test_category_members_and_categories_suggest_sector_members(gecko):
    responses.get(MARKETS, json=fixture("coingecko_markets.json")[:2])
    responses.get(PUBLIC_URL + "coins/categories", json=fixture("coingecko_categories.json"))
    members = gecko.category_members("ai-agents")
    assert query_of(responses.calls[0])["category"] == "ai-agents"
    assert "ids" not in query_of(responses.calls[0])
    assert members["coin_id"].tolist() == ["virtual-protocol", "pippin"]
    assert members["change_24h"].tolist() == pytest.approx([0.1195, 1.0482])
    categories = gecko.categories().set_index("category")
    assert categories.loc["ai-agents", "market_cap_change"] == pytest.approx(0.1047)
    assert np.isnan(categories.loc["meme-token", "market_cap"])
    assert categories.loc["meme-token", "market_cap_change"] == pytest.approx(-0.025)


@responses.activate
def test_probe_pings_once(gecko):
    responses.get(PUBLIC_URL + "ping", json={"gecko_says": "(V3) To the Moon!"})
    gecko.probe()
    assert len(responses.calls) == 1


def test_nothing_touches_the_network_when_built():
    with responses.RequestsMock() as mocked:  # any request would fail: none registered
        CoinGecko.from_settings({})
        assert len(mocked.calls) == 0
