"""Market events (launches, announcements) that the time charts mark, read from a TOML file.

A default file ships with the package (``defaults/events.toml``); any file of the same shape can
replace it. Every mistake in a file is a one-line ``ConfigError`` naming the file and the entry.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aisector.core.config_files import read_config_text, shipped
from aisector.core.errors import ConfigError
from aisector.core.sectors import SectorBook

_KEYS = {"date", "label"}


@dataclass(frozen=True)
class Event:
    """Something that happened at one instant, worth a line on a chart."""

    timestamp: pd.Timestamp
    label: str


def default_events_path() -> Path:
    return shipped("events.toml")


def load_events(path: str | Path | None = None) -> tuple[Event, ...]:
    """Read an events file (the shipped default when ``path`` is None)."""
    path = Path(path) if path is not None else default_events_path()
    text = read_config_text(path, "events")
    return parse_events(text, origin=str(path))


def parse_events(text: str, origin: str = "<events>") -> tuple[Event, ...]:
    """Parse events-file TOML into events sorted by time."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: not valid TOML ({error})") from None
    entries = document.get("events", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{origin}: events must be [[events]] tables with a date and a label")
    events = [_event(entry, f"{origin}: events[{i}]") for i, entry in enumerate(entries)]
    return tuple(sorted(events, key=lambda event: event.timestamp))


def _event(entry: object, where: str) -> Event:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table with a date and a label")
    unknown = set(entry) - _KEYS
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(sorted(unknown))}")
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{where} needs a label (text)")
    return Event(_instant(entry.get("date"), where), label.strip())


def _instant(value: object, where: str) -> pd.Timestamp:
    """A TOML date (00:00 UTC) or date-time (UTC when it has no offset) as a UTC timestamp."""
    if not isinstance(value, dt.date):  # also refuses a bare TOML time
        raise ConfigError(f"{where} needs a date like 2025-01-20 or 2025-01-20T17:00:00Z")
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def chart_events(book: SectorBook, path: str | Path | None = None) -> tuple[Event, ...]:
    """The events file's events plus each coin-id switch the sectors file declares, in time
    order: an id switch (AI16Z -> elizaos) is a break in a coin's series, shown, not spliced."""
    breaks = book.id_breaks()
    switches = tuple(
        Event(pd.Timestamp(row.timestamp), f"{row.coin_id}: id {row.from_id} → {row.to_id}")
        for row in breaks.itertuples(index=False)
    )
    return tuple(sorted((*load_events(path), *switches), key=lambda event: event.timestamp))
