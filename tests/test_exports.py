"""CSV files a spreadsheet opens safely and a script parses exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from aisector.apps.exports import csv_text, neutralise_formula, write_csv
from aisector.core.errors import ExportError


@pytest.mark.parametrize("cell", ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_looking_text_is_neutralised(cell):
    assert neutralise_formula(cell) == "'" + cell


def test_ordinary_text_is_left_alone():
    assert neutralise_formula("ai-agents") == "ai-agents"


def test_csv_has_iso_utc_timestamps_plain_decimals_and_safe_text():
    table = pd.DataFrame(
        {
            "timestamp": [pd.Timestamp("2025-01-22T00:00Z")],
            "symbol": ["=CMD|' /C calc'!A0"],
            "price": [0.0000171],
            "market_cap": [1.2e12],
            "change": [np.nan],
        }
    )
    lines = csv_text(table, "offline – simulated market").splitlines()
    assert lines[0] == "timestamp,symbol,price,market_cap,change,data_source"
    assert lines[1] == (
        "2025-01-22T00:00:00Z,'=CMD|' /C calc'!A0,0.0000171,1200000000000,,offline – simulated market"
    )


def test_write_csv_writes_table_and_provenance(tmp_path):
    out = tmp_path / "sub" / "tokens.csv"
    sidecar = write_csv(pd.DataFrame({"x": [1.5]}), out, {"source_label": "CSV file a.csv"})
    assert out.read_text(encoding="utf-8") == "x,data_source\n1.5,CSV file a.csv\n"
    assert sidecar == tmp_path / "sub" / "tokens.json"
    assert json.loads(sidecar.read_text())["source_label"] == "CSV file a.csv"
    assert not list(out.parent.glob(".*"))  # no temporary files left behind


def test_unwritable_destination_is_an_export_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ExportError, match="cannot write"):
        write_csv(pd.DataFrame({"x": [1]}), blocker / "out.csv", {"source_label": "x"})


def test_a_table_with_its_own_data_source_column_keeps_it_row_by_row():
    table = pd.DataFrame({"x": [1, 2], "data_source": ["DefiLlama", "Dune query 4123456"]})
    lines = csv_text(table, "several sources").splitlines()
    assert lines == ["x,data_source", "1,DefiLlama", "2,Dune query 4123456"]
