"""The interfaces every market-data and protocol-activity source implements, and what the
live ones share."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence, Set
from types import MappingProxyType
from typing import Any, Protocol, Self, runtime_checkable

import pandas as pd
import requests

from aisector.core.errors import AisectorError
from aisector.core.schema import (
    COIN_ID,
    TIMESTAMP,
    empty_fundamentals_frame,
    validate_fundamentals_frame,
    validate_market_frame,
)
from aisector.core.sectors import TrackedProtocol
from aisector.core.settings import read_setting, redact
from connectors.http import (
    Clock,
    HttpClient,
    RetryPolicy,
    Sleep,
    configured_client,
    open_session,
)
from connectors.payload import history_range, with_lookbacks

log = logging.getLogger(__name__)

JSON_HEADERS = {"accept": "application/json"}


class MarketSource(Protocol):
    """A source of market data in the tidy frame of ``aisector.core.schema``."""

    name: str  # short id written into every frame's ``source`` column and every export
    label: str  # what the UI badge and export provenance say, e.g. "offline – simulated market"
    live: bool  # True when the data comes from a live upstream service

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Validated tidy rows for ``coins`` between ``start`` and ``end`` (inclusive, UTC)."""
        ...


class FundamentalsSource(Protocol):
    """A source of protocol activity in the fundamentals frame of ``aisector.core.schema``.
    Implementations subclass it for the defaults below: nothing to probe, no notes, nothing
    unserved, every row served under the source's own name."""

    name: str  # short id written into every row's ``data_source``, e.g. "offline", "defillama"
    label: str  # what the UI badge and export provenance say, e.g. "offline – simulated activity"
    live: bool
    notes: Sequence[str] = ()  # one-line warnings of what could not serve while the rest did
    unserved: Mapping[str, str] = MappingProxyType({})  # protocol -> why it served none of it
    # data_source -> label when the rows carry other names than ``name`` (empty: they do not)
    labels: Mapping[str, str] = MappingProxyType({})

    def protocol_activity(self, protocols: Sequence[TrackedProtocol]) -> pd.DataFrame:
        """Validated daily rows (UTC days) of ``protocols``; a protocol the source knows nothing
        of has no rows."""
        ...

    def probe(self, protocols: Sequence[TrackedProtocol]) -> None:
        """One quick question before the retried requests, raising our error when the source is
        not usable now (a dead network costs seconds); files and simulations have none to ask."""


@runtime_checkable
class CollectableSource(MarketSource, Protocol):
    """What a collector asks of a source beyond its history: the live connectors, ``DexFallback``
    and an ``AliasedLiveSource`` implement it by name. Files and simulations do not; a collector
    reads them through ``HistoryOnly`` (see ``collectable``)."""

    history_chunk: pd.Timedelta  # the longest range one history request may ask
    history_step: pd.Timedelta  # the data's resolution: a shorter gap is not worth a request
    requests_made: int  # upstream requests so far, retries included
    # coins whose history upstream answered "not found" (404) for so far: a collector must not
    # mark their ranges fetched, or it would never ask again
    history_not_found: Set[str]

    def snapshot(self, coins: Sequence[str]) -> pd.DataFrame | None:
        """Current quotes as tidy rows; None when the source has no "now" (a file)."""
        ...

    def leave_calls(self, calls: float) -> None:
        """Leave ``calls`` a minute of the upstream budget to other clients (the dashboard's
        viewers, beside its collector)."""
        ...


DEFAULT_HISTORY_CHUNK = pd.Timedelta(days=90)
DEFAULT_HISTORY_STEP = pd.Timedelta(hours=1)


class WrappedSource:
    """A source around another one: it answers to the inner source's name, label and liveness
    (the label read late: a store names what it served only after reading), and serves its
    history unless a subclass changes how."""

    def __init__(self, inner: MarketSource) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def label(self) -> str:
        return self.inner.label

    @property
    def live(self) -> bool:
        return self.inner.live

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """The inner source's rows."""
        return self.inner.market_history(coins, start, end)


class HistoryOnly(WrappedSource):
    """A file or simulation as a collector sees it: history in 90-day chunks at hourly steps, no
    current quotes, no upstream requests, nothing "not found"."""

    history_chunk = DEFAULT_HISTORY_CHUNK
    history_step = DEFAULT_HISTORY_STEP
    requests_made = 0
    history_not_found: Set[str] = frozenset()

    def snapshot(self, coins: Sequence[str]) -> None:
        """No current quotes: a file's newest row is history, not "now"."""
        return None

    def leave_calls(self, calls: float) -> None:
        """No upstream, no budget to share."""


def collectable(source: MarketSource) -> CollectableSource:
    """``source`` as a collector reads it: itself when it offers quotes and limits, else history
    only. A live source that does not offer them is a programming error, said loudly."""
    if isinstance(source, CollectableSource):
        return source
    if source.live:
        raise TypeError(f"{type(source).__name__} is live but does not implement CollectableSource")
    return HistoryOnly(source)


