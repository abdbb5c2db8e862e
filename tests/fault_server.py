"""A CoinGecko-shaped HTTP server on 127.0.0.1 whose answers follow a script, for fault tests.

It serves ``/ping``, ``/coins/list``, ``/coins/markets``, ``/coins/{id}/market_chart/range`` and
``/coins/categories`` (the routes ``ping``, ``list``, ``markets``, ``chart`` and ``categories``)
from ``tests/fixtures``: quotes are stamped with the time of the request, history is an hourly
series over the asked range (``chart_point``), and ``/coins/markets?category=`` answers the
category's rows of ``coingecko_category_markets.json``, largest market cap first, one page. Pointed at by ``GECKOTERMINAL_API_URL`` too, it answers GeckoTerminal's
``/networks/{n}/tokens/{t}/pools`` (route ``pools``, the fixture's pools whatever the token) and
``/networks/{n}/pools/{p}/ohlcv/hour`` (route ``ohlcv``, hourly candles before the asked time).

Each route has a script, the ``Reply`` its next requests get, in order; once it is used up, the
route answers normally. A script under ``route:coin`` (``chart:pippin``) is for that coin's
requests only and comes first. Every request is logged, API-key headers masked, so tests count
requests.

With ``per_minute``, it enforces a plan's budget as CoinGecko does: a request beyond that many in
the last 60 s gets a 429 with ``Retry-After`` (``rejected`` counts them), whatever its route.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from tests.live_fakes import fixture, fixture_text

KEY_HEADERS = ("x-cg-demo-api-key", "x-cg-pro-api-key", "x-dune-api-key")
CHART_PATH = re.compile(r"/coins/(?P<coin>[^/]+)/market_chart/range$")
DEX_PATHS = {
    "pools": re.compile(r"/networks/[^/]+/tokens/(?P<coin>[^/]+)/pools$"),
    "ohlcv": re.compile(r"/networks/[^/]+/pools/(?P<coin>[^/]+)/ohlcv/hour$"),
}
DEX_PRICE = 0.0123  # the fixture's most liquid pool's price, around which candles drift
ROUTES = {
    "/ping": "ping",
    "/coins/list": "list",
    "/coins/markets": "markets",
    "/coins/categories": "categories",
}
HOUR_MS = 3_600_000
PAST_THE_HOUR_MS = 7_000  # CoinGecko's hourly points fall a few seconds past the hour
Payload = Any  # decoded JSON


@dataclass(frozen=True)
class Reply:
    """What one request gets; ``Reply()`` is the normal answer."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None  # sent instead of the normal body
    edit: Callable[[Payload], Payload] | None = None  # applied to the normal payload
    delay: float = 0.0  # seconds of silence before answering: a hang past the client's timeout
    reset: bool = False  # drop the connection with a TCP reset instead of answering
    truncate: bool = False  # send only the first half of the body (Content-Length to match)


OK = Reply()


def error(status: int, body: str = "", retry_after: str | None = None) -> Reply:
    """An error status with ``body`` (HTML when it starts with ``<``) and maybe ``Retry-After``."""
    kind = "text/html" if body.lstrip().startswith("<") else "application/json"
    headers = {"Content-Type": kind}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return Reply(status, headers, body)


def rate_limited(retry_after: str | None = None) -> Reply:
    """CoinGecko's own 429 body, with or without ``Retry-After``."""
    return error(429, fixture_text("coingecko_429.json"), retry_after)


def cloudflare_429() -> Reply:
    """The HTML page Cloudflare sends when it rate-limits before CoinGecko sees the request."""
    return error(429, fixture_text("cloudflare_429.html"))


def hang(seconds: float) -> Reply:
    return Reply(delay=seconds)


def edited(change: Callable[[Payload], Payload]) -> Reply:
    return Reply(edit=change)


def numbers_as_strings(payload: Payload) -> Payload:
    """Every JSON number turned into its text, as some upstream versions send them."""
    if isinstance(payload, list):
        return [numbers_as_strings(item) for item in payload]
    if isinstance(payload, dict):
        return {key: numbers_as_strings(value) for key, value in payload.items()}
    if isinstance(payload, int | float) and not isinstance(payload, bool):
        return repr(payload)
    return payload


def nulls(fields_by_coin: Mapping[str, Iterable[str]]) -> Callable[[Payload], Payload]:
    """A /coins/markets edit setting the named fields of the named coins to null."""

    def change(rows: Payload) -> Payload:
        return [{**row, **dict.fromkeys(fields_by_coin.get(row["id"], ()), None)} for row in rows]

    return change


