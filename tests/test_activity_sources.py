"""Live protocol activity: DefiLlama and Dune through ``aisector export fundamentals`` and
``aisector collect``, against a DefiLlama- and Dune-shaped server on 127.0.0.1
(``tests/activity_server.py``), its faults, and the history store that keeps what was collected.

Every CLI failure is one stderr line and an exit code, never the Dune key. ``docs/faults.md``
("When DefiLlama or Dune breaks") lists the same scenarios.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from aisector.apps.collector import collect_activity
from aisector.apps.keeper import Keeper
from aisector.core.errors import BadPayload
from aisector.core.sectors import load_sectors
from aisector.store import open_store
from connectors.offline import OfflineMarket
from connectors.payload import timestamps
from tests.activity_server import DUNE_KEY, QUERIES, SERVED, ActivityServer, results_body
from tests.cli_runs import run_cli
from tests.fault_server import Reply, error, hang

DOC = Path(__file__).resolve().parents[1] / "docs" / "faults.md"
ACTIVITY_HEADING = "## When DefiLlama or Dune breaks"
FAULTS = [  # the scenarios of test_upstream_faults_end_in_one_line, in docs/faults.md's order
    "defillama-429-then-ok",
    "defillama-500",
    "defillama-503-html",
    "defillama-hang",
    "defillama-truncated-json",
    "defillama-junk-number",
    "defillama-no-chart",
    "dune-executing",
    "dune-failed-execution",
    "dune-401",
    "dune-402",
    "dune-429",
    "dune-page-500",
]

SECTORS = """
[sectors.ai-agents]
label = "AI agents"
coins = ["virtual-protocol", "ai16z"]

[sectors.ai-infrastructure]
label = "AI infrastructure"
coins = ["render-token"]

[benchmark]
coins = ["bitcoin"]

[protocols.virtuals-protocol]
label = "Virtuals Protocol"
sector = "ai-agents"
coins = ["virtual-protocol"]
defillama = "virtuals-protocol"
{dune}

[protocols.render-network]
label = "Render Network"
sector = "ai-infrastructure"
coins = ["render-token"]
defillama = "render-network-bme"

[protocols.ai16z-launchpad]
label = "ai16z launchpad"
sector = "ai-agents"
coins = ["ai16z"]
"""
DUNE = 'dune = { query = 4123456, date = "day", volume = "volume_usd", revenue = "revenue_usd" }'
SETTINGS = {
    "AISECTOR_HTTP_TIMEOUT": "2",
    "AISECTOR_HTTP_ATTEMPTS": "3",
    "AISECTOR_HTTP_BACKOFF": "0.05",
}
SLUGS = {"virtuals-protocol": "virtuals-protocol", "render-network": "render-network-bme"}
LABEL = "DefiLlama (live)"


@pytest.fixture(scope="module")
def server():
    with ActivityServer() as running:
        yield running


@pytest.fixture
def upstream(server, monkeypatch):
    """The server, cleared, with both base URLs and the Dune key pointing at it."""
    server.clear()
    monkeypatch.setenv("DEFILLAMA_API_URL", server.root)
    monkeypatch.setenv("DUNE_API_URL", server.root)
    monkeypatch.setenv("DUNE_API_KEY", DUNE_KEY)
    for name, value in SETTINGS.items():
        monkeypatch.setenv(name, value)
    return server


def sectors_file(tmp_path: Path, dune: str = "") -> Path:
    path = tmp_path / "sectors.toml"
    path.write_text(SECTORS.replace("{dune}", dune), encoding="utf-8")
    return path


def export(tmp_path: Path, source: str, dune: str = "", *more: str):
    out = tmp_path / "fundamentals.csv"
    sectors = sectors_file(tmp_path, dune)
    argv = [
        "export",
        "fundamentals",
        "--out",
        str(out),
        "--source",
        source,
        "--sectors",
        str(sectors),
    ]
    done = run_cli([*argv, "--store", f"sqlite:///{tmp_path / 'store.sqlite'}", *more])
    assert DUNE_KEY not in done.out + done.err
    return done, out


def served_rows() -> pd.DataFrame:
    """What the server's DefiLlama sends, as (date, protocol, metric) -> value; null days absent."""
    rows = [
        (pd.Timestamp(seconds, unit="s", tz="UTC"), protocol, metric, value)
        for protocol, slug in SLUGS.items()
        for metric, chart in SERVED[slug].items()
        for seconds, value in chart
        if value is not None
    ]
    frame = pd.DataFrame(rows, columns=["date", "protocol", "metric", "value"])
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return frame.set_index(["date", "protocol", "metric"])["value"].sort_index()


