"""The scheduled snapshot report: one folder per as-of time, written whole or not at all.

``DIR/2025-01-22T0000Z/`` holds ``report.html`` (self-contained), ``summary.md``, the CSV tables
under ``tables/``, PNG charts under ``charts/`` (when a browser is at hand) and
``provenance.json``. Everything is written into a hidden ``DIR/.tmp-…`` folder first and renamed
into place, so a reader never sees half a report. A folder that already exists for the as-of time
is left as it is: a second run (cron retrying, two hosts) changes nothing and says so.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from aisector.analytics.fundamentals import FundamentalsData
from aisector.analytics.index import CAP_WEIGHTED, CAPPED_CAP_WEIGHTED
from aisector.analytics.market import MarketData
from aisector.analytics.shares import ALL_SECTORS, VOLUME_SHARE
from aisector.analytics.usage import UsageViews, usage_views
from aisector.analytics.views import SectorViews, build_views
from aisector.apps.exports import csv_text, export_provenance
from aisector.apps.notify import Delivery, Outcome
from aisector.apps.report_png import PngSkipped, write_pngs
from aisector.core.errors import ConfigError, ExportError
from aisector.core.events import Event
from aisector.core.periods import window_days
from aisector.core.schema import COIN_ID, DATE, SYMBOL
from aisector.core.sectors import SectorBook
from aisector.core.settings import redact
from aisector.present import charts, summary
from aisector.present.formatting import MISSING, age_text, utc_time
from aisector.present.fundamentals_charts import cap_to_revenue_chart, protocol_colors
from aisector.present.report_html import Badge, FundamentalsSection, Page, Section, report_page
from aisector.present.report_tables import protocols_table, sectors_table, tokens_table

DEFAULT_WINDOWS = ("24h", "7d")
TABLES = ("tokens", "sectors", "index", "rotation", "movers")
FOLDER_FORMAT = "%Y-%m-%dT%H%MZ"
STALE_AFTER = pd.Timedelta(hours=2)  # older data gets its age in orange on the badge
VERSIONED = ("aisector", "pandas", "plotly", "streamlit", "kaleido")
NOTES = {
    "data_source": "Every CSV row carries a data_source column with the source label.",
    "token_move": "price(t) / price(t - w) - 1; price(t - w) is the last price at or before "
    "t - w, no older than 10% of w; otherwise missing, never guessed.",
    "market_cap_change": "sum(cap_i(t)) / sum(cap_i(t - w)) - 1 over members with both values; "
    "'12/12 members' says how many counted.",
    "sector_index": "Base 100 at the window start's values (each coin's last observation at or "
    "before t - w within the tolerance), chain-linked over every observation in (t - w, t]: "
    "I(t) = I(t-1) * (1 + sum_i w_i(t-1) * r_i(t)); cap-weighted unless stated.",
    "missing": "A figure without its inputs (no cap or volume to weight by, no member priced) "
    "is shown as — and left out of rankings; it is never 0.",
    "leader": "Sectors are ranked by their cap-weighted index return over the window.",
    "volume_share": "A sector's 24h volume / the sum over all tracked sectors (shares_of all) or "
    "over the rotation universe, the sectors that are not benchmark groups (shares_of rotation); "
    "a coin in several sectors counts in each. Shifts compare the window's first and last "
    "timestamp.",
}
OFFLINE_NOTE = "simulated prices – not real market data"
KIND_NOTES = {"live": "live market data", "offline": OFFLINE_NOTE, "file": "from a file or store"}


@dataclass(frozen=True)
class ReportResult:
    """Where the report is, whether this run wrote it, and what became of the PNGs."""

    folder: Path
    created: bool
    png: str


def write_report(
    data: MarketData,
    book: SectorBook,
    out: Path,
    windows: Sequence[str] = DEFAULT_WINDOWS,
    max_weight: float | None = None,
    png: bool = True,
    events: Sequence[Event] = (),
    alerts: Sequence[str] = (),
    shares_of: str = ALL_SECTORS,
    fundamentals: FundamentalsData | None = None,
) -> ReportResult:
    """Write the report folder for ``data.as_of`` under ``out``, unless it is already there;
    ``alerts`` are the recent alerts, one line each, newest first; shares are of all tracked
    sectors or of the rotation universe (``shares_of``); ``fundamentals``, the protocols'
    activity, adds its section and the usage-against-price sentences."""
    folder = Path(out) / report_folder_name(data.as_of)
    if folder.exists():
        return ReportResult(folder, created=False, png="unchanged")
    views = {
        w: build_views(data, book, w, max_weight=max_weight, shares_of=shares_of) for w in windows
    }
    activity = Activity(fundamentals, _usage(fundamentals, data, book, views), events)
    with _staging(Path(out), folder.name) as staging:
        png_note = _write_contents(
            staging, data, book, views, png, max_weight, events, alerts, activity
        )
        created = _publish(staging, folder)
    return ReportResult(folder, created, png_note if created else "unchanged")


@dataclass(frozen=True)
class Activity:
    """The protocols' activity for the report: where it came from and each window's views."""

    data: FundamentalsData | None
    usage: Mapping[str, UsageViews]
    events: Sequence[Event]

    @property
    def days(self) -> pd.DataFrame | None:
        """The daily table beside the prices (the same for every window); None without one."""
        return next(iter(self.usage.values())).days if self.usage else None

    @property
    def notes(self) -> tuple[str, ...]:
        """Why usage is not set against price, if it is not (the same for every window)."""
        return next(iter(self.usage.values())).notes if self.usage else ()

    @property
    def last_day(self) -> pd.Timestamp | None:
        """The newest whole UTC day of activity beside the prices; None when there is none."""
        return None if self.days is None or self.days.empty else self.days[DATE].max()


def _usage(
    fundamentals: FundamentalsData | None,
    data: MarketData,
    book: SectorBook,
    views: Mapping[str, SectorViews],
) -> dict[str, UsageViews]:
    """Each window's activity beside its prices; none without activity."""
    if fundamentals is None:
        return {}
    protocols = book.protocol_members()
    return {
        w: usage_views(fundamentals.frame, data, protocols, v.tokens, _whole_days(w))
        for w, v in views.items()
    }


