"""The ``aisector`` command line: start the dashboard, export the tables as CSV, collect history.

Every failure ends in one line on stderr and a non-zero exit; keys never appear in it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import NoReturn

import pandas as pd

from aisector import __version__
from aisector.analytics.fundamentals import FundamentalsData, days_through, fundamentals_table
from aisector.analytics.market import MarketData
from aisector.analytics.rotation import BASES, PRICE_BASIS
from aisector.analytics.shares import ALL_SECTORS, SHARE_UNIVERSES
from aisector.analytics.views import build_views
from aisector.apps.alert_rules import load_rules
from aisector.apps.alerts import RoundAlerts, check_and_notify, round_alerts, stored_alert_lines
from aisector.apps.collector import DEFAULT_BACKFILL_DAYS, activity_to_collect, collect_spec
from aisector.apps.exports import export_provenance, write_csv
from aisector.apps.keeper import Keeper, Stopped, holder_name
from aisector.apps.notify import NOTIFY_ENV, Delivery, notify_urls
from aisector.apps.progress import Progress
from aisector.apps.report import DEFAULT_WINDOWS, announce_report, write_report
from aisector.apps.suggest import DEFAULT_TOP, MAX_TOP, category_lines, suggest_sector
from aisector.core.errors import AisectorError, ConfigError, SourceError, StoreError
from aisector.core.events import chart_events
from aisector.core.periods import window_days, window_length
from aisector.core.schema import DATA_SOURCE
from aisector.core.sectors import SectorBook, load_sectors
from aisector.core.settings import SETTINGS, redact, remember_secret, url_secrets
from aisector.present import theme
from aisector.sources.fundamentals import (
    activity_candidates,
    load_first_fundamentals,
    load_fundamentals,
)
from aisector.sources.market_data import AUTO, load_market
from aisector.sources.registry import open_source
from aisector.store import HistoryStore, open_store
from aisector.store.lease import COLLECTOR
from aisector.store.location import STORE_ENV, database_url
from connectors.base import MarketSource
from connectors.coingecko import CoinGecko
from connectors.compose import with_dex_fallback

EXIT_USAGE = 2
EXIT_FAILURE = 1

FUNDAMENTALS = "fundamentals"
EXPORTS = ("tokens", "sectors", "index", "rotation", FUNDAMENTALS)
SOURCE_HELP = (
    "auto (default: CoinGecko if it answers, else the history store if it holds data, else the "
    "offline market), coingecko, store, offline, or csv:PATH"
)
EXPORT_SOURCE_HELP = (
    f"{SOURCE_HELP}; for {FUNDAMENTALS}: auto (default: DefiLlama and Dune if they answer, else "
    "the history store, else the offline simulation), defillama, dune, live (the two), store or "
    "offline"
)
COLLECT_SOURCE_HELP = "auto (default: CoinGecko), coingecko, offline, or csv:PATH"
MAX_BACKFILL_DAYS = 36_500  # a century; more overflows the timestamps
STREAMLIT_CONFIG = "streamlit_config.toml"  # in the dashboard package; .streamlit/ links to it


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage mistakes are one line on stderr, like every other failure."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {redact(message)} (see {self.prog} --help)\n")


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
    parser = OneLineParser(
        prog="aisector",
        description="Sector rotation for crypto AI tokens: dashboard and CSV exports.",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aisector {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    dashboard = commands.add_parser("dashboard", help="start the web dashboard")
    _common_options(dashboard)
    _events_option(dashboard)
    dashboard.add_argument(
        "--port", type=_port, default=8501, help="port to serve on (default 8501)"
    )
    dashboard.add_argument(
        "--no-collect",
        action="store_true",
        help="read-only: never fetch history into the store (on live data the dashboard "
        "otherwise keeps the store filled, unless another collector holds its lease)",
    )
    dashboard.set_defaults(run=run_dashboard)
    export = commands.add_parser("export", help="write a table as CSV (+ provenance .json)")
    export.add_argument("what", choices=EXPORTS, help="which table")
    export.add_argument("--out", required=True, type=Path, help="CSV file to write")
    export.add_argument(
        "--window",
        default="24h",
        help="look-back window: 24h, 7d, 30d (default 24h); whole days for fundamentals",
    )
    export.add_argument("--as-of", type=_timestamp, help="end of the window (default: newest data)")
    export.add_argument(
        "--max-weight",
        type=_fraction,
        help="cap per member for a capped cap-weighted index, e.g. 0.25",
    )
    export.add_argument(
        "--basis",
        choices=BASES,
        help="rotation only: RS-ratio and RS-momentum on price (default; sector index vs the "
        "benchmark) or on volume-share (sector share of the tracked volume)",
    )
    _shares_of_option(export, default=None)  # None: unset, which fundamentals must see
    _common_options(export, EXPORT_SOURCE_HELP)
    export.set_defaults(run=run_export)
    gather = commands.add_parser("collect", help="store a snapshot and missing history")
    gather.add_argument(
        "--backfill",
        type=_days,
        default=DEFAULT_BACKFILL_DAYS,
        metavar="DAYS",
        help=f"days of history to fill where the store has gaps (default {DEFAULT_BACKFILL_DAYS}; "
        "0: the snapshot only)",
    )
    gather.add_argument(
        "--every",
        type=_interval,
        metavar="INTERVAL",
        help="keep running: a round (snapshot + gap fill) every INTERVAL, e.g. 5m, 30s or 1h, "
        "holding the store's collector lease; SIGTERM or Ctrl-C stops it",
    )
    gather.add_argument(
        "--rules",
        type=Path,
        help="with --every and a notification target: alert rules checked after each round "
        "(default: the shipped ones)",
    )
    _notify_option(gather, "send alerts to after each --every round")
    _common_options(gather, COLLECT_SOURCE_HELP)
    gather.set_defaults(run=run_collect)
    _report_command(commands)
    _alert_command(commands)
    _sectors_command(commands)
    return parser


def _sectors_command(commands: argparse._SubParsersAction) -> None:
    sectors = commands.add_parser(
        "sectors", help="start a sectors file from CoinGecko's categories"
    )
    actions = sectors.add_subparsers(dest="action", required=True, metavar="ACTION")
    suggest = actions.add_parser(
        "suggest",
        help="print a [sectors.<id>] table of a CoinGecko category's largest coins by market cap",
    )
    suggest.add_argument("category", help="CoinGecko category id, e.g. ai-agents or meme-token")
    suggest.add_argument(
        "--top",
        type=_top,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"how many coins (default {DEFAULT_TOP}, at most {MAX_TOP})",
    )
    suggest.set_defaults(run=run_suggest)
    listing = actions.add_parser("categories", help="list CoinGecko's category ids, largest first")
    listing.add_argument("--match", metavar="TEXT", help="only ids or names holding TEXT")
    listing.set_defaults(run=run_categories)


def _alert_command(commands: argparse._SubParsersAction) -> None:
    alert = commands.add_parser(
        "alert", help="check the alert rules once: print and send each alert that fires"
    )
    alert.add_argument(
        "--rules", type=Path, help="alert rules TOML file (default: the shipped one)"
    )
    _notify_option(alert, "send alerts to")
    alert.add_argument(
        "--as-of", type=_timestamp, help="check as of this time (default: the newest data)"
    )
    alert.add_argument(
        "--dashboard-url", metavar="URL", help="link to put in each message, e.g. the dashboard"
    )
    _common_options(alert)
    alert.set_defaults(run=run_alert)


def _notify_option(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--notify",
        action="append",
        default=[],
        type=_secret_url,
        metavar="URL",
        help=f"apprise URL to {what} (repeatable; default: {NOTIFY_ENV}, space-separated); "
        "e.g. json://host/hook, slack://..., mailto://...",
    )


def _report_command(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report", help="write a snapshot report folder: HTML, summary, CSV tables, PNG charts"
    )
    report.add_argument(
        "--out",
        required=True,
        type=Path,
        help="folder that receives one report folder per as-of time, e.g. 2025-01-22T0000Z/",
    )
    report.add_argument(
        "--window",
        nargs="+",
        default=list(DEFAULT_WINDOWS),
        help=f"look-back windows to cover (default {' '.join(DEFAULT_WINDOWS)})",
    )
    report.add_argument(
        "--max-weight",
        type=_fraction,
        help="cap per member for a capped cap-weighted index, e.g. 0.25",
    )
    report.add_argument(
        "--no-png", action="store_true", help="skip the PNG charts (they need Chrome or Chromium)"
    )
    _notify_option(report, "post the summary (with report.html attached) to")
    _shares_of_option(report)
    _common_options(report)
    _events_option(report)
    report.set_defaults(run=run_report)


def _shares_of_option(command: argparse.ArgumentParser, default: str | None = ALL_SECTORS) -> None:
    command.add_argument(
        "--shares-of",
        choices=SHARE_UNIVERSES,
        default=default,
        help="what volume and market-cap shares are of: all tracked sectors (default) or the "
        'rotation universe (every sector but those with role = "benchmark", e.g. Majors)',
    )


def _events_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--events",
        type=Path,
        help="events TOML file drawn on the time charts (default: the shipped one)",
    )


def _common_options(command: argparse.ArgumentParser, source_help: str = SOURCE_HELP) -> None:
    command.add_argument("--source", default="auto", help=source_help)
    command.add_argument(
        "--sectors", type=Path, help="sectors TOML file (default: the shipped one)"
    )
    command.add_argument(
        "--store",
        metavar="URL",
        help=f"history store: sqlite:///PATH or postgresql://USER@HOST/DB (default: {STORE_ENV}, "
        "else a SQLite file in the user's data folder)",
    )


def run_export(options: argparse.Namespace) -> int:
    if options.what == FUNDAMENTALS:
        return _export_fundamentals(options)
    window_length(options.window)
    basis = _rs_basis(options.what, options.basis)
    shares_of = options.shares_of or ALL_SECTORS
    book = load_sectors(options.sectors)
    data = load_market(options.source, book, store=options.store)
    _check_as_of(options.as_of, data.panel.timestamps[0])
    views = build_views(data, book, options.window, options.as_of, options.max_weight, shares_of)
    table = views.table(options.what) if basis is None else views.rotation_on(basis)
    details = {
        "window": options.window,
        "sectors_file": book.origin,
        "max_weight": options.max_weight,
        "shares_of": shares_of,
        **({} if basis is None else {"rs_basis": basis}),
    }
    write_csv(table, options.out, export_provenance(data, options.what, **details))
    for warning in data.warnings:
        _warn(warning)
    print(
        f"wrote {options.out} ({len(table)} rows, {data.label}, as of {views.as_of:%Y-%m-%d %H:%M} UTC)"
    )
    return 0


def _export_fundamentals(options: argparse.Namespace) -> int:
    """``export fundamentals``: protocol activity only, so it needs no market data."""
    days = window_days(options.window)
    _rs_basis(options.what, options.basis)
    if options.max_weight is not None:
        raise ConfigError(f"--max-weight applies to the index exports, not {FUNDAMENTALS}")
    if options.shares_of is not None:
        raise ConfigError(f"--shares-of applies to the market exports, not {FUNDAMENTALS}")
    book = load_sectors(options.sectors)
    data = load_fundamentals(options.source, book, store=options.store)
    # a live source's current UTC day is still running: its partial value is no day's figure
    through = options.as_of if options.as_of is not None else pd.Timestamp.now(tz="UTC") if data.live else None
    if through is not None:
        data = replace(data, frame=days_through(data.frame, through))
        if data.frame.empty:
            when = f"{through:%Y-%m-%d %H:%M} UTC"
            when = f"--as-of {when}" if options.as_of is not None else f"now ({when})"
            raise ConfigError(f"{when} is before the first whole day of protocol activity")
    table = fundamentals_table(data.frame, book.protocol_members(), days)
    table[DATA_SOURCE] = table[DATA_SOURCE].map(data.labels)
    details = {
        "window": options.window,
        "sectors_file": book.origin,
        "protocols": [p.key for p in book.protocols],
    }
    write_csv(table, options.out, export_provenance(data, FUNDAMENTALS, **details))
    for warning in data.warnings:
        _warn(warning)
    print(
        f"wrote {options.out} ({len(table)} rows, {data.label}, as of {data.as_of:%Y-%m-%d %H:%M} UTC)"
    )
    return 0


def _rs_basis(what: str, basis: str | None) -> str | None:
    """The RS basis of a rotation export (price unless asked); None for the other tables."""
    if what == "rotation":
        return basis or PRICE_BASIS
    if basis is not None:
        raise ConfigError(f"--basis applies to the rotation export only, not {what}")
    return None


def run_report(options: argparse.Namespace) -> int:
    windows = tuple(dict.fromkeys(options.window))
    for window in windows:
        window_length(window)
    urls = notify_urls(options.notify)
    book = load_sectors(options.sectors)
    data = load_market(options.source, book, store=options.store)
    events = chart_events(book, options.events)
    done = write_report(
        data,
        book,
        options.out,
        windows,
        options.max_weight,
        not options.no_png,
        events,
        _report_alerts(data.as_of, options.store),
        options.shares_of,
        _report_fundamentals(data, book, options.store),
    )
    if urls and done.created:  # a report already written was announced by the run that wrote it
        outcome = announce_report(Delivery(urls), done.folder, data)
        if not outcome.sent:
            _warn(f"report not announced: {outcome.detail or ''}")
    for warning in data.warnings:
        _warn(warning)
    if done.png.startswith("skipped") and not options.no_png:
        _warn(f"PNG charts {done.png}")
    as_of = f"as of {data.as_of:%Y-%m-%d %H:%M} UTC"
    if done.created:
        print(f"wrote {done.folder} ({data.label}, {as_of})")
    else:
        print(f"{done.folder} already exists ({as_of}); left unchanged")
    return 0


def run_alert(options: argparse.Namespace) -> int:
    book = load_sectors(options.sectors)
    rules = load_rules(options.rules, book)
    urls = notify_urls(options.notify)
    data = load_market(options.source, book, store=options.store)
    _check_as_of(options.as_of, data.panel.timestamps[0])
    with open_store(options.store) as store:
        done = check_and_notify(
            store,
            data,
            book,
            rules,
            Delivery(urls) if urls else None,
            options.as_of,
            options.dashboard_url,
        )
    for warning in data.warnings:
        _warn(warning)
    for note in done.notes:
        print(f"aisector: note: {redact(note)}", file=sys.stderr)
    for alert in done.alerts:
        print(alert.line())
    for warning in done.warnings:
        _warn(warning)
    if not done.alerts:
        as_of = options.as_of if options.as_of is not None else data.as_of
        print(
            f"aisector: no alert fired ({len(rules.rules)} rules, as of "
            f"{as_of:%Y-%m-%d %H:%M} UTC)",
            file=sys.stderr,
        )
    return 0


def _report_alerts(as_of: pd.Timestamp, store: str | None) -> tuple[str, ...]:
    """The stored alerts for the report; a store that cannot be read costs the section only."""
    try:
        return stored_alert_lines(as_of, store)
    except StoreError as error:
        _warn(f"recent alerts left out: {error}")
        return ()


def _report_fundamentals(
    data: MarketData, book: SectorBook, store: str | None
) -> FundamentalsData | None:
    """The protocols' activity beside the market (the simulated one beside the offline market);
    none without [protocols] tables, and a source that fails costs the section only."""
    if not book.protocols:
        return None
    try:
        return load_first_fundamentals(activity_candidates(data.source), book, store=store)
    except SourceError as error:
        _warn(f"fundamentals left out: {error}")
        return None


def _check_as_of(as_of: pd.Timestamp | None, first: pd.Timestamp) -> None:
    if as_of is not None and as_of < first:
        raise ConfigError(
            f"--as-of {as_of:%Y-%m-%d %H:%M} UTC is before the data ({first:%Y-%m-%d %H:%M} UTC)"
        )


def run_collect(options: argparse.Namespace) -> int:
    book = load_sectors(options.sectors)
    spec = collect_spec(options.source)
    source = with_dex_fallback(open_source(spec), book)
    backfill = pd.Timedelta(days=options.backfill)
    with open_store(options.store) as store:
        if options.every is not None:
            alerts = round_alerts(options.rules, book, notify_urls(options.notify))
            return _collect_every(store, source, book, backfill, options.every, alerts, spec)
        keeper = Keeper(
            store,
            source,
            book,
            holder_name("aisector collect"),
            backfill,
            coins_per_write=None,  # cron's chunks stay shared between coins
            progress=Progress("collect"),
            activity=activity_to_collect(spec),
        )
        try:
            done = keeper.round()
        finally:
            store.release_lease(COLLECTOR, keeper.holder)  # a no-op unless it took it
    if done.done is None:
        print(redact(f"{done.line_of_lease()}; nothing collected"))
        return 0
    for warning in done.warnings():
        _warn(warning)
    print(redact(done.done.line()))
    if done.activity is not None:
        print(redact(done.activity.line()))
    return 0


def _collect_every(
    store: HistoryStore,
    source: MarketSource,
    book: SectorBook,
    backfill: pd.Timedelta,
    every: pd.Timedelta,
    alerts: RoundAlerts | None,
    spec: str,
) -> int:
    """``collect --every``: rounds until SIGTERM or Ctrl-C, one line each (and one per alert
    sent, when notification targets are configured); exit 0 when stopped."""
    holder = holder_name("aisector collect --every")
    activity = activity_to_collect(spec)
    keeper = Keeper(store, source, book, holder, backfill, every, alerts=alerts, activity=activity)
    stop = threading.Event()

    def stopping(_signal: int, _frame: object) -> None:
        stop.set()
        raise Stopped("stopped")

    before = signal.signal(signal.SIGTERM, stopping)
    try:
        keeper.run(stop, _say, _warn)
    except (KeyboardInterrupt, Stopped):
        pass  # run() gave the lease up on its way out
    finally:
        signal.signal(signal.SIGTERM, before)
    _say("collector stopped")
    return 0


def _say(line: str) -> None:
    print(redact(line), flush=True)


def _warn(text: str) -> None:
    """One warning line on stderr, keys masked, even when a library's message spans several."""
    print(f"aisector: warning: {redact(_one_line(text))}", file=sys.stderr, flush=True)


