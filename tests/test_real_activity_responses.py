"""The DefiLlama and Dune connectors against bodies the real APIs produced (recorded in
../shared/data/real/api_response_samples, see its PROVENANCE.md), served through ``responses``.
Skipped, saying so, when ../shared is absent locally; a failure in CI, where it must be."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import responses

from aisector.core.errors import NotFound, SourceError, SourceUnavailable, Unauthorized
from aisector.core.sectors import DuneQuery, TrackedProtocol
from connectors.defillama import DEFAULT_URL as LLAMA
from connectors.defillama import DefiLlama
from connectors.dune import DEFAULT_URL as DUNE
from connectors.dune import Dune, result_page
from connectors.http import RetryPolicy
from tests.test_real_responses import load

pytestmark = pytest.mark.real_data

ONCE = RetryPolicy(attempts=1)
KEY = "dune-real-test-key-789"
DOCS = "dune_api_docs_results_examples_2024-2025.json"


def dune_error(samples: Path, status: int) -> dict:
    entries = load(samples, "dune_api_error_bodies_observed.json")["entries"]
    return next(e["body"] for e in entries if e["status"] == status)


def protocol(slug: str | None = None, dune: DuneQuery | None = None) -> TrackedProtocol:
    return TrackedProtocol("p", "P", "s", ("c",), slug, dune)


def dune_source() -> Dune:
    return Dune.from_settings({"DUNE_API_KEY": KEY}, retry=ONCE)


@responses.activate
def test_defillama_reads_the_recorded_fees_summary_by_utc_day(samples):
    body = load(samples, "defillama_openapi_examples_fees_derivatives_options_2025-07.json")
    fees = body[
        "free:GET https://api.llama.fi/summary/fees/{protocol} (example protocol=hyperliquid)"
    ]
    url = f"{LLAMA}/summary/fees/hyperliquid"
    responses.get(
        url, json=fees, match=[responses.matchers.query_param_matcher({"dataType": "dailyFees"})]
    )
    revenue = responses.matchers.query_param_matcher({"dataType": "dailyRevenue"})
    responses.get(url, status=404, json={"message": "not found"}, match=[revenue])
    responses.get(f"{LLAMA}/summary/dexs/hyperliquid", status=404, json={})
    source = DefiLlama.from_settings({}, retry=ONCE)
    frame = source.protocol_activity([protocol("hyperliquid")])
    assert frame["date"].tolist() == [pd.Timestamp("2024-12-23", tz="UTC")]
    assert frame["metric"].tolist() == ["fees"]  # no revenue, no volume: left out
    assert frame["value"].tolist() == [1472923.0]
    assert frame["data_source"].tolist() == ["defillama"]


@responses.activate
def test_dune_pages_the_recorded_results_and_keeps_the_configured_columns(samples):
    docs = load(samples, DOCS)
    first, empty = (
        docs["api-reference/executions/pagination.mdx#1"],
        docs["api-reference/executions/pagination.mdx#0"],
    )
    responses.get(f"{DUNE}/api/v1/query/3426636/results", json=first)
    responses.get(
        first["next_uri"].split("?")[0], json=empty
    )  # the recorded next_uri, on api.dune.com
    config = DuneQuery(3426636, "block_date", {"volume": "amount_usd"})
    frame = dune_source().protocol_activity([protocol(dune=config)])
    got = dict(zip(frame["date"].dt.strftime("%Y-%m-%d"), frame["value"], strict=True))
    rows = first["result"]["rows"]
    assert got == {
        r["block_date"][:10]: r["amount_usd"] for r in rows if r["amount_usd"] is not None
    }
    assert len(responses.calls) == 2
    assert all(call.request.headers["x-dune-api-key"] == KEY for call in responses.calls)


def test_a_recorded_query_still_executing_is_one_line(samples):
    executing = load(samples, DOCS)["api-reference/overview/getting-started.mdx#0"]
    with pytest.raises(SourceUnavailable, match="Dune query 7 is still executing"):
        result_page(executing, 7)


def test_a_recorded_failed_execution_says_why(samples):
    entries = load(samples, "dune_api_error_bodies_observed.json")["entries"]
    failed = next(e["body_fragment"] for e in entries if "body_fragment" in e)
    with pytest.raises(SourceError, match=r"latest execution failed .*Binary literal can only"):
        result_page(failed, 7)


@responses.activate
@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (
            401,
            Unauthorized,
            "API key is missing, wrong or not valid for this plan (HTTP 401: invalid API Key)",
        ),
        (
            402,
            SourceError,
            "credits or limits are used up (HTTP 402: This api request would exceed",
        ),
        (404, NotFound, "not found (HTTP 404: Query not found)"),
    ],
)
def test_recorded_dune_error_bodies_become_our_errors(samples, status, kind, words):
    responses.get(f"{DUNE}/api/v1/query/5/results", status=status, json=dune_error(samples, status))
    with pytest.raises(kind) as caught:
        dune_source().query_results(5)
    assert "Dune /api/v1/query/5/results: " in str(caught.value) and words in str(caught.value)
    assert KEY not in str(caught.value)