def _whole_days(window: str) -> int | None:
    """The window in whole UTC days, None for e.g. 12h (daily activity has no such change)."""
    try:
        return window_days(window)
    except ConfigError:
        return None


def report_folder_name(as_of: pd.Timestamp) -> str:
    """'2025-01-22T0000Z': sortable, safe in every file system, one per as-of minute."""
    return as_of.tz_convert("UTC").strftime(FOLDER_FORMAT)


def report_charts(
    views: SectorViews, book: SectorBook, max_weight: float | None, events: Sequence[Event] = ()
) -> dict[str, go.Figure]:
    """The window's charts, named as their PNG files: index, volume share, top movers."""
    labels, colors, window = book.labels(), book.colors(), views.window
    method = CAPPED_CAP_WEIGHTED if max_weight is not None else CAP_WEIGHTED
    share_title = f"24h volume share by sector · last {window}"
    return {
        f"index_{window}": charts.index_chart(views.index, method, labels, colors, events),
        f"volume_share_{window}": charts.share_chart(
            views.rotation, VOLUME_SHARE, share_title, labels, colors, events
        ),
        f"movers_{window}": charts.movers_chart(views.movers, window, labels, colors),
    }


def _write_contents(
    folder: Path,
    data: MarketData,
    book: SectorBook,
    views: Mapping[str, SectorViews],
    png: bool,
    max_weight: float | None,
    events: Sequence[Event],
    alerts: Sequence[str],
    activity: Activity,
) -> str:
    """Every file of the report into ``folder``; returns what became of the PNGs."""
    figures = {w: report_charts(v, book, max_weight, events) for w, v in views.items()}
    _write_tables(folder / "tables", views, data.label)
    _write_protocol_tables(folder / "tables", activity, data.label)
    caption = f"{data.label} · as of {utc_time(data.as_of)}"
    png_note = _write_pngs(folder / "charts", figures, caption) if png else "skipped (--no-png)"
    shares_of = next(iter(views.values())).shares_of.name if views else ALL_SECTORS
    details = {
        "windows": list(views),
        "sectors_file": book.origin,
        "max_weight": max_weight,
        "shares_of": shares_of,
    }
    provenance = export_provenance(
        data, "report", **details, fundamentals=_activity_facts(activity)
    )
    sentences = {w: _sentences(v, activity.usage.get(w), book) for w, v in views.items()}
    page = _page(data, views, figures, sentences, book, provenance, alerts)
    page = replace(page, fundamentals=_fundamentals_section(activity, book))
    (folder / "report.html").write_text(report_page(page), encoding="utf-8")
    (folder / "summary.md").write_text(_summary_markdown(page, sentences), encoding="utf-8")
    provenance = _finished(provenance, png_note, [*_files(folder), "provenance.json"])
    (folder / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", "utf-8")
    return png_note


def _sentences(views: SectorViews, usage: UsageViews | None, book: SectorBook) -> tuple[str, ...]:
    """The window's story, then where a token's price and its protocol's usage disagree."""
    if usage is None:
        return summary.window_sentences(views)
    symbols = dict(zip(views.tokens[COIN_ID], views.tokens[SYMBOL], strict=True))
    disagree = summary.usage_sentences(
        usage.disagreements, book.protocol_labels(), symbols, views.window, views.as_of
    )
    return (*summary.window_sentences(views), *disagree)


def _fundamentals_section(activity: Activity, book: SectorBook) -> FundamentalsSection | None:
    """The protocols' tables per whole-day window and the cap-to-revenue chart."""
    if activity.data is None or not activity.usage:
        return None
    labels, sector_labels = book.protocol_labels(), book.labels()
    tables = {
        w: protocols_table(u.window, labels, sector_labels)
        for w, u in activity.usage.items()
        if u.window is not None
    }
    days, last = activity.days, activity.last_day
    colors = protocol_colors(list(labels))
    return FundamentalsSection(
        label=activity.data.label,
        through=MISSING if last is None else f"{last:%Y-%m-%d}",
        warnings=tuple(redact(w) for w in (*activity.data.warnings, *activity.notes)),
        tables=tables,
        chart=cap_to_revenue_chart(days, labels, colors, activity.events),
    )


def _activity_facts(activity: Activity) -> dict[str, object] | None:
    """provenance.json's account of the protocol activity beside the prices; None without it."""
    data = activity.data
    if data is None:
        return None
    last = activity.last_day
    return {
        "source": data.source,
        "source_label": data.label,
        "sources": dict(data.labels),
        "live": data.live,
        "last_day": None if last is None else f"{last:%Y-%m-%d}",
        "warnings": [redact(w) for w in (*data.warnings, *activity.notes)],
    }


def _write_protocol_tables(folder: Path, activity: Activity, prices: str) -> None:
    """``tables/protocols_<window>.csv`` for each whole-day window (``usage.protocol_window``),
    each row labelled with both sources: its activity's and its prices'."""
    if activity.data is None:
        return
    label = f"{activity.data.label}; prices {prices}"
    for window, usage in activity.usage.items():
        if usage.window is not None:
            text = csv_text(usage.window, label)
            (folder / f"protocols_{window}.csv").write_text(text, encoding="utf-8", newline="")


def _write_tables(folder: Path, views: Mapping[str, SectorViews], label: str) -> None:
    """``tables/<table>_<window>.csv``, each row labelled with the data source."""
    folder.mkdir()
    for window, window_views in views.items():
        for name in TABLES:
            text = csv_text(window_views.table(name), label)
            (folder / f"{name}_{window}.csv").write_text(text, encoding="utf-8", newline="")


def _write_pngs(folder: Path, figures: Mapping[str, Mapping[str, go.Figure]], caption: str) -> str:
    """'written', or 'skipped (reason)' when no browser could draw them."""
    flat = {name: figure for charts_of in figures.values() for name, figure in charts_of.items()}
    try:
        write_pngs(flat, folder, caption)
    except PngSkipped as reason:
        shutil.rmtree(folder, ignore_errors=True)
        return f"skipped ({reason})"
    return "written"


def _page(
    data: MarketData,
    views: Mapping[str, SectorViews],
    figures: Mapping[str, Mapping[str, go.Figure]],
    sentences: Mapping[str, Sequence[str]],
    book: SectorBook,
    provenance: Mapping[str, object],
    alerts: Sequence[str],
) -> Page:
    first = next(iter(views.values()))
    sections = [Section(w, figures[w], sectors_table(v.sectors)) for w, v in views.items()]
    generated = pd.Timestamp(str(provenance["generated_at"]))
    return Page(
        title=f"AI-token sector snapshot · {utc_time(data.as_of)}",
        headline=summary.headline(first),
        badge=_badge(data, str(provenance["data"]), generated),
        summary=sentences,
        sections=sections,
        tokens_table=tokens_table(first.tokens, book.labels()),
        notes=NOTES,
        colophon=f"Generated {utc_time(generated)} by aisector {_version('aisector')} from "
        f"{data.label}. CSV tables in tables/, sources and methods in provenance.json.",
        alerts=tuple(alerts),
    )


def _badge(data: MarketData, kind: str, now: pd.Timestamp) -> Badge:
    return Badge(
        label=data.label,
        kind=kind,
        note=KIND_NOTES[kind],
        as_of=utc_time(data.as_of),
        age=f"{age_text(now - data.as_of)} when generated",
        stale=now - data.as_of > STALE_AFTER,
        warnings=tuple(redact(w) for w in data.warnings),
    )


def _summary_markdown(page: Page, sentences: Mapping[str, Sequence[str]]) -> str:
    badge = page.badge
    line = f"Data: {badge.label} ({badge.note}) · as of {badge.as_of} · {badge.age}"
    footer = [*(f"Warning: {w}" for w in badge.warnings), page.colophon]
    return summary.markdown(page.title, line, sentences, footer, page.alerts)


def announce_report(delivery: Delivery, folder: Path, data: MarketData) -> Outcome:
    """Post the report's summary to the notification targets, with ``report.html`` attached and
    the folder named; a failure is returned (and retried), never raised."""
    text = (folder / "summary.md").read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ").strip()
    body = f"{text.rstrip()}\n\nReport: {folder / 'report.html'} ({data.label})"
    return delivery.send(title, body, attach=folder / "report.html")


def _finished(
    provenance: Mapping[str, object], png_note: str, files: list[str]
) -> dict[str, object]:
    """The export provenance (source, live or offline, as-of) plus methods, versions, files."""
    kept = {k: v for k, v in provenance.items() if k not in ("table", "aisector_version")}
    return kept | {
        "warnings": [redact(w) for w in provenance["warnings"]],
        "methods": NOTES,
        "png": png_note,
        "versions": {name: _version(name) for name in VERSIONED},
        "files": sorted(files),
    }


def _files(folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@contextmanager
def _staging(out: Path, name: str) -> Iterator[Path]:
    """A hidden folder beside the final one, removed if anything fails before the rename."""
    # os.mkdir, not tempfile.mkdtemp: the report keeps the umask's permissions, not 0700.
    staging = out / f".tmp-{name}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as error:
        raise ExportError(f"cannot write a report in {out}: {error.strerror or error}") from None
    try:
        yield staging
    except OSError as error:
        raise ExportError(f"cannot write the report in {out}: {error.strerror or error}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(staging: Path, folder: Path) -> bool:
    """Rename the finished folder into place; False if another run got there first."""
    try:
        os.rename(staging, folder)
    except OSError:
        if folder.exists():
            return False
        raise
    return True
