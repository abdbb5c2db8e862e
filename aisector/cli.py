"""The ``aisector`` command line: start the dashboard and export the tables as CSV.

Every failure ends in one line on stderr and a non-zero exit; keys never appear in it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import pandas as pd

from aisector import __version__
from aisector.errors import AisectorError, ConfigError
from aisector.exports import export_provenance, write_csv
from aisector.market_data import load_market
from aisector.sectors import load_sectors
from aisector.settings import SETTINGS, redact
from aisector.views import build_views
from analytics.windows import window_length

EXIT_USAGE = 2
EXIT_FAILURE = 1

EXPORTS = ("tokens", "sectors", "index", "rotation")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aisector`` console script."""
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        return options.run(options)
    except AisectorError as error:
        return _fail(str(error), EXIT_USAGE if isinstance(error, ConfigError) else EXIT_FAILURE)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aisector",
        description="Sector rotation for crypto AI tokens: dashboard and CSV exports.",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aisector {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dashboard = commands.add_parser("dashboard", help="start the web dashboard")
    _common_options(dashboard)
    dashboard.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    dashboard.set_defaults(run=run_dashboard)
    export = commands.add_parser("export", help="write a table as CSV (+ provenance .json)")
    export.add_argument("what", choices=EXPORTS, help="which table")
    export.add_argument("--out", required=True, type=Path, help="CSV file to write")
    export.add_argument(
        "--window", default="24h", help="look-back window: 24h, 7d, 30d (default 24h)"
    )
    export.add_argument("--as-of", type=_timestamp, help="end of the window (default: newest data)")
    export.add_argument(
        "--max-weight",
        type=_fraction,
        help="cap per member for a capped cap-weighted index, e.g. 0.25",
    )
    _common_options(export)
    export.set_defaults(run=run_export)
    return parser


def _common_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--source",
        default="auto",
        help="auto (default; in this version: the offline market), offline, or csv:PATH",
    )
    command.add_argument(
        "--sectors", type=Path, help="sectors TOML file (default: the shipped one)"
    )


def run_export(options: argparse.Namespace) -> int:
    window_length(options.window)
    book = load_sectors(options.sectors)
    data = load_market(options.source, book)
    views = build_views(data, book, options.window, options.as_of, options.max_weight)
    table = views.table(options.what)
    details = {
        "window": options.window,
        "sectors_file": book.origin,
        "max_weight": options.max_weight,
    }
    write_csv(table, options.out, export_provenance(data, options.what, **details))
    for warning in data.warnings:
        print(f"aisector: warning: {redact(warning)}", file=sys.stderr)
    print(
        f"wrote {options.out} ({len(table)} rows, {data.label}, as of {views.as_of:%Y-%m-%d %H:%M} UTC)"
    )
    return 0


def run_dashboard(options: argparse.Namespace) -> int:
    load_sectors(options.sectors)  # a broken sectors file fails here, not in the browser
    app = resources.files("dashboard") / "app.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(options.port),
    ]
    command += ["--", "--source", options.source]
    if options.sectors:
        command += ["--sectors", str(options.sectors.resolve())]
    return subprocess.call(command, env=os.environ.copy())


def _settings_help() -> str:
    lines = ["environment:"]
    lines += [f"  {s.env:<24} {s.help}" for s in SETTINGS]
    return "\n".join(lines)


def _timestamp(text: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-22T00:00Z") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1, e.g. 0.25")
    return value


def _fail(message: str, code: int) -> int:
    print(f"aisector: error: {redact(message)}", file=sys.stderr)
    return code
