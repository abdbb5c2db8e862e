"""``aisector export fundamentals`` through the runner: the offline story's figures exactly, the
columns and provenance, the change column, and clean failures.

The published figures the offline story is calibrated to (``../shared/data/real/
published_figures_ai_meme_2024-12_2025-02.csv``, F15-F17: DefiLlama as quoted by two public notes):
Virtuals' peak daily fees $1,594,093 on 2025-01-02, and monthly fees $14.68M (Dec 2024),
$16,585,887 (Jan 2025) and $2.18M (Feb 2025).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from aisector.apps import cli
from aisector.apps.cli import main

PEAK_DAY = "2025-01-02T00:00:00Z"
PEAK_FEES = 1_594_093
DECEMBER_FEES = 14_680_000
JANUARY_FEES = 16_585_887
FEBRUARY_FEES = 2_180_000
LABEL = "offline – simulated activity"
AGENTS = ("virtuals-protocol", "ai16z-launchpad", "arc-rig")


def export(tmp_path: Path, *options: str) -> tuple[int, Path]:
    out = tmp_path / "fundamentals.csv"
    return main(["export", "fundamentals", "--out", str(out), *options]), out


@pytest.fixture(scope="module")
def offline(tmp_path_factory) -> tuple[pd.DataFrame, Path]:
    folder = tmp_path_factory.mktemp("fundamentals")
    code, out = export(folder, "--source", "offline", "--window", "7d")
    assert code == 0
    return pd.read_csv(out, dtype={"value": str}), out


def metric(table: pd.DataFrame, protocol: str, name: str) -> pd.Series:
    """One protocol's metric by date, as numbers."""
    rows = table[(table["protocol"] == protocol) & (table["metric"] == name)]
    return pd.to_numeric(rows.set_index("date")["value"])


def test_the_export_has_the_contract_columns_then_sector_and_change(offline):
    table, _ = offline
    assert list(table.columns) == [
        "date",
        "protocol",
        "metric",
        "value",
        "data_source",
        "sector",
        "change",
    ]
    assert table["date"].min() == "2024-12-01T00:00:00Z"
    assert table["date"].max() == "2025-01-21T00:00:00Z"
    assert not table.duplicated(["date", "protocol", "metric"]).any()


@pytest.mark.parametrize("name", ["volume", "fees", "revenue"])
def test_virtuals_volume_fees_and_revenue_all_peak_on_2_january(offline, name):
    table, _ = offline
    assert metric(table, "virtuals-protocol", name).idxmax() == PEAK_DAY


def test_virtuals_peak_fees_are_the_published_figure_exactly(offline):
    table, _ = offline
    peak = table[(table["protocol"] == "virtuals-protocol") & (table["date"] == PEAK_DAY)]
    assert peak.set_index("metric").loc["fees", "value"] == "1594093"  # to the dollar, as written


def test_virtuals_monthly_fees_are_the_published_months(offline):
    table, _ = offline
    fees = metric(table, "virtuals-protocol", "fees")
    december = fees[fees.index.str.startswith("2024-12")]
    january = fees[fees.index.str.startswith("2025-01")]
    assert len(december) == 31 and len(january) == 21  # the market stops at 22 Jan 00:00
    assert december.sum() == pytest.approx(DECEMBER_FEES, abs=1)
    # 1-21 January plus ten days at February's average rate make the published January
    assert january.sum() + 10 * FEBRUARY_FEES / 28 == pytest.approx(JANUARY_FEES, abs=1)


def test_by_21_january_virtuals_revenue_is_over_99_percent_below_its_peak(offline):
    table, _ = offline
    revenue = metric(table, "virtuals-protocol", "revenue")
    assert revenue["2025-01-21T00:00:00Z"] / revenue.max() - 1 <= -0.99
    assert revenue.max() == PEAK_FEES  # the notes read the peak as fees and as revenue


def test_the_agent_drain_of_17_to_20_january_takes_fees_down_day_after_day(offline):
    table, _ = offline
    agents = table[table["protocol"].isin(AGENTS) & (table["metric"] == "fees")]
    daily = pd.to_numeric(agents["value"]).groupby(agents["date"]).sum()
    drain = daily.loc["2025-01-16T00:00:00Z":"2025-01-20T00:00:00Z"]
    assert drain.is_monotonic_decreasing and drain.iloc[-1] < 0.1 * drain.iloc[0]


def test_every_protocol_ticks_up_with_the_21_january_rebound(offline):
    table, _ = offline
    last_two = table[table["date"].isin(["2025-01-20T00:00:00Z", "2025-01-21T00:00:00Z"])]
    wide = last_two.assign(value=pd.to_numeric(last_two["value"])).pivot(
        index=["protocol", "metric"], columns="date", values="value"
    )
    assert len(wide) == 10  # 4 protocols' fees and revenue, 2 with volume
    assert (wide["2025-01-21T00:00:00Z"] > wide["2025-01-20T00:00:00Z"]).all()


