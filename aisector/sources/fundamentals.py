"""Load protocol activity for a sectors file's ``[protocols.<id>]`` tables from a ``--source`` spec.

Fundamentals sources are registered by name in one dict, apart from the market's (a protocol's
activity and a coin's price come from different services): ``defillama``, ``dune``, ``live`` (the
two together), ``store`` and ``offline``. ``auto`` tries live, then the history store, then the
built-in offline simulation, and keeps a one-line note for each one that could not serve. Beside
prices, the page and the report read the simulation only beside the simulated market, and live
then stored activity beside any other (``activity_candidates``).

Where two sources have the same protocol's metric, one serves the whole series (``LIVE_ORDER``):
a Dune query's column is named for that metric in the sectors file, so it wins over DefiLlama.
The dashboard loads through ``load_first_fundamentals`` like the CLI's report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from aisector.analytics.fundamentals import FundamentalsData, prefer_sources
from aisector.core.errors import ConfigError, SourceError, Unauthorized
from aisector.core.schema import (
    PROTOCOL,
    empty_fundamentals_frame,
    validate_fundamentals_frame,
)
from aisector.core.sectors import SectorBook, TrackedProtocol
from aisector.sources.fallback import first_that_serves
from aisector.sources.registry import Secrets
from connectors.base import FundamentalsSource
from connectors.defillama import DefiLlama
from connectors.dune import Dune
from connectors.offline_activity import OfflineActivity

AUTO = "auto"
LIVE = "live"
STORE = "store"
OFFLINE = "offline"
NO_ACTIVITY = "no activity for"
FILL_HINT = "fill it with `aisector collect`"
LIVE_ORDER = (Dune.name, DefiLlama.name)  # who serves a (protocol, metric) both have
LABELS = {s.name: s.label for s in (DefiLlama, Dune, OfflineActivity)}


class LiveActivity(FundamentalsSource):
    """DefiLlama and Dune together: each protocol's series from the source ``LIVE_ORDER``
    prefers; a source that cannot serve leaves a note (``notes``) while the other serves."""

    name = LIVE
    live = True

    def __init__(self, secrets: Secrets = None) -> None:
        self.defillama = DefiLlama.from_settings(secrets=secrets)
        self.dune: Dune | None = None
        self.dune_missing = ""
        try:
            self.dune = Dune.from_settings(secrets=secrets)
        except Unauthorized as error:  # no key: DefiLlama alone, said when a query is configured
            self.dune_missing = str(error)
        self.notes: list[str] = []
        self.unserved: dict[str, str] = {}  # protocol -> why a source served none of it
        self.labels: dict[str, str] = {}

    @property
    def label(self) -> str:
        return " + ".join(self.labels.values()) or "DefiLlama and Dune (live)"

    def probe(self, protocols: Sequence[TrackedProtocol]) -> None:
        """A quick request to DefiLlama when a protocol has a slug: a dead network costs
        seconds, not the retries of every request."""
        self.defillama.probe(protocols)

    def protocol_activity(self, protocols: Sequence[TrackedProtocol]) -> pd.DataFrame:
        """Both sources' rows, one source per series; ``SourceError`` saying why when neither
        served. A source's bad configuration (a Dune column) is a note while the other serves."""
        frames, failures = [], []
        if self.dune is None and any(p.dune for p in protocols):
            failures.append(f"dune unavailable: {self.dune_missing}")
        for source in (s for s in (self.dune, self.defillama) if s is not None):
            try:
                frame = source.protocol_activity(protocols)
            except (SourceError, ConfigError) as error:
                failures.append(f"{source.name} unavailable: {error}")
                continue
            for key, why in source.unserved.items():
                held = self.unserved.get(key)
                self.unserved[key] = why if held in (None, why) else f"{held}; {why}"
            if not frame.empty:
                frames.append(frame)
                self.labels[source.name] = source.label
        if not frames:
            reasons = [*failures, *self.unserved.values()]
            raise SourceError(
                "; ".join(reasons) or "no protocol names a DefiLlama slug or Dune query"
            )
        self.notes += failures
        return prefer_sources(pd.concat(frames, ignore_index=True), LIVE_ORDER)


class StoredActivity(FundamentalsSource):
    """Protocol activity from the history store at ``url``: the live sources' rows when it holds
    any (one source per series), else the offline simulation's, never the two mixed."""

    name = STORE
    live = False

    def __init__(self, url: str | None = None) -> None:
        self._url = url
        self.label = "history store"
        self.labels: dict[str, str] = {}

    def protocol_activity(self, protocols: Sequence[TrackedProtocol]) -> pd.DataFrame:
        """The stored rows of ``protocols``."""
        from aisector.store import open_existing  # imported on use: SQLAlchemy is slow to load
        from aisector.store.location import describe

        store = open_existing(self._url)
        if store is None:
            raise SourceError(f"no history store at {describe(self._url)} yet; {FILL_HINT}")
        keys = [p.key for p in protocols]
        with store:
            held = store.activity_sources()
            live = [s for s in held if s != OFFLINE]
            served = live or list(held)
            if not served:
                raise SourceError(
                    f"the history store {store.url} holds no protocol activity; {FILL_HINT}"
                )
            frame = store.read_activity(keys, served)
        frame = (  # one source per series, then checked whole: one row per (date, protocol, metric)
            validate_fundamentals_frame(prefer_sources(frame, LIVE_ORDER))
            if not frame.empty
            else empty_fundamentals_frame()
        )
        names = [s for s in served if s in set(frame["data_source"].astype(str))]
        self.labels = {s: f"{LABELS.get(s, s)}, from the history store" for s in names}
        self.label = f"history store ({', '.join(LABELS.get(s, s) for s in names) or 'empty'})"
        return frame