def exported(out: Path) -> pd.DataFrame:
    return pd.read_csv(out, dtype={"value": str})


def values(table: pd.DataFrame) -> pd.Series:
    series = table.set_index(["date", "protocol", "metric"])["value"].astype(float)
    return series.sort_index()


def test_defillama_export_returns_the_served_daily_values_exactly_by_date(upstream, tmp_path):
    done, out = export(tmp_path, "defillama")
    assert done.code == 0, done.err
    table = exported(out)
    pd.testing.assert_series_equal(values(table), served_rows().astype(float), check_names=False)
    assert set(table["data_source"]) == {LABEL}
    revenue = table[(table["protocol"] == "virtuals-protocol") & (table["metric"] == "revenue")]
    assert "2025-01-01T00:00:00Z" not in set(revenue["date"])  # a null day is missing, not 0
    zero = table[
        (table["protocol"] == "render-network") & (table["date"] == "2025-01-02T00:00:00Z")
    ]
    assert set(zero["value"]) == {"0"}  # a day without fees is a fact, kept as 0
    assert "warning: no activity for 1 protocol(s): ai16z-launchpad" in done.err
    provenance = json.loads(out.with_suffix(".json").read_text())
    assert provenance["source"] == "defillama" and provenance["data"] == "live"
    # Render has no trading volume: /summary/dexs answers 404, which is not a failure
    assert upstream.count("volume", "render-network-bme") == 1


def test_a_live_export_leaves_out_the_utc_day_still_running(upstream, tmp_path):
    today = pd.Timestamp.now(tz="UTC").floor("D")
    chart = [[int((today - pd.Timedelta(days=d)).timestamp()), 100.0 + d] for d in (1, 0)]
    upstream.script("fees:virtuals-protocol", Reply(body=json.dumps({"totalDataChart": chart})))
    done, out = export(tmp_path, "defillama")
    assert done.code == 0, done.err
    table = exported(out)
    fees = table[(table["protocol"] == "virtuals-protocol") & (table["metric"] == "fees")]
    assert fees["date"].tolist() == [f"{today - pd.Timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"]
    assert fees["value"].tolist() == ["101"]


def test_an_unknown_slug_is_a_warning_naming_the_protocol(upstream, tmp_path):
    upstream.script("fees:render-network-bme", Reply(status=404))
    upstream.script("revenue:render-network-bme", Reply(status=404))
    done, out = export(tmp_path, "defillama")
    assert done.code == 0
    assert "no activity for 2 protocol(s): render-network, ai16z-launchpad" in done.err
    assert "DefiLlama /summary/fees/render-network-bme: not found (HTTP 404" in done.err
    assert "(protocol render-network)" in done.err
    assert set(exported(out)["protocol"]) == {"virtuals-protocol"}


def test_dune_export_reads_every_page_of_the_configured_columns(upstream, tmp_path):
    done, out = export(tmp_path, "dune", DUNE)
    assert done.code == 0, done.err
    table = exported(out)
    rows = QUERIES[4123456]["rows"]
    expected = {
        (f"{r['day'][:10]}T00:00:00Z", metric): r[column]
        for r in rows
        for metric, column in (("volume", "volume_usd"), ("revenue", "revenue_usd"))
        if r[column] is not None
    }
    got = {
        (d, m): float(v) for d, m, v in table[["date", "metric", "value"]].itertuples(index=False)
    }
    assert got == expected
    assert set(table["protocol"]) == {"virtuals-protocol"}
    assert upstream.count("dune") == 1 and upstream.count("dune-page") == 2  # 10 rows, 4 a page
    assert all(r.headers.get("x-dune-api-key") == "***" for r in upstream.log)  # sent, masked


