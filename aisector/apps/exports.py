"""CSV exports that spreadsheets and scripts can trust, each with a provenance ``.json`` beside it.

UTF-8, one header row, ISO 8601 UTC timestamps, plain decimals (never ``1e-05``), and text cells
(headers too: the correlation table's are sector names) that a spreadsheet would run as a formula
neutralised with a leading apostrophe.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from aisector import __version__
from aisector.core.errors import ExportError
from aisector.core.schema import DATA_SOURCE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def neutralise_formula(text: str) -> str:
    """Prefix a cell a spreadsheet would evaluate, so it shows as text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_ready(table: pd.DataFrame) -> pd.DataFrame:
    """Every column as the text it will have in the file."""
    return pd.DataFrame({name: _cells(table[name]) for name in table.columns})


class Described(Protocol):
    """Loaded data that says where it came from: ``MarketData``, ``FundamentalsData``."""

    source: str
    label: str
    live: bool
    warnings: tuple[str, ...]
    history_since: pd.Timestamp | None

    @property
    def as_of(self) -> pd.Timestamp: ...


def csv_text(table: pd.DataFrame, source_label: str) -> str:
    """The table as CSV text, each row labelled with its data source, so that a simulated
    market never passes for a live one once the file travels without its provenance. A table
    whose rows come from several sources brings its own ``data_source`` column."""
    if DATA_SOURCE not in table.columns:
        table = table.assign(**{DATA_SOURCE: source_label})
    cells = csv_ready(table)
    header = tuple(neutralise_formula(str(name)) for name in cells.columns)
    rows = [header, *cells.itertuples(index=False, name=None)]
    return "".join(",".join(_field(cell) for cell in row) + "\n" for row in rows)


def _field(cell: str) -> str:
    """RFC 4180 quoting; unlike pandas' writer (with ``\\n`` line ends) it quotes a lone ``\\r``,
    which would otherwise split the row in a spreadsheet."""
    return '"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell


def write_csv(table: pd.DataFrame, path: str | Path, provenance: Mapping[str, Any]) -> Path:
    """Write ``path`` and ``path.json`` atomically; return the provenance file's path."""
    path = Path(path)
    sidecar = (
        path.with_name(path.name + ".json") if path.suffix != ".csv" else path.with_suffix(".json")
    )
    _atomic_write(path, csv_text(table, provenance["source_label"]))
    _atomic_write(sidecar, json.dumps(dict(provenance), indent=2, default=str) + "\n")
    return sidecar


def export_provenance(data: Described, table: str, **details: Any) -> dict[str, Any]:
    """What a reader of an export must know: source, live or offline, as-of time, method."""
    return {
        "table": table,
        "source": data.source,
        "source_label": data.label,
        "data": "live" if data.live else "offline" if data.source == "offline" else "file",
        "as_of": data.as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_at": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "warnings": list(data.warnings),
        "history_since": (
            None if data.history_since is None else f"{data.history_since:%Y-%m-%dT%H:%M:%SZ}"
        ),
        "aisector_version": __version__,
        **details,
    }


def _cells(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(column):
        stamps = pd.to_datetime(column, utc=True)
        return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("")
    if pd.api.types.is_bool_dtype(column):
        return column.map({True: "true", False: "false"}).fillna("")
    if pd.api.types.is_numeric_dtype(column):
        return pd.Series(
            [_plain_number(v) for v in column.to_numpy(dtype=float)], index=column.index
        )
    return column.astype("string").fillna("").map(neutralise_formula).astype(object)


def _plain_number(value: float) -> str:
    if not np.isfinite(value):
        return ""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return np.format_float_positional(value, unique=True, trim="-")


def _atomic_write(path: Path, text: str) -> None:
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