# name -> factory taking secrets (Streamlit's, backing up the environment for keys) and the
# history store's URL (None: the one in force)
FUNDAMENTALS_SOURCES: dict[str, Callable[[Secrets, str | None], FundamentalsSource]] = {
    OFFLINE: lambda _secrets, _store: OfflineActivity(),
    DefiLlama.name: lambda secrets, _store: DefiLlama.from_settings(secrets=secrets),
    Dune.name: lambda secrets, _store: Dune.from_settings(secrets=secrets),
    LIVE: lambda secrets, _store: LiveActivity(secrets),
    STORE: lambda _secrets, store: StoredActivity(store),
}
AUTO_CANDIDATES: tuple[str, ...] = (LIVE, STORE, OFFLINE)
BESIDE_PRICES: tuple[str, ...] = (LIVE, STORE)  # never the simulation beside real prices


def activity_candidates(market_source: str) -> tuple[str, ...]:
    """The activity sources to try, in order, beside a market source: the simulated activity
    beside the simulated market (one story, one clock); beside any other, live then the history
    store, never the simulation (real prices set against simulated usage tell a false story)."""
    return (OFFLINE,) if market_source == OFFLINE else BESIDE_PRICES


def open_fundamentals_source(
    spec: str, secrets: Secrets = None, store: str | None = None
) -> FundamentalsSource:
    """The fundamentals source a ``--source`` spec names, e.g. ``defillama`` or ``offline``."""
    factory = FUNDAMENTALS_SOURCES.get(spec.strip().lower())
    if factory is None:
        known = ", ".join(sorted({*FUNDAMENTALS_SOURCES, AUTO}))
        raise ConfigError(f"unknown source {spec!r} for protocol activity; known: {known}")
    return factory(secrets, store)


def load_fundamentals(
    spec: str,
    book: SectorBook,
    secrets: Secrets = None,
    store: str | None = None,
    probe_first: bool = False,
) -> FundamentalsData:
    """Every configured protocol's daily activity from the source ``spec`` describes; ``store``
    is the history store ``store`` (and ``auto``'s fallback) reads (None: the one in force).
    ``probe_first`` asks a live source one quick question before the retried requests (``auto``
    always does), so a collector round on a dead network costs seconds."""
    if spec.strip().lower() != AUTO:
        _check_protocols(book)
        return _load(spec, book, (), secrets, store, probe_first)
    return load_first_fundamentals(AUTO_CANDIDATES, book, secrets, store)


def load_first_fundamentals(
    candidates: Sequence[str], book: SectorBook, secrets: Secrets = None, store: str | None = None
) -> FundamentalsData:
    """The activity of the first of ``candidates`` that serves (each asked a quick question
    first), with a note for each one before it that could not; e.g. ``activity_candidates``."""
    _check_protocols(book)
    return first_that_serves(
        candidates,
        lambda candidate, notes: _load(candidate, book, notes, secrets, store, probe_first=True),
        "protocol activity",
    )


def _check_protocols(book: SectorBook) -> None:
    if not book.protocols:
        raise ConfigError(
            f"{book.origin} has no [protocols.<id>] tables: no protocol activity to read"
        )


def _load(
    spec: str,
    book: SectorBook,
    notes: tuple[str, ...],
    secrets: Secrets,
    store: str | None,
    probe_first: bool = False,
) -> FundamentalsData:
    source = open_fundamentals_source(spec, secrets, store)
    if probe_first:
        source.probe(book.protocols)
    frame = source.protocol_activity(book.protocols)
    if frame.empty:
        raise SourceError(f"{source.label} has no activity for the protocols in {book.origin}")
    notes += tuple(source.notes)
    notes += _missing_notes(book, frame, source.unserved)
    labels = dict(source.labels) or {source.name: source.label}
    return FundamentalsData(frame, source.name, source.label, source.live, notes, labels)


def _missing_notes(
    book: SectorBook, frame: pd.DataFrame, unserved: Mapping[str, str]
) -> tuple[str, ...]:
    """The warning naming the protocols without rows, then why a source served none of some,
    each (one another source served too: a Dune query not found beside DefiLlama's rows)."""
    missing = [p.key for p in book.protocols if p.key not in set(frame[PROTOCOL])]
    said = (f"{NO_ACTIVITY} {len(missing)} protocol(s): {', '.join(missing)}",) if missing else ()
    return (*said, *unserved.values())
