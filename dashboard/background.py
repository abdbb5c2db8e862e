"""The dashboard's own collector: on live data it keeps the history store filled by itself.

A **thread of the server process**, started once per process and store (``st.cache_resource``),
not a child process:

- it lives and dies with the server: no orphan to reap when the server is killed, no PID file,
  nothing for ``aisector dashboard`` to supervise; a daemon thread ends with the process, and on
  a clean shutdown it is asked to stop and gives the store's lease up;
- the work is waiting (on the call budget, on upstream), so the GIL costs viewers nothing;
  the write transactions are short, and readers never wait for them (``aisector.store.engine``);
- what a child process would buy, isolation from a crash, the lease already gives: a server
  that dies stops renewing it and another collector (a second dashboard, ``collect --every``)
  takes over.

The thread runs ``aisector.apps.keeper.Keeper``: it takes the store's collector lease (so two
dashboards, or a cron ``aisector collect``, never double the upstream calls), backfills every
tracked coin newest first and coin by coin (charts fill in as rows land), then a round every
cache lifetime (``dashboard.cache.MARKET_TTL``). It has its own CoinGecko client with the
patient retry settings of the CLI, and leaves the viewers' own calls (a ping and one
``/coins/markets`` per cache lifetime) room in the plan's per-minute budget.
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from aisector.apps.alerts import RoundAlerts, round_alerts
from aisector.apps.collector import DEFAULT_BACKFILL_DAYS, activity_to_collect, collect_spec
from aisector.apps.keeper import Keeper, holder_name
from aisector.apps.notify import notify_urls
from aisector.core.errors import AisectorError
from aisector.core.sectors import SectorBook
from aisector.core.settings import redact
from aisector.sources.registry import open_source
from aisector.store import open_store
from connectors.base import CollectableSource, MarketSource, collectable
from connectors.compose import with_dex_fallback

log = logging.getLogger(__name__)

BACKFILL = pd.Timedelta(days=DEFAULT_BACKFILL_DAYS)
VIEWER_CALLS = 2  # a ping and one /coins/markets: what the viewers' cache asks per lifetime
STOP_WAIT = 5.0  # seconds a clean shutdown waits for the round in progress to stop


class BackgroundCollector:
    """One keeper thread for a store; ``start`` is idempotent, ``follow`` swaps the sectors file
    for the next round."""

    def __init__(self, store: str, spec: str, every: pd.Timedelta) -> None:
        self.store = store
        self.spec = collect_spec(spec)
        self.every = every
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.keeper: Keeper | None = None
        self.lines: list[str] = []  # the last rounds' lines, newest last
        self.started = 0.0  # monotonic time of the last start
        self._lock = threading.Lock()

    def start(self, book: SectorBook, secrets: Mapping[str, Any] | None) -> None:
        """Start the thread unless it runs (a thread that died is restarted at most once a
        round); else collect for ``book`` from the next round on. Never fails the page: a
        collector that cannot start says why in the server log."""
        with self._lock:
            if self.keeper is not None:
                self.keeper.book = book
            running = self.thread is not None and self.thread.is_alive()
            if running or (self.started and self._too_soon()):
                return
            self.started = time.monotonic()
            try:
                source = collector_source(self.spec, book, secrets)
            except AisectorError as error:
                self._say(f"the dashboard's collector cannot start: {error}")
                return
            alerts = self._alerts(book, secrets)
            self.thread = threading.Thread(
                target=self._run,
                args=(book, source, alerts, secrets),
                name="aisector-collector",
                daemon=True,
            )
            self.thread.start()
            atexit.register(self.close)

    def _too_soon(self) -> bool:
        return time.monotonic() - self.started < self.every.total_seconds()

    def close(self) -> None:
        """Ask the thread to stop (after its current chunk) and wait a little for it."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(STOP_WAIT)

    def _alerts(self, book: SectorBook, secrets: Mapping[str, Any] | None) -> RoundAlerts | None:
        """The alert check after each round, when ``AISECTOR_NOTIFY`` (environment or secrets)
        names targets; a broken setting is one line in the server log, and no alerts."""
        try:
            return round_alerts(None, book, notify_urls(secrets=secrets))
        except AisectorError as error:
            self._say(f"alerts off: {error}")
            return None

    def _run(
        self,
        book: SectorBook,
        source: MarketSource,
        alerts: RoundAlerts | None,
        secrets: Mapping[str, Any] | None,
    ) -> None:
        try:
            with open_store(self.store) as store:
                self.keeper = Keeper(
                    store,
                    source,
                    book,
                    holder_name("dashboard"),
                    BACKFILL,
                    self.every,
                    alerts=alerts,
                    activity=activity_to_collect(self.spec),
                    secrets=secrets,
                )
                self.keeper.run(self.stop, self._say, self._say)
        except AisectorError as error:  # the store cannot be written, say: one line
            self._say(f"the dashboard's collector stopped: {error}")
        except Exception:  # a bug must show in the server log, not vanish with the thread
            log.exception("the dashboard's collector stopped")

    def _say(self, line: str) -> None:
        line = redact(line)
        self.lines = [*self.lines[-9:], line]
        print(f"aisector collector: {line}", file=sys.stderr, flush=True)


def collector_source(
    spec: str, book: SectorBook, secrets: Mapping[str, Any] | None
) -> CollectableSource:
    """The collector's own live source, its budget short of what the viewers use."""
    source = collectable(with_dex_fallback(open_source(spec, secrets), book, secrets=secrets))
    source.leave_calls(VIEWER_CALLS)
    return source


@st.cache_resource(show_spinner=False)
def background_collector(store: str, spec: str, every_seconds: float) -> BackgroundCollector:
    """The one collector of this server process for ``store`` (created, not started)."""
    return BackgroundCollector(store, spec, pd.Timedelta(seconds=every_seconds))
