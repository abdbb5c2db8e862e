"""A DefiLlama- and Dune-shaped server on 127.0.0.1, scripted like ``tests/fault_server.py``.

Routes: ``fees`` and ``revenue`` (``/summary/fees/{slug}?dataType=dailyFees|dailyRevenue``),
``volume`` (``/summary/dexs/{slug}``), ``dune`` (``/api/v1/query/{id}/results``) and
``dune-page`` (``/api/v1/execution/{id}/results``, where ``next_uri`` points). The "coin" of a
request is the slug or the query id, so ``script("fees:virtuals-protocol", ...)`` breaks one.

Bodies are self-written in the shape of the recorded ones (``../shared/data/real/
api_response_samples``: DefiLlama's summary object with ``totalDataChart`` in seconds, Dune's
results object with ``result.rows`` and ``result.metadata.column_names``, paged by ``next_uri`` and
``next_offset``). ``SERVED`` and ``QUERIES`` hold the values, so tests compare exports with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from tests.fault_server import FaultServer

DUNE_KEY = "dune-test-secret-456"
EXECUTION = "01JH0000000000000000000000"
PAGE_ROWS = 4  # the server's own page size: a small query spans pages
ROUTES = (
    (re.compile(r"/summary/fees/(?P<key>[^/]+)$"), None),
    (re.compile(r"/summary/dexs/(?P<key>[^/]+)$"), "volume"),
    (re.compile(r"/api/v1/query/(?P<key>\d+)/results$"), "dune"),
    (re.compile(r"/api/v1/execution/(?P<key>[^/]+)/results$"), "dune-page"),
)
DATA_TYPES = {"dailyFees": "fees", "dailyRevenue": "revenue"}


def _day(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").timestamp())


def _points(first: str, values: list[float | None]) -> list[list[Any]]:
    start = _day(first)
    return [[start + 86_400 * i, value] for i, value in enumerate(values)]


# slug -> route -> totalDataChart; None is a day DefiLlama sends as null (missing, no row)
SERVED: dict[str, dict[str, list[list[Any]]]] = {
    "virtuals-protocol": {
        "fees": _points("2024-12-30", [801234.5, 1051000.25, 1203456.78, 1594093, 1148000.1]),
        "revenue": _points("2024-12-30", [801234.5, 1051000.25, None, 1594093, 1003210.9]),
        "volume": _points("2024-12-30", [80123450, 105100025, 120345678, 159409300, 114800010]),
    },
    "render-network-bme": {
        "fees": _points("2025-01-01", [21000.0, 0.0, 23456.5]),
        "revenue": _points("2025-01-01", [21000.0, 0.0, 23456.5]),
    },
}

# query id -> the saved query's latest result: its columns and rows (days as Dune writes them)
QUERIES: dict[int, dict[str, Any]] = {
    4123456: {
        "columns": ["day", "volume_usd", "revenue_usd", "project"],
        "rows": [
            {
                "day": f"2025-01-{d:02d} 00:00:00.000 UTC",
                "volume_usd": 1000.0 * d + 0.25,
                "revenue_usd": None if d == 4 else 10.0 * d + 0.5,
                "project": "virtuals",
            }
            for d in range(1, 11)
        ],
    },
}


def summary_body(slug: str, chart: list[list[Any]]) -> dict[str, Any]:
    """A /summary/fees or /summary/dexs object as DefiLlama sends it (metadata trimmed)."""
    values = [v for _, v in chart if v is not None]
    return {
        "id": slug,
        "name": slug.replace("-", " ").title(),
        "slug": slug,
        "chains": ["Base", "Solana"],
        "gecko_id": None,
        "latestFetchIsOk": True,
        "protocolType": "protocol",
        "total24h": values[-1] if values else None,
        "total7d": sum(values[-7:]),
        "totalAllTime": sum(values),
        "change_1d": None,
        "totalDataChart": chart,
        "totalDataChartBreakdown": [[t, {"base": {slug: v}}] for t, v in chart],
    }


def results_body(root: str, query: int, offset: int) -> dict[str, Any]:
    """One page of a query's latest results, with ``next_uri``/``next_offset`` unless last."""
    saved = QUERIES[query]
    rows = saved["rows"][offset : offset + PAGE_ROWS]
    body: dict[str, Any] = {
        "execution_id": EXECUTION,
        "query_id": query,
        "is_execution_finished": True,
        "state": "QUERY_STATE_COMPLETED",
        "submitted_at": "2025-01-11T00:00:01.5Z",
        "execution_ended_at": "2025-01-11T00:00:09.1Z",
        "result": {
            "rows": rows,
            "metadata": {
                "column_names": saved["columns"],
                "row_count": len(rows),
                "total_row_count": len(saved["rows"]),
            },
        },
    }
    following = offset + PAGE_ROWS
    if following < len(saved["rows"]):
        body["next_offset"] = following
        body["next_uri"] = (
            f"{root}/api/v1/execution/{EXECUTION}/results?limit={PAGE_ROWS}&offset={following}"
        )
    return body


class ActivityServer(FaultServer):
    """DefiLlama and Dune on one local port; ``root`` is the base URL of both."""

    def __init__(self, api_key: str | None = DUNE_KEY) -> None:
        super().__init__(api_key=api_key)
        self.root = self.url.removesuffix("/api/v3")

    def route(self, path: str, query: Mapping[str, str]) -> tuple[str, str | None]:
        for pattern, route in ROUTES:
            found = pattern.search(path)
            if found:
                name = route or DATA_TYPES.get(query.get("dataType", ""), "fees")
                return name, found["key"]
        return "unknown", None

    def _normal(self, route: str, coin: str | None, query: Mapping[str, str]) -> tuple[int, Any]:
        if route in ("fees", "revenue", "volume"):
            chart = SERVED.get(coin or "", {}).get(route)
            if chart is None:
                return 404, {"message": f"protocol {coin} not found"}  # self-written wording
            return 200, summary_body(coin or "", chart)
        if route in ("dune", "dune-page"):
            if not self.log[-1].authorized:
                return 401, {"error": "invalid API Key"}
            query_id = int(coin) if route == "dune" else next(iter(QUERIES))
            if query_id not in QUERIES:
                return 404, {"error": "Query not found"}
            return 200, results_body(self.root, query_id, int(query.get("offset", 0)))
        return 404, {"message": "unknown path"}
