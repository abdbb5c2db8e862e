"""CoinGecko, through pycoingecko wrapped so it is safe behind a dashboard.

pycoingecko builds the URLs and decodes the JSON; everything else is ours (``connectors.http``):
the key rides as the ``x-cg-demo-api-key`` / ``x-cg-pro-api-key`` header of the session we hand it
(never passed to pycoingecko, which would put it in the query string), its own retrying session and
120 s timeout are replaced, HTTP errors surface with their status and ``Retry-After``.

Endpoints: ``/coins/markets`` for snapshots (≤ 250 ids a call), ``/coins/{id}/market_chart/range``
for history (≤ 90 days a call for hourly points), ``/coins/list`` (cached a day) to tell unknown
ids, ``/coins/categories`` and ``/coins/markets?category=`` to suggest sector members.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from pycoingecko import CoinGeckoAPI

from aisector.core.errors import BadPayload, NotFound
from aisector.core.periods import tolerance_for
from aisector.core.schema import (
    COIN_ID,
    MARKET_CAP,
    PRICE,
    SOURCE,
    SYMBOL,
    TIMESTAMP,
    VOLUME,
)
from aisector.core.settings import read_positive_number, read_setting, redact
from connectors.base import QuoteSource
from connectors.http import (
    Clock,
    HttpClient,
    RetryPolicy,
    Sleep,
    configured_client,
    open_session,
)
from connectors.payload import (
    LOOKBACKS,
    MARKET_CAP_CHANGE_24H,
    change_column,
    missing_from,
    numbers,
    object_list,
    observation_time,
    pick_fields,
    require_range,
    tidy_concat,
    timestamps,
)

log = logging.getLogger(__name__)

PUBLIC_URL = "https://api.coingecko.com/api/v3/"
PRO_URL = "https://pro-api.coingecko.com/api/v3/"
SOURCE_NAME = "coingecko"
VS_CURRENCY = "usd"
IDS_PER_CALL = 250  # /coins/markets answers at most 250 rows a page
COIN_LIST_TTL = 24 * 3600.0  # seconds; /coins/list changes slowly and is large
STALE_AFTER = tolerance_for("24h")  # a quote older than this cannot stand for "now" (DESIGN.md)
NAME = "name"
LAST_UPDATED = "last_updated"
CATEGORY = "category"  # a CoinGecko category id, e.g. ai-agents
MARKET_CAP_CHANGE = "market_cap_change"  # a category's 24h market-cap change, as a fraction

Granularity = Literal["hourly", "daily"]
# Longest range per call, and shortest: CoinGecko answers a range of 2-90 days with hourly points,
# one day up to now with 5-minute points, and daily points when asked for ``interval=daily``.
CHUNKS: dict[str, tuple[pd.Timedelta, pd.Timedelta]] = {
    "hourly": (pd.Timedelta(days=90), pd.Timedelta(days=2)),
    "daily": (pd.Timedelta(days=365), pd.Timedelta(0)),
}


@dataclass(frozen=True)
class Plan:
    """What a key buys: the setting holding it, the header carrying it, base URL, calls a minute."""

    key_setting: str | None
    header: str | None
    base_url: str
    calls_per_minute: float


PLANS = (  # the first plan whose key is set wins
    Plan("COINGECKO_PRO_API_KEY", "x-cg-pro-api-key", PRO_URL, 500),
    Plan("COINGECKO_DEMO_API_KEY", "x-cg-demo-api-key", PUBLIC_URL, 30),
)
KEYLESS = Plan(None, None, PUBLIC_URL, 10)

# Our column -> CoinGecko's field, per endpoint (the one place their names appear).
MARKETS_FIELDS = {
    COIN_ID: "id",
    SYMBOL: "symbol",
    NAME: "name",
    PRICE: "current_price",
    MARKET_CAP: "market_cap",
    VOLUME: "total_volume",
    LAST_UPDATED: "last_updated",
    change_column("24h"): "price_change_percentage_24h_in_currency",
    change_column("7d"): "price_change_percentage_7d_in_currency",
    change_column("30d"): "price_change_percentage_30d_in_currency",
    MARKET_CAP_CHANGE_24H: "market_cap_change_24h",
}
# Bodies fetched without ``price_change_percentage`` (and old ones) carry the 24h change here.
MARKETS_FALLBACK_FIELDS = {change_column("24h"): "price_change_percentage_24h"}
MARKETS_NUMBERS = (PRICE, MARKET_CAP, VOLUME, MARKET_CAP_CHANGE_24H)
PERCENT_COLUMNS = tuple(change_column(w) for w in LOOKBACKS)
CHART_SERIES = {PRICE: "prices", MARKET_CAP: "market_caps", VOLUME: "total_volumes"}
COIN_LIST_FIELDS = {COIN_ID: "id", SYMBOL: "symbol", NAME: "name"}
CATEGORY_FIELDS = {
    CATEGORY: "id",
    NAME: "name",
    MARKET_CAP: "market_cap",
    MARKET_CAP_CHANGE: "market_cap_change_24h",  # percent upstream; a fraction here
    VOLUME: "volume_24h",
    "updated_at": "updated_at",
}


class CoinGecko(QuoteSource):
    """Live CoinGecko market data in the tidy frame, behind the ``MarketSource`` protocol."""

    name = SOURCE_NAME
    label = "CoinGecko (live)"
    live = True
    history_chunk = CHUNKS["hourly"][0]  # the longest range one hourly request may ask
    history_step = pd.Timedelta(hours=1)  # resolution of that history

    def __init__(self, http: HttpClient, base_url: str = PUBLIC_URL) -> None:
        self.http = http
        self.client = CoinGeckoAPI()  # no key given: pycoingecko would put it in every URL
        self.client.session = http.session  # ours: key header, error hook, no hidden retries
        self.client.api_base_url = base_url.rstrip("/") + "/"
        self.client.request_timeout = http.timeout
        self._coin_list: tuple[float, pd.DataFrame] | None = None
        # coins whose history CoinGecko answered 404 for, or that it does not list (any more)
        self._not_found: set[str] = set()

    @classmethod
    def from_settings(
        cls,
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, Any] | None = None,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> CoinGecko:
        """Configured from the environment (else ``secrets``, e.g. ``st.secrets``): key, plan, URL,
        timeout and retries; ``retry`` overrides the configured retry policy."""
        plan, key = _plan(environ, secrets)
        base_url = read_setting("COINGECKO_API_URL", environ, secrets) or plan.base_url
        per_minute = read_positive_number("COINGECKO_CALLS_PER_MINUTE", environ, secrets)
        auth = {plan.header: key} if plan.header and key else None
        session = open_session({"accept": "application/json"}, auth)
        http = configured_client(
            "CoinGecko",
            session,
            per_minute or plan.calls_per_minute,
            environ,
            secrets,
            clock=clock,
            sleep=sleep,
            retry=retry,
        )
        return cls(http, base_url)

    def markets(self, coins: Sequence[str]) -> pd.DataFrame:
        """CoinGecko's market table for ``coins`` (ids it does not know are absent), with its own
        24h/7d/30d price changes as fractions; one call per 250 ids."""
        ids = list(dict.fromkeys(coins))
        batches = [ids[i : i + IDS_PER_CALL] for i in range(0, len(ids), IDS_PER_CALL)]
        rows = [row for batch in batches for row in self._markets_page(_markets_query(ids=batch))]
        return markets_table(rows, "CoinGecko /coins/markets")

    def category_members(self, category: str, limit: int = IDS_PER_CALL) -> pd.DataFrame:
        """The coins CoinGecko files under ``category`` (``ai-agents``, ``meme-token``), largest
        first, as the market table: suggestions for a sectors file."""
        query = _markets_query(category=category, per_page=min(limit, IDS_PER_CALL))
        return markets_table(self._markets_page(query), f"CoinGecko category {category}")

    def categories(self) -> pd.DataFrame:
        """CoinGecko's categories with market cap, its 24h change (a fraction) and 24h volume."""
        where = "CoinGecko /coins/categories"
        payload = self.http.call(self.client.get_coins_categories, self._url("coins/categories"))
        rows = object_list(payload, where)
        frame = pick_fields(rows, CATEGORY_FIELDS)
        for column in (MARKET_CAP, MARKET_CAP_CHANGE, VOLUME):
            frame[column] = numbers(frame[column], f"{where} {CATEGORY_FIELDS[column]}")
        frame[MARKET_CAP_CHANGE] /= 100.0
        frame["updated_at"] = timestamps(frame["updated_at"], f"{where} updated_at")
        return frame

    def coin_list(self) -> pd.DataFrame:
        """Every id CoinGecko lists (coin_id, symbol, name), fetched at most once a day."""
        now = self.http.clock()
        if self._coin_list is None or now - self._coin_list[0] >= COIN_LIST_TTL:
            payload = self.http.call(self.client.get_coins_list, self._url("coins/list"))
            rows = object_list(payload, "CoinGecko /coins/list")
            self._coin_list = (now, pick_fields(rows, COIN_LIST_FIELDS).astype("string"))
        return self._coin_list[1]

    def unknown_ids(self, coins: Sequence[str]) -> list[str]:
        """The ids among ``coins`` that CoinGecko does not list, by name."""
        return missing_from(coins, self.coin_list()[COIN_ID])

    def history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp,
        end: pd.Timestamp,
        granularity: Granularity = "hourly",
    ) -> pd.DataFrame:
        """Tidy rows in [start, end] from /market_chart/range; unknown ids are reported, the rest
        served. Hourly needs one call per coin per 90 days; daily one per 365 days."""
        require_range(start, end)
        symbols = self.coin_list().set_index(COIN_ID)[SYMBOL]
        unknown = self.unknown_ids(coins)
        _note("does not list", unknown)
        self._not_found.update(unknown)  # not "nothing there": a relisted coin is asked again
        frames = [
            self._coin_history(coin, symbols[coin], start, end, granularity)
            for coin in dict.fromkeys(coins)
            if coin not in unknown
        ]
        return tidy_concat(frames, self.name)

    def probe(self, timeout: float = 2.0) -> None:
        """One quick /ping without retries; raises our error when CoinGecko is not usable now."""
        self.http.probe(self.client.api_base_url + "ping", timeout)

    def _quotes(self, coins: Sequence[str], as_of: pd.Timestamp | None) -> pd.DataFrame:
        """The market table's usable rows (asked for, priced, fresh) stamped ``as_of``."""
        as_of = observation_time(self.http.clock()) if as_of is None else as_of
        table = self.markets(coins)
        asked = table[COIN_ID].isin(list(coins))
        usable = asked & table[PRICE].gt(0) & ~table[LAST_UPDATED].lt(as_of - STALE_AFTER)
        _note("has no current price for", missing_from(coins, table.loc[usable, COIN_ID]))
        return table[usable].assign(**{TIMESTAMP: as_of, SOURCE: self.name})

    def _url(self, endpoint: str) -> str:
        """The URL pycoingecko asks for ``endpoint`` (for messages; the query string apart)."""
        return self.client.api_base_url + endpoint

    def _markets_page(self, query: dict[str, Any]) -> list[dict]:
        url = self._url("coins/markets")
        payload = self.http.call(lambda: self.client.get_coins_markets(**query), url)
        return object_list(payload, "CoinGecko /coins/markets")

    def _coin_history(
        self, coin: str, symbol: str, start: pd.Timestamp, end: pd.Timestamp, granularity: str
    ) -> pd.DataFrame | None:
        """One coin's rows over the range, chunked; None (with a warning) if CoinGecko lost it."""
        try:
            pieces = [
                self._chart(coin, a, b, granularity)
                for a, b in range_chunks(start, end, granularity)
            ]
        except NotFound as error:
            log.info("%s", error)
            self._not_found.add(coin)
            return None
        frame = pd.concat(pieces, ignore_index=True)
        frame = frame[(frame[TIMESTAMP] >= start) & (frame[TIMESTAMP] <= end)]
        frame = frame.drop_duplicates(TIMESTAMP, keep="last")
        return frame.assign(**{COIN_ID: coin, SYMBOL: symbol, SOURCE: self.name})

    def _chart(
        self, coin: str, start: pd.Timestamp, end: pd.Timestamp, granularity: str
    ) -> pd.DataFrame:
        query: dict[str, Any] = {
            "id": coin,
            "vs_currency": VS_CURRENCY,
            "from_timestamp": math.floor(start.timestamp()),
            "to_timestamp": math.ceil(end.timestamp()),
            "precision": "full",
        }
        if granularity == "daily":
            query["interval"] = "daily"
        url = self._url(f"coins/{coin}/market_chart/range")
        chart = self.client.get_coin_market_chart_range_by_id
        payload = self.http.call(lambda: chart(**query), url)
        return chart_frame(payload, f"CoinGecko market_chart for {coin}")