def run_suggest(options: argparse.Namespace) -> int:
    print(suggest_sector(CoinGecko.from_settings(), options.category, options.top), end="")
    return 0


def run_categories(options: argparse.Namespace) -> int:
    lines = category_lines(CoinGecko.from_settings(), options.match)
    for line in lines:
        print(line)
    if not lines:
        print(f"aisector: no CoinGecko category matches {options.match!r}", file=sys.stderr)
    return 0


def run_dashboard(options: argparse.Namespace) -> NoReturn:
    chart_events(load_sectors(options.sectors), options.events)  # broken files fail here
    if options.source.strip().lower() != AUTO:
        open_source(options.source)  # so does an unknown source, before the server starts
    command = [
        sys.executable,
        "-P",  # safe path: a dashboard.py or analytics.py in the working folder cannot shadow ours
        "-m",
        "dashboard.serve",
        "run",
        str(resources.files("dashboard") / "app.py"),
        "--server.port",
        str(options.port),
        *streamlit_flags(streamlit_config()),
    ]
    command += ["--", "--source", options.source]
    if options.no_collect:
        command.append("--no-collect")
    for flag, path in (("--sectors", options.sectors), ("--events", options.events)):
        if path:
            command += [flag, str(path.resolve())]
    environ = os.environ.copy()
    if options.store and database_url(options.store).password is not None:
        # A command line is shown to every user of the host (`ps`); a process's environment
        # only to its own user. The server reads it there (launch_options).
        environ[STORE_ENV] = options.store
    elif options.store:
        command += ["--store", options.store]
    sys.stdout.flush()
    sys.stderr.flush()
    # The server takes this process's place, so a SIGTERM to `aisector dashboard` stops it.
    os.execve(sys.executable, command, environ)