def test_live_prefers_the_configured_dune_column_and_fills_the_rest_from_defillama(
    upstream, tmp_path
):
    done, out = export(tmp_path, "live", DUNE)
    assert done.code == 0, done.err
    table = exported(out)
    sources = table.groupby(["protocol", "metric"])["data_source"].agg(set).to_dict()
    assert sources[("virtuals-protocol", "revenue")] == {"Dune (live)"}
    assert sources[("virtuals-protocol", "volume")] == {"Dune (live)"}
    assert sources[("virtuals-protocol", "fees")] == {LABEL}
    assert sources[("render-network", "fees")] == {LABEL}


@pytest.mark.parametrize(
    ("source", "route", "replies", "code", "line"),
    [
        ("defillama", "fees", [error(429, "", "1")], 0, None),
        (
            "defillama",
            "fees",
            [error(500)] * 3,
            1,
            "DefiLlama /summary/fees/virtuals-protocol: server error (HTTP 500) after 3 attempts",
        ),
        (
            "defillama",
            "revenue",
            [error(503, "<html>down</html>")] * 3,
            1,
            "DefiLlama /summary/fees/virtuals-protocol: server error (HTTP 503, an HTML error page) after 3 attempts",
        ),
        (
            "defillama",
            "fees",
            [hang(3)] * 3,
            1,
            "DefiLlama /summary/fees/virtuals-protocol did not answer in time after 3 attempts",
        ),
        (
            "defillama",
            "volume",
            [Reply(truncate=True)],
            1,
            "DefiLlama /summary/dexs/virtuals-protocol sent a reply that is not valid JSON (cut short after",
        ),
        (
            "defillama",
            "fees",
            [Reply(body='{"totalDataChart": [[1735689600, "n/a"]]}')],
            1,
            "DefiLlama /summary/fees/virtuals-protocol (dailyFees) totalDataChart value holds 'n/a', which is not a number",
        ),
        (
            "defillama",
            "fees",
            [Reply(body='{"message": "internal"}')],
            1,
            "DefiLlama /summary/fees/virtuals-protocol (dailyFees): expected an object with a totalDataChart list",
        ),
        (
            "dune",
            "dune",
            [Reply(body=json.dumps({"execution_id": "01K9", "state": "QUERY_STATE_EXECUTING"}))],
            1,
            "Dune query 4123456 is still executing (QUERY_STATE_EXECUTING) and has no finished result yet",
        ),
        (
            "dune",
            "dune",
            [
                Reply(
                    body=json.dumps(
                        {
                            "state": "QUERY_STATE_FAILED",
                            "error": {
                                "type": "FAILED_TYPE_EXECUTION_FAILED",
                                "message": "line 24:13: Binary literal can only contain hexadecimal digits",
                            },
                        }
                    )
                )
            ],
            1,
            "Dune query 4123456: its latest execution failed (FAILED_TYPE_EXECUTION_FAILED line 24:13: Binary literal",
        ),
        (
            "dune",
            "dune",
            [error(401, '{"error":"invalid API Key"}')],
            1,
            "Dune /api/v1/query/4123456/results: the API key is missing, wrong or not valid for this plan (HTTP 401: invalid API Key)",
        ),
        (
            "dune",
            "dune",
            [
                error(
                    402,
                    '{"error":"This api request would exceed your configured limits per billing cycle."}',
                )
            ],
            1,
            "Dune /api/v1/query/4123456/results: the plan's credits or limits are used up (HTTP 402: This api request would exceed",
        ),
        (
            "dune",
            "dune",
            [error(429)] * 3,
            1,
            "Dune /api/v1/query/4123456/results: rate limit reached (HTTP 429) after 3 attempts",
        ),
        (
            "dune",
            "dune-page",
            [error(500)] * 3,
            1,
            "Dune /api/v1/execution/01JH0000000000000000000000/results: server error (HTTP 500) after 3 attempts",
        ),
    ],
    ids=FAULTS,
)
def test_upstream_faults_end_in_one_line(
    upstream, tmp_path, monkeypatch, source, route, replies, code, line
):
    if "hang" in str(replies):
        monkeypatch.setenv("AISECTOR_HTTP_TIMEOUT", "0.5")
    upstream.script(route, *replies)
    done, out = export(tmp_path, source, DUNE)
    assert done.code == code, done.err
    if line is None:
        assert out.is_file() and done.err.count("\n") <= 1
        return
    assert done.err.startswith(f"aisector: error: {line}"), done.err
    assert done.err.count("\n") == 1 and "Traceback" not in done.err
    assert not out.exists()