def _plan(
    environ: Mapping[str, str] | None, secrets: Mapping[str, Any] | None
) -> tuple[Plan, str | None]:
    for plan in PLANS:
        key = read_setting(plan.key_setting, environ, secrets) if plan.key_setting else None
        if key:
            return plan, key
    return KEYLESS, None


def _markets_query(
    ids: Sequence[str] | None = None, category: str | None = None, per_page: int = IDS_PER_CALL
) -> dict[str, Any]:
    """Query parameters of one /coins/markets page, by ids or by category."""
    query: dict[str, Any] = {
        "vs_currency": VS_CURRENCY,
        "order": "market_cap_desc",
        "per_page": per_page,
        "page": 1,
        "price_change_percentage": ",".join(LOOKBACKS),
        "precision": "full",
    }
    if ids is not None:
        query["ids"] = ",".join(ids)
    if category is not None:
        query["category"] = category
    return query


def markets_table(rows: list[dict], where: str) -> pd.DataFrame:
    """The /coins/markets rows as a typed frame: numbers parsed, percent changes as fractions."""
    frame = pick_fields(rows, MARKETS_FIELDS)
    fallback = pick_fields(rows, MARKETS_FALLBACK_FIELDS)
    for column in fallback.columns:
        frame[column] = frame[column].where(frame[column].notna(), fallback[column])
    labels = frame[COIN_ID].astype("string")
    for column in MARKETS_NUMBERS:
        frame[column] = numbers(frame[column], f"{where} {MARKETS_FIELDS[column]}", labels)
    for column in PERCENT_COLUMNS:
        frame[column] = numbers(frame[column], f"{where} {MARKETS_FIELDS[column]}", labels) / 100.0
    frame[LAST_UPDATED] = timestamps(frame[LAST_UPDATED], f"{where} last_updated")
    return frame