def streamlit_config() -> str:
    """The dashboard's Streamlit settings (no tracebacks in the browser, no usage
    statistics), shipped inside the ``dashboard`` package so that a plain install has them."""
    return (resources.files("dashboard") / STREAMLIT_CONFIG).read_text(encoding="utf-8")


def streamlit_flags(config: str) -> list[str]:
    """Streamlit config text plus the theme module's theme as command-line flags, so the theme and
    the safety settings apply whatever folder ``aisector dashboard`` is started from (Streamlit
    reads only the working folder's and the user's ``.streamlit/config.toml``)."""
    options = [*_dotted(tomllib.loads(config)), *theme.streamlit_options().items()]
    return [
        f"--{name}={str(value).lower() if isinstance(value, bool) else value}"
        for name, value in options
    ]


def _dotted(table: dict, prefix: str = "") -> Iterator[tuple[str, object]]:
    """(``section.key``, value) of every option, nested tables too."""
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _dotted(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _settings_help() -> str:
    lines = ["environment:"]
    lines += [f"  {s.env:<24} {s.help}" for s in SETTINGS]
    return "\n".join(lines)


def _timestamp(text: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        stamp = pd.NaT
    if pd.isna(stamp):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-01-22T00:00Z")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _secret_url(text: str) -> str:
    """A notification URL, masked in every message from the moment it is read."""
    for secret in url_secrets(text):
        remember_secret(secret)
    return text


def _days(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_BACKFILL_DAYS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number of days, e.g. 90 (at most {MAX_BACKFILL_DAYS})"
        )
    return int(text)


def _interval(text: str) -> pd.Timedelta:
    """``5m``, ``30s``, ``1h``: a positive whole number of seconds, minutes or hours."""
    units = {"s": "seconds", "m": "minutes", "h": "hours"}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not (number.isascii() and number.isdigit()) or int(number) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an interval like 5m, 30s or 1h")
    return pd.Timedelta(**{units[unit]: int(number)})


def _top(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_TOP:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of coins from 1 to {MAX_TOP}")
    return int(text)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 1 to 65535, e.g. 8501")
    return int(text)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1, e.g. 0.25")
    return value


def _fail(message: str, code: int) -> int:
    """One line on stderr, even when a library's message spans several."""
    print(f"aisector: error: {redact(_one_line(message))}", file=sys.stderr)
    return code


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in text.splitlines() if part.strip())