def test_a_dune_key_repeated_in_an_error_body_is_masked(upstream, tmp_path):
    upstream.script("dune", error(401, json.dumps({"error": f"invalid API Key {DUNE_KEY}"})))
    done, _ = export(tmp_path, "dune", DUNE)  # export() asserts the key appears nowhere
    assert done.code == 1 and "invalid API Key ***" in done.err


def test_a_result_column_the_config_names_but_the_query_lacks_is_one_line(upstream, tmp_path):
    wrong = DUNE.replace("revenue_usd", "revenue")
    done, _ = export(tmp_path, "dune", wrong)
    assert done.code == 2
    assert done.err == (
        "aisector: error: protocols.virtuals-protocol.dune: query 4123456's results have no "
        "column 'revenue' (their columns: day, volume_usd, revenue_usd, project)\n"
    )


def test_dune_without_a_key_says_so(upstream, tmp_path, monkeypatch):
    monkeypatch.delenv("DUNE_API_KEY")
    done, _ = export(tmp_path, "dune", DUNE)
    assert done.code == 1
    assert done.err == "aisector: error: DUNE_API_KEY is not set, so Dune queries cannot be read\n"
    assert upstream.count("dune") == 0


def warnings_of(err: str) -> list[str]:
    """The warning lines of a CLI run's stderr; every line of it is the tool's own."""
    lines = err.splitlines()
    assert all(line.startswith("aisector: ") for line in lines), err
    return [line.removeprefix("aisector: warning: ") for line in lines if "warning:" in line]


def test_a_query_dune_does_not_find_is_a_warning_naming_the_protocol(upstream, tmp_path):
    done, out = export(tmp_path, "live", DUNE.replace("4123456", "999999"))
    assert done.code == 0
    assert set(exported(out)["data_source"]) == {LABEL}  # DefiLlama serves what Dune could not
    assert upstream.count("dune") == 1
    said = (
        "Dune /api/v1/query/999999/results: not found (HTTP 404: Query not found) "
        "(protocol virtuals-protocol)"
    )
    assert [w for w in warnings_of(done.err) if said in w], done.err


def test_a_query_one_protocol_lacks_leaves_the_others_served_and_names_the_place(
    upstream, tmp_path
):
    both = SECTORS.replace(
        'defillama = "render-network-bme"',
        'defillama = "render-network-bme"\n'
        'dune = { query = 4123456, date = "day", volume = "volume_usd" }',
    )
    wrong = DUNE.replace("revenue_usd", "revenue")
    (tmp_path / "sectors.toml").write_text(both.replace("{dune}", wrong), encoding="utf-8")
    out = tmp_path / "dune.csv"
    argv = ["export", "fundamentals", "--source", "dune", "--out", str(out)]
    done = run_cli([*argv, "--sectors", str(tmp_path / "sectors.toml")])
    assert done.code == 0, done.err
    assert set(exported(out)["protocol"]) == {"render-network"}  # Dune's volume of the good one
    place = "protocols.virtuals-protocol.dune: query 4123456's results have no column 'revenue'"
    assert [w for w in warnings_of(done.err) if place in w], done.err