def test_missing_history_and_metrics_are_absent_rows(offline):
    table, _ = offline
    arc = table[table["protocol"] == "arc-rig"]
    assert arc["date"].min() == "2024-12-16T00:00:00Z"  # tracked from mid-December
    assert set(table.loc[table["protocol"].isin(["arc-rig", "render-network"]), "metric"]) == {
        "fees",
        "revenue",
    }
    first_change = arc[arc["metric"] == "fees"]["change"]
    assert first_change.iloc[:13].isna().all()  # 14 days of history before a 7d change exists
    assert first_change.iloc[13:].notna().all()


def test_the_change_is_the_last_7_days_against_the_7_before(offline):
    table, _ = offline
    fees = metric(table, "virtuals-protocol", "fees")
    want = fees.iloc[-7:].sum() / fees.iloc[-14:-7].sum() - 1
    row = table[(table["protocol"] == "virtuals-protocol") & (table["metric"] == "fees")]
    assert row["change"].iloc[-1] == pytest.approx(want, rel=1e-12)
    assert row["change"].iloc[-1] < -0.5  # the drain week against the week before: less than half


def test_the_export_is_labelled_simulated_with_provenance_beside_it(offline):
    table, out = offline
    assert set(table["data_source"]) == {LABEL}
    assert set(table["sector"]) == {"ai-agents", "ai-infrastructure"}
    provenance = json.loads(out.with_suffix(".json").read_text())
    assert provenance["table"] == "fundamentals"
    assert (provenance["source"], provenance["data"], provenance["source_label"]) == (
        "offline",
        "offline",
        LABEL,
    )
    assert provenance["as_of"] == "2025-01-22T00:00:00Z"  # the end of the last whole day
    assert provenance["window"] == "7d"
    assert provenance["protocols"] == [*AGENTS, "render-network"]


def test_it_needs_no_market_data(tmp_path, monkeypatch, capsys):
    def no_market(*_args, **_kwargs):
        raise AssertionError("export fundamentals asked for market data")

    monkeypatch.setattr(cli, "load_market", no_market)
    code, out = export(tmp_path)  # auto: the offline simulation, for now
    assert code == 0
    assert "offline – simulated activity" in capsys.readouterr().out
    assert out.exists()


def test_as_of_keeps_the_days_over_by_then(tmp_path):
    code, out = export(tmp_path, "--source", "offline", "--as-of", "2025-01-03T00:00Z")
    assert code == 0
    table = pd.read_csv(out)
    assert table["date"].max() == PEAK_DAY
    assert json.loads(out.with_suffix(".json").read_text())["as_of"] == "2025-01-03T00:00:00Z"


def test_a_protocol_the_source_does_not_know_is_named_in_a_warning(tmp_path, capsys):
    sectors = tmp_path / "mine.toml"
    sectors.write_text(
        """
[sectors.agents]
coins = ["virtual-protocol", "uniswap"]
[protocols.virtuals-protocol]
sector = "agents"
coins = ["virtual-protocol"]
[protocols.uniswap]
sector = "agents"
coins = ["uniswap"]
"""
    )
    code, out = export(tmp_path, "--source", "offline", "--sectors", str(sectors))
    assert code == 0
    assert "aisector: warning: no activity for 1 protocol(s): uniswap" in capsys.readouterr().err
    assert set(pd.read_csv(out)["protocol"]) == {"virtuals-protocol"}
    assert json.loads(out.with_suffix(".json").read_text())["warnings"] == [
        "no activity for 1 protocol(s): uniswap"
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--window", "12h"], "window '12h' is not a whole number of days"),
        (
            ["--source", "coingecko"],
            "unknown source 'coingecko' for protocol activity; known: auto, defillama, dune, live, offline, store",
        ),
        (["--max-weight", "0.25"], "--max-weight applies to the index exports, not fundamentals"),
        (["--shares-of", "all"], "--shares-of applies to the market exports, not fundamentals"),
        (["--basis", "price"], "--basis applies to the rotation export only, not fundamentals"),
        (["--as-of", "2024-12-01T12:00Z"], "before the first whole day of protocol activity"),
    ],
)
def test_bad_options_fail_with_one_clear_line(tmp_path, capsys, options, message):
    assert export(tmp_path, *options)[0] == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("aisector: error: ")
    assert message in err


def test_a_sectors_file_without_protocols_says_so(tmp_path, capsys):
    sectors = tmp_path / "plain.toml"
    sectors.write_text('[sectors.agents]\ncoins = ["virtual-protocol"]\n')
    assert export(tmp_path, "--sectors", str(sectors))[0] == 2
    assert "plain.toml has no [protocols.<id>] tables" in capsys.readouterr().err
