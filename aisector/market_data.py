"""Load market data for a sectors file from a ``--source`` spec, with what the user must be told.

``auto`` tries live CoinGecko (after a quick ping, so a dead network costs seconds, not minutes),
then the history store, then the built-in offline market, so there is always something to show;
each candidate that could not serve leaves a one-line note the badge and exports repeat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from aisector.errors import SourceError
from aisector.sectors import SectorBook
from analytics.membership import unknown_coins
from analytics.panel import MarketPanel, market_panel
from connectors.compose import for_sectors
from connectors.registry import Secrets, open_source

AUTO = "auto"
AUTO_CANDIDATES: tuple[str, ...] = ("coingecko", "store", "offline")


@dataclass(frozen=True)
class MarketData:
    """A validated tidy frame, its wide panel, and where it came from."""

    frame: pd.DataFrame
    panel: MarketPanel
    source: str
    label: str
    live: bool
    warnings: tuple[str, ...] = field(default=())
    stale: bool = False  # a refresh failed and these are the last good data

    @property
    def as_of(self) -> pd.Timestamp:
        return self.panel.timestamps[-1]


def load_market(spec: str, book: SectorBook, secrets: Secrets = None) -> MarketData:
    """Fetch every coin the sectors file names from the source ``spec`` describes; ``secrets``
    (Streamlit's) back up the environment for API keys."""
    if spec.strip().lower() != AUTO:
        return _load(spec, book, (), secrets)
    notes: list[str] = []
    for candidate in AUTO_CANDIDATES:
        try:
            return _load(candidate, book, tuple(notes), secrets, probe_first=True)
        except SourceError as error:
            notes.append(f"{candidate} unavailable: {error}")
    raise SourceError("no source could serve data: " + "; ".join(notes))


def _load(
    spec: str,
    book: SectorBook,
    notes: tuple[str, ...],
    secrets: Secrets,
    probe_first: bool = False,
) -> MarketData:
    source = open_source(spec, secrets)
    probe = getattr(source, "probe", None)  # live sources answer a ping; files have nothing to ask
    if probe_first and probe is not None:
        probe()
    source = for_sectors(source, book, secrets=secrets)
    frame = source.market_history(book.coins())
    if frame.empty:
        raise SourceError(f"{source.label} has no rows for the coins in {book.origin}")
    panel = market_panel(frame)
    missing = unknown_coins(book.members(), panel.coins)
    warnings = notes + (
        (f"no data for {len(missing)} coin(s): {', '.join(missing)}",) if missing else ()
    )
    return MarketData(frame, panel, source.name, source.label, source.live, warnings)