def test_a_dune_column_the_query_lacks_leaves_defillama_serving_live(upstream, tmp_path):
    done, out = export(tmp_path, "live", DUNE.replace("revenue_usd", "revenue"))
    assert done.code == 0, done.err
    assert set(exported(out)["data_source"]) == {LABEL}
    place = "protocols.virtuals-protocol.dune: query 4123456's results have no column 'revenue'"
    assert [w for w in warnings_of(done.err) if place in w], done.err


def test_a_dune_day_that_is_no_date_is_one_warning_line(upstream, tmp_path):
    body = copy.deepcopy(results_body(upstream.root, 4123456, 0))  # its rows are QUERIES'
    body["result"]["rows"][0]["day"] = "yesterday"
    body.pop("next_uri"), body.pop("next_offset")
    upstream.script("dune", Reply(body=json.dumps(body)))
    done, out = export(tmp_path, "live", DUNE)
    assert done.code == 0, done.err
    assert set(exported(out)["data_source"]) == {LABEL}
    assert [
        w
        for w in warnings_of(done.err)
        if w.endswith(
            "protocols.virtuals-protocol.dune: query 4123456 column 'day' holds a value that is "
            "not a date (Time data yesterday is not ISO8601 format.)"
        )
    ], done.err


def test_a_date_pandas_cannot_read_is_one_line_without_its_advice():
    with pytest.raises(BadPayload) as caught:
        timestamps(pd.Series(["yesterday"], dtype=object), "CoinGecko last_updated")
    assert str(caught.value) == (
        "CoinGecko last_updated holds a value that is not a date "
        "(Time data yesterday is not ISO8601 format.)"
    )


def test_a_next_page_on_another_host_is_a_bad_payload_not_a_short_result(upstream, tmp_path):
    body = results_body(upstream.root, 4123456, 0)
    body.pop("next_offset")
    body["next_uri"] = "https://elsewhere.example/api/v1/execution/01JH/results?offset=4"
    upstream.script("dune", Reply(body=json.dumps(body)))
    done, out = export(tmp_path, "dune", DUNE)
    assert done.code == 1
    assert done.err.startswith(
        "aisector: error: Dune query 4123456: the next page is at another host "
        "(elsewhere.example), where the key must not go, and no next_offset says where else"
    ), done.err
    assert not out.exists()


def test_every_slug_defillama_does_not_know_is_named_when_live_serves_nothing(upstream, tmp_path):
    for slug in SLUGS.values():
        upstream.script(f"fees:{slug}", Reply(status=404))
        upstream.script(f"revenue:{slug}", Reply(status=404))
    upstream.script("volume:virtuals-protocol", Reply(status=404))
    done, _ = export(tmp_path, "live")
    assert done.code == 1
    assert "(protocol virtuals-protocol)" in done.err and "(protocol render-network)" in done.err
    assert "no protocol names" not in done.err


def test_a_defillama_pro_key_in_the_base_url_path_is_never_printed(upstream, tmp_path, monkeypatch):
    key = "llama-pro-key-0123456789abcdef"
    monkeypatch.setenv("DEFILLAMA_API_URL", f"{upstream.root}/{key}/api")
    done, out = export(tmp_path, "defillama")
    assert done.code == 0, done.err  # served under the Pro prefix
    assert values(exported(out)).equals(served_rows().astype(float))
    upstream.script("fees", *[error(500)] * 3)
    done, _ = export(tmp_path, "defillama")
    assert done.code == 1
    assert key not in done.err + done.out
    assert "/summary/fees/virtuals-protocol: server error (HTTP 500)" in done.err


def test_auto_falls_back_from_dead_live_sources_to_the_store_then_offline(tmp_path):
    done, out = export(tmp_path, "auto")  # the conftest points live sources at a closed port
    assert done.code == 0
    assert (
        "warning: live unavailable: DefiLlama /summary/fees/virtuals-protocol cannot be reached"
        in done.err
    )
    assert "warning: store unavailable: no history store at" in done.err
    assert set(exported(out)["data_source"]) == {"offline – simulated activity"}