def chart_frame(payload: object, where: str) -> pd.DataFrame:
    """A market_chart body (``prices``, ``market_caps``, ``total_volumes`` as [ms, value] pairs)
    as rows of timestamp, price, market cap and volume in time order, one per timestamp (the
    last value sent wins); prices decide which rows exist."""
    if not isinstance(payload, dict) or "prices" not in payload:
        raise BadPayload(f"{where}: expected an object with prices, got {_kind(payload)}")
    series = [
        _series(payload.get(field, []), column, where) for column, field in CHART_SERIES.items()
    ]
    return series[0].join(series[1:], how="left").reset_index()


def _series(points: object, column: str, where: str) -> pd.DataFrame:
    """One [ms, value] list as a frame indexed by timestamp, in time order (upstream's order is
    not trusted) with the last value sent winning on a repeated time."""
    field = CHART_SERIES[column]
    if not isinstance(points, list) or not all(isinstance(p, list) and len(p) == 2 for p in points):
        raise BadPayload(f"{where}: {field} must be a list of [time, value] pairs")
    pairs = pd.DataFrame(points, columns=["ms", column], dtype=object)
    frame = pd.DataFrame(
        {
            TIMESTAMP: timestamps(pairs["ms"], f"{where} {field} time", unit="ms"),
            column: numbers(pairs[column], f"{where} {field}"),
        }
    )
    frame = frame.drop_duplicates(TIMESTAMP, keep="last").set_index(TIMESTAMP)
    return frame.sort_index(kind="stable")


def range_chunks(
    start: pd.Timestamp, end: pd.Timestamp, granularity: str = "hourly"
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """[start, end] cut into calls CoinGecko answers at ``granularity``, oldest first; pieces are cut
    back from ``end`` so only the oldest may be short, and it is stretched to the minimum span."""
    longest, shortest = CHUNKS[granularity]
    pieces = []
    right = end
    while True:
        left = max(start, right - longest)
        pieces.append((min(left, right - shortest), right))
        if left <= start:
            return pieces[::-1]
        right = left


def _note(what: str, coins: Sequence[str]) -> None:
    """A diagnostic for the log; users hear of missing coins from the caller, by name."""
    if coins:
        log.info("%s", redact(f"CoinGecko {what} {len(coins)} coin(s): {', '.join(coins)}"))


def _kind(payload: object) -> str:
    return "an error object" if isinstance(payload, dict) else type(payload).__name__
