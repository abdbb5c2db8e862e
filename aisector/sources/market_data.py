"""Load market data for a sectors file from a ``--source`` spec, with what the user must be told.

``auto`` tries live CoinGecko (after a quick ping, so a dead network costs seconds, not minutes),
then the history store, then the built-in offline market, so there is always something to show;
each candidate that could not serve leaves a one-line note the badge and exports repeat.

Live data (``auto`` when CoinGecko answers, or ``coingecko``) is the store's history of that
source plus the newest live quotes, merged by ``aisector.sources.live_history.merge_history``; a missing
or empty store leaves the live view alone.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from aisector.analytics.market import MarketData
from aisector.analytics.membership import unknown_coins
from aisector.analytics.panel import MarketPanel, market_panel
from aisector.core.errors import SourceError
from aisector.core.sectors import SectorBook
from aisector.sources.fallback import first_that_serves
from aisector.sources.live_history import history_label, merge_history, stored_history
from aisector.sources.registry import Secrets, open_source
from connectors.compose import for_sectors

AUTO = "auto"
AUTO_CANDIDATES: tuple[str, ...] = ("coingecko", "store", "offline")
NO_DATA = "no data for"
HISTORY_SOURCES = frozenset({"coingecko"})  # live sources whose history a collector stores


def load_market(
    spec: str, book: SectorBook, secrets: Secrets = None, store: str | None = None
) -> MarketData:
    """Fetch every coin the sectors file names from the source ``spec`` describes; ``secrets``
    (Streamlit's) back up the environment for API keys. Live data comes with the history the
    store at ``store`` (default: ``AISECTOR_STORE``, else the user's store) holds of its source;
    ``--source store`` reads that store."""
    data = load_market_view(spec, book, secrets, store)
    if not data.live or data.source not in HISTORY_SOURCES:
        return data
    return with_history(data, stored_history(book, data.source, store), book)


def load_market_view(
    spec: str, book: SectorBook, secrets: Secrets = None, store: str | None = None
) -> MarketData:
    """What ``spec`` serves by itself: for a live source its latest view, without stored history."""
    if spec.strip().lower() != AUTO:
        return _load(spec, book, (), secrets, store)
    return first_that_serves(
        AUTO_CANDIDATES,
        lambda candidate, notes: _load(candidate, book, notes, secrets, store, probe_first=True),
        "data",
    )


def with_history(data: MarketData, stored: pd.DataFrame, book: SectorBook) -> MarketData:
    """Live ``data`` with ``stored`` rows of its source behind it, labelled with both; a coin
    the store has rows of is no longer reported as having no data."""
    if stored.empty:
        return data
    frame = merge_history(data.frame, stored)
    since = stored["timestamp"].min()
    panel = market_panel(frame)
    notes = tuple(w for w in data.warnings if not w.startswith(NO_DATA))
    return replace(
        data,
        frame=frame,
        panel=panel,
        label=history_label(data.label, since),
        warnings=notes + _missing_note(book, panel),
        history_since=since,
    )


def _load(
    spec: str,
    book: SectorBook,
    notes: tuple[str, ...],
    secrets: Secrets,
    store: str | None,
    probe_first: bool = False,
) -> MarketData:
    source = open_source(spec, secrets, store)
    probe = getattr(source, "probe", None)  # live sources answer a ping; files have nothing to ask
    if probe_first and probe is not None:
        probe()
    source = for_sectors(source, book, secrets=secrets)
    frame = source.market_history(book.coins())
    if frame.empty:
        raise SourceError(f"{source.label} has no rows for the coins in {book.origin}")
    panel = market_panel(frame)
    warnings = notes + _missing_note(book, panel)
    return MarketData(frame, panel, source.name, source.label, source.live, warnings)


def _missing_note(book: SectorBook, panel: MarketPanel) -> tuple[str, ...]:
    """The warning naming the sectors file's coins the data has no row of, if any."""
    missing = unknown_coins(book.members(), panel.coins)
    return (f"{NO_DATA} {len(missing)} coin(s): {', '.join(missing)}",) if missing else ()
