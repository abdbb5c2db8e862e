"""Load protocol activity for a sectors file's ``[protocols.<id>]`` tables from a ``--source`` spec.

Fundamentals sources are registered by name in one dict, apart from the market's (a protocol's
activity and a coin's price come from different services). ``auto`` tries them in order and
keeps a one-line note for each one that could not serve; the built-in offline simulation is the
last resort, as for the market.
"""

from __future__ import annotations

from collections.abc import Callable

from aisector.analytics.fundamentals import FundamentalsData
from aisector.core.errors import ConfigError, SourceError
from aisector.core.schema import PROTOCOL
from aisector.core.sectors import SectorBook
from aisector.sources.registry import Secrets
from connectors.base import FundamentalsSource
from connectors.offline_activity import OfflineActivity

AUTO = "auto"
OFFLINE = "offline"
NO_ACTIVITY = "no activity for"

# name -> factory taking secrets (Streamlit's, backing up the environment for keys)
FUNDAMENTALS_SOURCES: dict[str, Callable[[Secrets], FundamentalsSource]] = {
    OFFLINE: lambda _secrets: OfflineActivity(),
}
AUTO_CANDIDATES: tuple[str, ...] = (OFFLINE,)


def activity_spec(market_source: str) -> str:
    """The activity source to read beside a market source: the simulated activity beside the
    simulated market (one story, one clock), else ``auto``."""
    return OFFLINE if market_source == OFFLINE else AUTO


def open_fundamentals_source(spec: str, secrets: Secrets = None) -> FundamentalsSource:
    """The fundamentals source a ``--source`` spec names, e.g. ``offline``."""
    factory = FUNDAMENTALS_SOURCES.get(spec.strip().lower())
    if factory is None:
        known = ", ".join(sorted({*FUNDAMENTALS_SOURCES, AUTO}))
        raise ConfigError(f"unknown source {spec!r} for protocol activity; known: {known}")
    return factory(secrets)


def load_fundamentals(spec: str, book: SectorBook, secrets: Secrets = None) -> FundamentalsData:
    """Every configured protocol's daily activity from the source ``spec`` describes."""
    if not book.protocols:
        raise ConfigError(
            f"{book.origin} has no [protocols.<id>] tables: no protocol activity to read"
        )
    if spec.strip().lower() != AUTO:
        return _load(spec, book, (), secrets)
    notes: list[str] = []
    for candidate in AUTO_CANDIDATES:
        try:
            return _load(candidate, book, tuple(notes), secrets)
        except SourceError as error:
            notes.append(f"{candidate} unavailable: {error}")
    raise SourceError("no source could serve protocol activity: " + "; ".join(notes))


def _load(
    spec: str, book: SectorBook, notes: tuple[str, ...], secrets: Secrets
) -> FundamentalsData:
    source = open_fundamentals_source(spec, secrets)
    frame = source.protocol_activity(book.protocols)
    if frame.empty:
        raise SourceError(f"{source.label} has no activity for the protocols in {book.origin}")
    missing = [p.key for p in book.protocols if p.key not in set(frame[PROTOCOL])]
    if missing:
        notes += (f"{NO_ACTIVITY} {len(missing)} protocol(s): {', '.join(missing)}",)
    return FundamentalsData(
        frame, source.name, source.label, source.live, notes, {source.name: source.label}
    )
