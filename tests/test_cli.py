"""The command line through its runner: golden CSVs, provenance, the offline story, clean failures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from aisector.apps.cli import main
from tests.test_offline_market import FINAL_DAY_MOVES

DATA = Path(__file__).parent / "data"
MINI = ["--source", f"csv:{DATA / 'mini_market.csv'}", "--sectors", str(DATA / "mini_sectors.toml")]


def export(tmp_path: Path, what: str, *options: str) -> tuple[int, Path]:
    out = tmp_path / f"{what}.csv"
    return main(["export", what, "--out", str(out), *options]), out


def assert_matches_golden(produced: Path, golden: Path) -> None:
    got = pd.read_csv(produced, dtype=str, keep_default_na=False)
    want = pd.read_csv(golden, dtype=str, keep_default_na=False)
    assert list(got.columns[: len(want.columns)]) == list(want.columns)
    for column in want.columns:
        numbers = pd.to_numeric(want[column], errors="coerce")
        if numbers.notna().all():
            assert pd.to_numeric(got[column]).tolist() == pytest.approx(numbers.tolist(), rel=1e-12)
        else:
            assert got[column].tolist() == want[column].tolist(), column


def test_sectors_export_matches_hand_computed_golden(tmp_path, capsys):
    code, out = export(tmp_path, "sectors", *MINI)
    assert code == 0
    assert_matches_golden(out, DATA / "golden_sectors_24h.csv")
    assert "no data for 1 coin(s): ghost" in capsys.readouterr().err


def test_tokens_export_matches_golden_and_neutralises_formulas(tmp_path):
    code, out = export(tmp_path, "tokens", *MINI)
    assert code == 0
    assert_matches_golden(out, DATA / "golden_tokens_24h.csv")
    assert "'=GAMMA" in out.read_text()


def test_provenance_sits_beside_every_export(tmp_path):
    code, out = export(tmp_path, "index", *MINI, "--max-weight", "0.6")
    assert code == 0
    provenance = json.loads(out.with_suffix(".json").read_text())
    assert provenance["table"] == "index"
    assert provenance["source"] == "csv"
    assert provenance["as_of"] == "2025-01-22T00:00:00Z"
    assert provenance["max_weight"] == 0.6
    assert any("ghost" in w for w in provenance["warnings"])
    index = pd.read_csv(out)
    assert set(index["method"]) == {
        "cap_weighted",
        "capped_cap_weighted",
        "equal_weighted",
        "volume_weighted",
    }
    first = index[index["timestamp"] == "2025-01-21T00:00:00Z"]
    assert (first["level"] == 100).all()
    last = index[
        (index["timestamp"] == "2025-01-22T00:00:00Z") & (index["method"] == "cap_weighted")
    ]
    assert last.set_index("sector").loc["ai", "level"] == pytest.approx(110.0)


def test_rotation_export_has_shares_per_timestamp(tmp_path):
    code, out = export(tmp_path, "rotation", *MINI)
    assert code == 0
    rotation = pd.read_csv(out)
    assert list(rotation.columns[:6]) == [
        "timestamp",
        "sector",
        "volume_share",
        "market_cap_share",
        "rs_ratio",
        "rs_momentum",
    ]
    assert rotation.groupby("timestamp")["volume_share"].sum().tolist() == pytest.approx([1.0] * 3)


def test_rotation_export_on_volume_share_fills_rs_and_names_its_basis(tmp_path):
    code, out = export(tmp_path, "rotation", "--source", "offline", "--basis", "volume-share")
    assert code == 0
    volume = pd.read_csv(out)
    assert volume[["rs_ratio", "rs_momentum"]].notna().all().all()
    assert set(volume["rs_basis"]) == {"volume-share"}
    # hourly steps: the RS line is the volume share, in percent
    assert volume["relative_strength"].tolist() == pytest.approx(
        (100 * volume["volume_share"]).tolist()
    )
    assert json.loads(out.with_suffix(".json").read_text())["rs_basis"] == "volume-share"
    code, out = export(tmp_path / "price", "rotation", "--source", "offline")
    price = pd.read_csv(out)
    assert set(price["rs_basis"]) == {"price"}
    assert json.loads(out.with_suffix(".json").read_text())["rs_basis"] == "price"
    assert price["volume_share"].tolist() == volume["volume_share"].tolist()
    assert (price["rs_ratio"] - volume["rs_ratio"]).abs().max() > 0.1


def test_an_unknown_basis_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        export(tmp_path, "rotation", "--source", "offline", "--basis", "volume")
    assert stopped.value.code == 2
    assert "invalid choice: 'volume'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message", "code"),
    [
        (
            ["--source", "nope"],
            "unknown source 'nope'; known sources: auto, coingecko, csv, offline, store",
            2,
        ),
        (["--source", "csv"], "needs a path: --source csv:PATH", 2),
        (["--source", "csv:/no/such.csv"], "does not exist", 2),
        (["--source", "offline", "--window", "soon"], "window 'soon' is not a length", 2),
        (["--source", "offline", "--sectors", "/no/such.toml"], "cannot read sectors file", 2),
        (["--source", "offline", "--basis", "price"], "--basis applies to the rotation export", 2),
    ],
)
def test_bad_options_fail_with_one_clear_line(tmp_path, capsys, options, message, code):
    assert export(tmp_path, "tokens", *options)[0] == code
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("aisector: error: ")
    assert message in err


def test_malformed_csv_source_names_the_problem(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,coin_id,symbol,price,market_cap,volume\n2025-01-01,x,X,cheap,1,1\n")
    assert export(tmp_path, "tokens", "--source", f"csv:{bad}")[0] == 1
    assert "column price holds 'cheap', which is not a number" in capsys.readouterr().err


# --- the offline market's story, exactly as the export shows it ------------------------------


@pytest.fixture(scope="module")
def offline_exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("offline")
    tokens, sectors = folder / "tokens.csv", folder / "sectors.csv"
    for what, out in (("tokens", tokens), ("sectors", sectors)):
        assert (
            main(["export", what, "--source", "offline", "--window", "24h", "--out", str(out)]) == 0
        )
    return (
        pd.read_csv(tokens).set_index("coin_id"),
        pd.read_csv(sectors).set_index("sector"),
        folder,
    )


@pytest.mark.parametrize(("coin", "move"), FINAL_DAY_MOVES)
def test_offline_final_day_moves_are_the_reported_figures(offline_exports, coin, move):
    tokens, _, _ = offline_exports
    assert tokens.loc[coin, "change"] == pytest.approx(move, abs=5e-9)
    assert tokens.loc[coin, "as_of"] == "2025-01-22T00:00:00Z"


def test_offline_ai_agent_sector_cap_change_is_the_reported_figure(offline_exports):
    _, sectors, _ = offline_exports
    assert sectors.loc["ai-agents", "market_cap_change"] == pytest.approx(0.1047, abs=5e-9)
    assert sectors.loc["ai-agents", "counted"] == sectors.loc["ai-agents", "members"]


def test_offline_exports_are_labelled_as_simulated(offline_exports):
    _, _, folder = offline_exports
    provenance = json.loads((folder / "tokens.json").read_text())
    assert provenance["source_label"] == "offline – simulated market"
    assert provenance["data"] == "offline"
    tokens, sectors, _ = offline_exports
    assert (
        set(tokens["data_source"]) == set(sectors["data_source"]) == {"offline – simulated market"}
    )


def test_an_api_key_in_an_error_is_masked(tmp_path, capsys, monkeypatch):
    key = "CG-abcdefgh12345678"
    monkeypatch.setenv("COINGECKO_DEMO_API_KEY", key)
    assert export(tmp_path, "tokens", "--source", f"csv:{tmp_path / key / 'x.csv'}")[0] == 2
    err = capsys.readouterr().err
    assert key not in err
    assert "***" in err
