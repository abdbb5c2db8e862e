"""GeckoTerminal: on-chain prices for tokens an aggregator lists late (new Solana and Base tokens).

A coin whose ``[coins.<id>]`` table in the sectors file has ``dex = "solana:<token address>"`` is
priced from its most liquid pool: ``/networks/{network}/tokens/{address}/pools`` for the snapshot
(price, 24h volume over its liquid pools, market cap when given) and that pool's hourly
``/ohlcv/hour`` candles for history. Pools under ``min_liquidity`` USD are ignored as spam.
Numbers arrive as strings; the public API allows 30 calls a minute.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from aisector.core.errors import BadPayload, NotFound
from aisector.core.schema import (
    COIN_ID,
    MARKET_CAP,
    MARKET_COLUMNS,
    PRICE,
    SOURCE,
    SYMBOL,
    TIMESTAMP,
    VOLUME,
)
from aisector.core.sectors import DexToken
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
    change_column,
    numbers,
    object_list,
    observation_time,
    pick_fields,
    require_range,
    tidy_concat,
    timestamps,
)

log = logging.getLogger(__name__)

API_URL = "https://api.geckoterminal.com/api/v2/"
ACCEPT = "application/json;version=20230302"  # the API version GeckoTerminal asks clients to pin
SOURCE_NAME = "geckoterminal"
CALLS_PER_MINUTE = 30  # the public API's limit
MIN_LIQUIDITY_USD = 10_000.0
CANDLES_PER_CALL = 1000  # the most /ohlcv returns at once
CANDLE = pd.Timedelta(hours=1)

POOL = "pool"
LIQUIDITY = "liquidity"
BASE_PRICE = "base_price"
QUOTE_PRICE = "quote_price"
BASE_TOKEN = "base_token"
QUOTE_TOKEN = "quote_token"
SIDE = "side"  # which side of the pool our token is: "base" or "quote"
CHANGE_24H = change_column("24h")

# Our column -> GeckoTerminal's field (JSON:API objects flattened with dots).
POOL_FIELDS = {
    POOL: "attributes.address",
    LIQUIDITY: "attributes.reserve_in_usd",
    BASE_PRICE: "attributes.base_token_price_usd",
    QUOTE_PRICE: "attributes.quote_token_price_usd",
    MARKET_CAP: "attributes.market_cap_usd",  # of the base token
    VOLUME: "attributes.volume_usd.h24",
    CHANGE_24H: "attributes.price_change_percentage.h24",  # of the base token, percent
    BASE_TOKEN: "relationships.base_token.data.id",
    QUOTE_TOKEN: "relationships.quote_token.data.id",
}
POOL_NUMBERS = (LIQUIDITY, BASE_PRICE, QUOTE_PRICE, MARKET_CAP, VOLUME, CHANGE_24H)
INCLUDED_FIELDS = {"id": "id", SYMBOL: "attributes.symbol"}
QUOTE_COLUMNS = [*MARKET_COLUMNS, CHANGE_24H]
OHLCV_COLUMNS = ("time", "open", "high", "low", "close", "volume_usd")  # each ohlcv_list row


class GeckoTerminal(QuoteSource):
    """Live DEX prices for the coins the sectors file gives a ``dex`` token for."""

    name = SOURCE_NAME
    label = "GeckoTerminal (live DEX data)"
    live = True
    history_chunk = pd.Timedelta(days=40)  # about 1000 hourly candles: one request a chunk
    history_step = CANDLE

    def __init__(
        self,
        tokens: Mapping[str, DexToken],
        http: HttpClient,
        base_url: str = API_URL,
        min_liquidity: float = MIN_LIQUIDITY_USD,
    ) -> None:
        self.tokens = dict(tokens)
        self.http = http
        self.base_url = base_url.rstrip("/") + "/"
        self.min_liquidity = min_liquidity
        self._not_found: set[str] = set()

    @classmethod
    def from_settings(
        cls,
        tokens: Mapping[str, DexToken],
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, Any] | None = None,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> GeckoTerminal:
        """Configured from the environment (else ``secrets``): base URL, minimum liquidity, timeout
        and retries; ``retry`` overrides the configured retry policy."""
        base_url = read_setting("GECKOTERMINAL_API_URL", environ, secrets) or API_URL
        floor = read_positive_number("GECKOTERMINAL_MIN_LIQUIDITY_USD", environ, secrets)
        session = open_session({"accept": ACCEPT})
        http = configured_client(
            "GeckoTerminal",
            session,
            CALLS_PER_MINUTE,
            environ,
            secrets,
            clock=clock,
            sleep=sleep,
            retry=retry,
        )
        return cls(tokens, http, base_url, floor or MIN_LIQUIDITY_USD)

    def history(self, coins: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Hourly rows in [start, end] from the candles of each coin's most liquid pool; volume
        is the pool's USD volume over the 24 h up to each candle's close."""
        require_range(start, end)
        frames = [self._coin_history(coin, start, end) for coin in self._dex_coins(coins)]
        return tidy_concat(frames, self.name)

    def pools(self, coin: str) -> pd.DataFrame:
        """The coin's pools (first page, up to 20) with our token's side, price and symbol."""
        token = self.tokens[coin]
        url = f"{self.base_url}networks/{token.network}/tokens/{token.address}/pools"
        payload = self.http.get_json(url, {"include": "base_token,quote_token", "page": 1})
        return pools_table(payload, token, f"GeckoTerminal pools of {coin}")

    def liquid_pools(self, coin: str) -> pd.DataFrame:
        """The coin's pools with at least ``min_liquidity`` USD, most liquid first."""
        pools = self.pools(coin)
        liquid = pools[pools[LIQUIDITY] >= self.min_liquidity]
        if liquid.empty:
            _note(f"no pool of {coin} holds ${self.min_liquidity:,.0f} or more; left out")
        return liquid.sort_values(LIQUIDITY, ascending=False, kind="stable")

    def _dex_coins(self, coins: Sequence[str]) -> list[str]:
        """The requested coins we know a DEX token for; the others are not ours to serve."""
        return [coin for coin in dict.fromkeys(coins) if coin in self.tokens]

    def _quotes(self, coins: Sequence[str], as_of: pd.Timestamp | None) -> pd.DataFrame:
        """One row per coin with a liquid pool, stamped ``as_of``, with the pool's 24h change."""
        as_of = observation_time(self.http.clock()) if as_of is None else as_of
        rows = [self._quote(coin, as_of) for coin in self._dex_coins(coins)]
        return pd.DataFrame([r for r in rows if r is not None], columns=QUOTE_COLUMNS)

    def _quote(self, coin: str, as_of: pd.Timestamp) -> dict[str, Any] | None:
        """The coin's row from its most liquid pool; volume summed over all its liquid pools."""
        liquid = self.liquid_pools(coin)
        if liquid.empty:
            return None
        top = liquid.iloc[0]
        return {
            TIMESTAMP: as_of,
            COIN_ID: coin,
            SYMBOL: top[SYMBOL],
            PRICE: top[PRICE],
            MARKET_CAP: top[MARKET_CAP],
            VOLUME: liquid[VOLUME].sum(min_count=1),
            CHANGE_24H: top[CHANGE_24H],
            SOURCE: self.name,
        }

    def _coin_history(
        self, coin: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame | None:
        """One coin's hourly rows from its most liquid pool; None when no pool is liquid, or
        (noted in ``history_not_found``) when GeckoTerminal does not know the token or pool."""
        try:
            liquid = self.liquid_pools(coin)
            if liquid.empty:
                return None
            top = liquid.iloc[0]
            first_close = start - pd.Timedelta(hours=24)  # a day more, for the first 24h volume
            network = self.tokens[coin].network
            candles = self._candles(network, top[POOL], top[SIDE], first_close, end)
        except NotFound as error:
            log.info("%s", error)
            self._not_found.add(coin)
            return None
        frame = hourly_rows(candles)
        frame = frame[(frame[TIMESTAMP] >= start) & (frame[TIMESTAMP] <= end)]
        return frame.assign(**{COIN_ID: coin, SYMBOL: top[SYMBOL], SOURCE: self.name})

    def _candles(
        self, network: str, pool: str, side: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """Hourly candles closing in [start, end], paged backwards 1000 at a time."""
        url = f"{self.base_url}networks/{network}/pools/{pool}/ohlcv/hour"
        query = {"aggregate": 1, "limit": CANDLES_PER_CALL, "currency": "usd", "token": side}
        before = math.floor((end - CANDLE).timestamp()) + 1  # candles opening at or before end - 1h
        pages = []
        while True:
            payload = self.http.get_json(url, {**query, "before_timestamp": before})
            page = ohlcv_frame(payload, f"GeckoTerminal candles of pool {pool}")
            pages.append(page)
            oldest = math.floor(page["time"].min().timestamp()) if not page.empty else before
            if (
                len(page) < CANDLES_PER_CALL
                or oldest >= before
                or oldest + CANDLE.total_seconds() <= start.timestamp()
            ):
                break
            before = oldest
        return pd.concat(pages, ignore_index=True)


def pools_table(payload: object, token: DexToken, where: str) -> pd.DataFrame:
    """A token-pools body as a frame: numbers parsed, our token's side, price and symbol."""
    if not isinstance(payload, dict):
        raise BadPayload(f"{where}: expected an object with data, got {type(payload).__name__}")
    rows = object_list(payload.get("data"), where)
    frame = pick_fields(rows, POOL_FIELDS)
    for column in POOL_NUMBERS:
        frame[column] = numbers(frame[column], f"{where} {POOL_FIELDS[column]}", frame[POOL])
    token_id = f"{token.network}_{token.address}".lower()  # GeckoTerminal's id of our token
    is_base = frame[BASE_TOKEN].astype("string").str.lower().eq(token_id).fillna(False)
    is_quote = frame[QUOTE_TOKEN].astype("string").str.lower().eq(token_id).fillna(False) & ~is_base
    frame[SIDE] = np.where(is_base, "base", "quote")
    frame[PRICE] = frame[BASE_PRICE].where(is_base, frame[QUOTE_PRICE])
    frame[MARKET_CAP] = frame[MARKET_CAP].where(is_base)
    frame[CHANGE_24H] = frame[CHANGE_24H].where(is_base) / 100.0
    frame[SYMBOL] = _symbols(payload.get("included")).get(token_id, "")
    return frame[is_base | is_quote].reset_index(drop=True)


def _symbols(included: object) -> dict[str, str]:
    """GeckoTerminal token id (lower case) -> symbol, from a body's ``included`` objects."""
    if not isinstance(included, list):
        return {}
    tokens = pick_fields([i for i in included if isinstance(i, dict)], INCLUDED_FIELDS)
    known = tokens.dropna()
    return dict(zip(known["id"].astype(str).str.lower(), known[SYMBOL].astype(str), strict=True))


def ohlcv_frame(payload: object, where: str) -> pd.DataFrame:
    """An /ohlcv body's candles (``[time s, open, high, low, close, volume USD]``) as a frame."""
    try:
        candles = payload["data"]["attributes"]["ohlcv_list"]  # type: ignore[index]
    except (KeyError, TypeError):
        raise BadPayload(f"{where}: no data.attributes.ohlcv_list in the reply") from None
    if not isinstance(candles, list) or not all(
        isinstance(c, list) and len(c) == len(OHLCV_COLUMNS) for c in candles
    ):
        raise BadPayload(f"{where}: candles must be [time, open, high, low, close, volume] rows")
    raw = pd.DataFrame(candles, columns=list(OHLCV_COLUMNS), dtype=object)
    frame = pd.DataFrame({c: numbers(raw[c], f"{where} {c}") for c in OHLCV_COLUMNS[1:]})
    frame.insert(0, "time", timestamps(raw["time"], f"{where} time", unit="s"))
    return frame


def hourly_rows(candles: pd.DataFrame) -> pd.DataFrame:
    """Candles as tidy rows at each candle's close: its close price, and the USD volume of the
    24 candles up to it (missing until a full day of candles is in hand)."""
    ordered = candles.drop_duplicates("time", keep="first").sort_values("time")
    closes = ordered["time"] + CANDLE
    traded = pd.Series(ordered["volume_usd"].to_numpy(), index=pd.DatetimeIndex(closes))
    day = traded.rolling(pd.Timedelta(hours=24)).sum().to_numpy()
    full_day = closes >= closes.min() + pd.Timedelta(hours=23)
    return pd.DataFrame(
        {
            TIMESTAMP: closes.to_numpy(),
            PRICE: ordered["close"].to_numpy(),
            MARKET_CAP: np.nan,
            VOLUME: np.where(full_day, day, np.nan),
        }
    )


def _note(message: str) -> None:
    """A diagnostic for the log; users hear of missing coins from the caller, by name."""
    log.info("%s", redact(f"GeckoTerminal: {message}"))