def test_collect_stores_live_activity_and_the_store_serves_it_back(upstream, tmp_path):
    book = load_sectors(sectors_file(tmp_path, DUNE))
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite'}") as store:
        keeper = Keeper(store, OfflineMarket(), book, "test", pd.Timedelta(days=1), activity="live")
        done = keeper.round()
        again = keeper.round()  # within the hour: activity is not asked again
    assert done.activity is not None and done.activity.rows_added > 0
    assert "collected activity of 2 protocols from Dune (live) + DefiLlama (live)" in done.line()
    assert again.activity is None and again.activity_failure is None
    assert upstream.count("dune") == 1
    _, out = export(tmp_path, "live", DUNE)
    live = values(exported(out))
    stored, out = export(tmp_path, "store", DUNE)
    assert stored.code == 0, stored.err
    pd.testing.assert_series_equal(values(exported(out)), live)


def test_the_store_reads_back_after_a_round_without_dune(upstream, tmp_path):
    """A round that Dune's 402 left to DefiLlama stores its revenue and volume; the next round
    stores Dune's too. Both sources hold those days; the store serves Dune's, as live does."""
    upstream.script("dune", error(402, '{"error":"credits used up"}'))
    book = load_sectors(sectors_file(tmp_path, DUNE))
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite'}") as store:
        for _ in range(2):
            collected = collect_activity(store, "live", book)
            assert collected.rows_added > 0
        assert store.activity_sources() == ("defillama", "dune")
    _, out = export(tmp_path, "live", DUNE)
    live = exported(out)
    stored, out = export(tmp_path, "store", DUNE)
    assert stored.code == 0, stored.err
    pd.testing.assert_series_equal(values(exported(out)), values(live))
    sources = exported(out).groupby(["protocol", "metric"])["data_source"].agg(set).to_dict()
    assert sources[("virtuals-protocol", "revenue")] == {"Dune (live), from the history store"}
    assert sources[("virtuals-protocol", "fees")] == {f"{LABEL}, from the history store"}


def test_a_fundamentals_failure_never_fails_the_price_collection(upstream, tmp_path):
    upstream.script("fees", *[error(500)] * 3)
    book = load_sectors(sectors_file(tmp_path))
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite'}") as store:
        keeper = Keeper(store, OfflineMarket(), book, "test", pd.Timedelta(days=1), activity="live")
        done = keeper.round()
        assert store.activity_sources() == ()
    assert done.done is not None and done.done.rows_added > 0  # the prices landed
    assert done.activity is None
    assert done.warnings() == [
        "protocol activity not collected: DefiLlama /summary/fees/virtuals-protocol: "
        "server error (HTTP 500)"  # a collector's first question is a quick one, not retried
    ]


def test_collect_offline_stores_the_simulated_activity_for_store_exports(tmp_path):
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    done = run_cli(["collect", "--source", "offline", "--backfill", "1", "--store", store])
    assert done.code == 0, done.err
    assert (
        "collected activity of 4 protocols from offline – simulated activity: 490 rows added"
        in done.out
    )
    offline = tmp_path / "offline.csv"
    stored = tmp_path / "stored.csv"
    assert (
        run_cli(["export", "fundamentals", "--source", "offline", "--out", str(offline)]).code == 0
    )
    read = run_cli(
        ["export", "fundamentals", "--source", "store", "--store", store, "--out", str(stored)]
    )
    assert read.code == 0, read.err
    pd.testing.assert_series_equal(values(exported(stored)), values(exported(offline)))
    assert set(exported(stored)["data_source"]) == {
        "offline – simulated activity, from the history store"
    }


def test_the_doc_lists_exactly_these_scenarios():
    section = DOC.read_text(encoding="utf-8").split(ACTIVITY_HEADING)[1]
    assert re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE) == FAULTS