def clip_to_range(
    frame: pd.DataFrame,
    coins: Sequence[str],
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.DataFrame:
    """Rows of ``coins`` with timestamps in [start, end]; shared by file-like sources."""
    keep = frame[COIN_ID].isin(list(coins))
    if start is not None:
        keep &= frame[TIMESTAMP] >= start
    if end is not None:
        keep &= frame[TIMESTAMP] <= end
    return frame[keep].reset_index(drop=True)


class ActivityConnector(FundamentalsSource):
    """What the live activity connectors (DefiLlama, Dune) share: their settings, a client on a
    base URL, and a protocol's own failure kept in ``unserved`` while the others serve; when none
    serves, those failures are the error.

    Subclasses provide ``name``, ``label``, ``upstream``, ``url_setting``, ``default_url``,
    ``calls_per_minute``, ``protocol_failures``, ``configured(protocols)`` and
    ``protocol_rows(protocol)``; ``open_session`` adds a key.
    """

    live = True
    upstream: str  # how messages name the service, e.g. "DefiLlama"
    url_setting: str  # the setting holding the base URL, e.g. "DEFILLAMA_API_URL"
    default_url: str
    calls_per_minute: float
    protocol_failures: tuple[type[AisectorError], ...]  # errors that cost one protocol only

    def __init__(self, http: HttpClient, base_url: str | None = None) -> None:
        self.http = http
        self.base_url = (base_url or self.default_url).rstrip("/")
        self.unserved: dict[str, str] = {}

    @classmethod
    def from_settings(
        cls,
        environ: Mapping[str, str] | None = None,
        secrets: Mapping[str, Any] | None = None,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        retry: RetryPolicy | None = None,
    ) -> Self:
        """Configured from the environment (else ``secrets``): URL, key, timeout and retries."""
        base_url = read_setting(cls.url_setting, environ, secrets)
        session = cls.open_session(environ, secrets)
        http = configured_client(
            cls.upstream,
            session,
            cls.calls_per_minute,
            environ,
            secrets,
            clock=clock,
            sleep=sleep,
            retry=retry,
        )
        return cls(http, base_url)

    @classmethod
    def open_session(
        cls, environ: Mapping[str, str] | None, secrets: Mapping[str, Any] | None
    ) -> requests.Session:
        """The session every request goes through (a keyless one by default)."""
        return open_session(JSON_HEADERS)

    @abstractmethod
    def configured(self, protocols: Sequence[TrackedProtocol]) -> list[TrackedProtocol]:
        """The protocols the sectors file points at this service for."""

    @abstractmethod
    def protocol_rows(self, protocol: TrackedProtocol) -> pd.DataFrame:
        """One protocol's rows as tidy fundamentals columns; its own failure names it."""

    def protocol_activity(self, protocols: Sequence[TrackedProtocol]) -> pd.DataFrame:
        """Validated daily rows of the configured protocols; one whose own request or data fails
        has no rows (see ``unserved``); when none serves, their failures are the error."""
        pieces, failures = [], []
        for protocol in self.configured(protocols):
            try:
                pieces.append(self.protocol_rows(protocol))
            except self.protocol_failures as error:
                failures.append(error)
                self.unserved[protocol.key] = str(error)
                log.info("%s", redact(str(error)))
        frame = (
            validate_fundamentals_frame(pd.concat(pieces, ignore_index=True), self.name)
            if pieces
            else empty_fundamentals_frame()
        )
        if frame.empty and failures:
            raise type(failures[0])("; ".join(str(f) for f in failures))
        return frame


class QuoteSource(ABC, CollectableSource):
    """What the live sources share: ``market_history`` is the latest view when no range is given
    (current quotes plus the rows the source's own changes imply at 24h/7d/30d), else history.

    Subclasses provide ``name``, ``http``, ``history_chunk``, ``history_step``, an empty
    ``_not_found`` set, ``_quotes(coins, as_of)`` and ``history(coins, start, end)``.
    """

    name: str
    http: HttpClient
    _not_found: set[str]  # coins whose history upstream answered 404 for

    @property
    def requests_made(self) -> int:
        """Upstream requests so far, retries included (the collector reports them)."""
        return self.http.requests_made

    def leave_calls(self, calls: float) -> None:
        """Leave ``calls`` a minute of this upstream's budget to other clients."""
        self.http.leave_calls(calls)

    @property
    def history_not_found(self) -> Set[str]:
        """Coins whose history upstream answered 404 for so far."""
        return frozenset(self._not_found)

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """The latest view when no range is given, else hourly history."""
        span = history_range(start, end, self.http.clock())
        return self.latest(coins) if span is None else self.history(coins, *span)

    def snapshot(self, coins: Sequence[str], as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """Current quotes as tidy rows filed under ``as_of`` (default: this minute)."""
        return validate_market_frame(self._quotes(coins, as_of), self.name)

    def latest(self, coins: Sequence[str], as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """Current quotes plus the rows their upstream changes imply earlier, so every window's
        move comes out of the same calls."""
        return validate_market_frame(with_lookbacks(self._quotes(coins, as_of)), self.name)

    @abstractmethod
    def history(self, coins: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Hourly tidy rows in [start, end]."""

    @abstractmethod
    def _quotes(self, coins: Sequence[str], as_of: pd.Timestamp | None) -> pd.DataFrame:
        """Current quotes as tidy columns, stamped ``as_of``."""