def without(coin: str) -> Callable[[Payload], Payload]:
    """A /coins/markets edit leaving ``coin`` out, as when a listing disappears."""
    return lambda rows: [row for row in rows if row["id"] != coin]


def chart_gap(hours: int) -> Callable[[Payload], Payload]:
    """A market_chart edit leaving ``hours`` points out of the middle of every series."""

    def change(body: Payload) -> Payload:
        return {f: p[: len(p) // 2] + p[len(p) // 2 + hours :] for f, p in body.items()}

    return change


def chart_repeats(body: Payload) -> Payload:
    """A market_chart edit sending every point twice: first a wrong value, then the right one."""
    return {f: [q for t, v in p for q in ([t, v * 2], [t, v])] for f, p in body.items()}


def chart_shuffled(body: Payload) -> Payload:
    """A market_chart edit sending each series in its own order: prices newest first, caps from
    the middle round, volumes as they are."""
    prices, caps, volumes = body["prices"], body["market_caps"], body["total_volumes"]
    half = len(caps) // 2
    return {
        "prices": prices[::-1],
        "market_caps": caps[half:] + caps[:half],
        "total_volumes": volumes,
    }


def market_rows() -> list[dict]:
    """The /coins/markets fixture rows."""
    return fixture("coingecko_markets.json")


def category_page(category: str, per_page: int) -> list[dict]:
    """What ``/coins/markets?category=...&order=market_cap_desc`` sends: the category's rows,
    largest market cap first (0, CoinGecko's "unknown", last), one page; none for an unknown id."""
    rows = fixture("coingecko_category_markets.json").get(category, [])
    return sorted(rows, key=lambda row: -(row["market_cap"] or 0))[:per_page]


def chart_point(price: float, ms: int) -> tuple[float, float, float]:
    """The (price, market cap, volume) served for one hour: a slow drift, easy to recompute."""
    hour = ms // HOUR_MS
    level = price * (1.0 + (hour % 48) / 1000.0)
    return level, level * 1e9, level * 1e7


@dataclass(frozen=True)
class Request:
    """One logged request: its route, path, query and headers (API keys masked)."""

    route: str
    coin: str | None  # the coin (or DEX token, pool) in the path, if any
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    authorized: bool  # whether it carried the server's expected key in a key header


class FaultServer:
    """The scripted upstream; ``url`` is its ``/api/v3`` base, ``log`` what it was asked."""

    def __init__(
        self,
        rows: list[dict] | None = None,
        api_key: str | None = None,
        per_minute: int | None = None,
    ) -> None:
        self.rows = rows  # fixed /coins/markets rows; None: the fixture, stamped when asked
        self.api_key = api_key
        self.per_minute = per_minute  # the budget enforced, as (monotonic) request times
        self.answered: deque[float] = deque()
        self.rejected = 0
        self.scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/api/v3"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()  # releases every hanging reply
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def script(self, route: str, *replies: Reply) -> None:
        """Queue ``replies`` for the next requests of ``route``."""
        with self._lock:
            self.scripts[route].extend(replies)

    def clear(self) -> None:
        """Forget scripts and log (between tests sharing one server)."""
        with self._lock:
            self.scripts.clear()
            self.log.clear()

    def count(self, route: str, coin: str | None = None) -> int:
        """How many requests ``route`` received (for ``coin`` only, when given)."""
        return sum(1 for r in self.log if r.route == route and coin in (None, r.coin))

    def _next(self, request: Request) -> Reply:
        with self._lock:
            self.log.append(request)
            over = self._over_budget()
            if over is not None:
                self.rejected += 1
                return rate_limited(str(over))
            for key in (f"{request.route}:{request.coin}", request.route):
                if self.scripts.get(key):
                    return self.scripts[key].popleft()
            return OK

    def _over_budget(self) -> int | None:
        """Seconds until a request fits the budget, or None when this one does (and is counted)."""
        if self.per_minute is None:
            return None
        now = time.monotonic()
        while self.answered and self.answered[0] <= now - 60.0:
            self.answered.popleft()
        if len(self.answered) >= self.per_minute:
            return max(1, int(self.answered[0] + 60.0 - now + 1))
        self.answered.append(now)
        return None

    def _normal(
        self, route: str, coin: str | None, query: Mapping[str, str]
    ) -> tuple[int, Payload]:
        """The status and payload a healthy CoinGecko would send."""
        if route == "ping":
            return 200, {"gecko_says": "(V3) To the Moon!"}
        rows = {row["id"]: row for row in self._market_rows()}
        if route == "list":
            if self.rows is None:
                return 200, fixture("coingecko_coins_list.json")
            return 200, [
                {"id": c, "symbol": r["symbol"], "name": r["name"]} for c, r in rows.items()
            ]
        if route == "markets" and "category" in query:
            return 200, category_page(query["category"], int(query.get("per_page", 100)))
        if route == "markets":
            ids = query.get("ids")
            return 200, [row for c, row in rows.items() if ids is None or c in ids.split(",")]
        if route == "chart" and coin in rows:
            return 200, _chart(rows[coin]["current_price"], query["from"], query["to"])
        if route == "categories":
            return 200, fixture("coingecko_categories.json")
        if route == "pools":
            return 200, fixture("geckoterminal_token_pools.json")
        if route == "ohlcv":
            return 200, _candles(int(query["before_timestamp"]), int(query["limit"]))
        return 404, {"error": "coin not found" if route == "chart" else "Incorrect path"}

    def route(self, path: str, _query: Mapping[str, str]) -> tuple[str, str | None]:
        """(route, coin) of a request; servers shaped like other upstreams override it."""
        return _route(path)

    def _market_rows(self) -> list[dict]:
        if self.rows is not None:
            return self.rows
        now = pd.Timestamp.now(tz="UTC").isoformat().replace("+00:00", "Z")
        return [{**row, "last_updated": now} for row in market_rows()]

    def _authorized(self, headers: Mapping[str, str]) -> bool:
        return self.api_key is not None and any(headers.get(h) == self.api_key for h in KEY_HEADERS)


def _chart(price: float, start: str, end: str) -> dict[str, list]:
    """An hourly /market_chart/range body for [start, end] (epoch seconds, as CoinGecko takes)."""
    first = (
        -(-(int(float(start)) * 1000 - PAST_THE_HOUR_MS) // HOUR_MS) * HOUR_MS + PAST_THE_HOUR_MS
    )
    stamps = range(first, int(float(end)) * 1000 + 1, HOUR_MS)
    points = [(ms, *chart_point(price, ms)) for ms in stamps]
    return {
        "prices": [[ms, p] for ms, p, _, _ in points],
        "market_caps": [[ms, c] for ms, _, c, _ in points],
        "total_volumes": [[ms, v] for ms, _, _, v in points],
    }


def _candles(before: int, limit: int) -> dict[str, Any]:
    """A GeckoTerminal /ohlcv/hour body: ``limit`` hourly candles opening before ``before``
    (epoch seconds), newest first, closes following ``chart_point``."""
    newest = (before - 1) // 3600 * 3600
    opens = range(newest, newest - limit * 3600, -3600)
    rows = []
    for at in opens:
        close = chart_point(DEX_PRICE, (at + 3600) * 1000)[0]
        rows.append([at, close, close, close, close, 1000.0])
    return {"data": {"id": "candles", "attributes": {"ohlcv_list": rows}}}


def _route(path: str) -> tuple[str, str | None]:
    """(route, coin) of a request path under any base, e.g. ``/api/v3/coins/markets``; for the
    DEX routes, the token or pool address."""
    chart = CHART_PATH.search(path)
    if chart:
        return "chart", chart["coin"]
    for route, pattern in DEX_PATHS.items():
        found = pattern.search(path)
        if found:
            return route, found["coin"]
    return next((r for suffix, r in ROUTES.items() if path.endswith(suffix)), "unknown"), None


def _handler(server: FaultServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            route, coin = server.route(parts.path, query)
            headers = {k.lower(): v for k, v in self.headers.items()}
            masked = {k: "***" if k in KEY_HEADERS else v for k, v in headers.items()}
            log = Request(route, coin, parts.path, query, masked, server._authorized(headers))
            reply = server._next(log)
            if reply.delay:
                server._stopping.wait(reply.delay)  # set when the server stops
            if reply.reset:
                self._reset()
                return
            try:
                self._send(reply, *server._normal(route, coin, query))
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                self.close_connection = True

        def _send(self, reply: Reply, status: int, payload: Payload) -> None:
            if reply.body is not None:
                status, text = reply.status, reply.body
            else:
                status = status if reply.status == 200 else reply.status
                text = json.dumps(reply.edit(payload) if reply.edit else payload)
            body = text.encode()
            if reply.truncate:
                body = body[: len(body) // 2]
            self.send_response(status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _reset(self) -> None:
            """Close the socket with SO_LINGER 0: the client sees a connection reset."""
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

        def log_message(self, *_args: object) -> None:  # keep the test output clean
            pass

    return Handler
