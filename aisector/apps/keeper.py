"""Keeping the history store filled: collect rounds under the store's collector lease.

One process collects for a store at a time, whoever starts it: a dashboard's own collector
(``dashboard.background``), ``aisector collect --every 5m`` under systemd, or a cron
``aisector collect``. Each takes the store's ``collector`` lease (``aisector.store.lease``) before a round
and renews it after every chunk it writes; the others find it held and only read. A lease, not
a lock held open: it lives in the store the collectors already share (SQLite file or
PostgreSQL), needs no extra service, survives no process (a holder that dies loses it when it
expires, or at once to a taker on the same host that sees its process gone), and a renewal
that finds the lease taken over stops the round after its last whole write.

A round is ``aisector.apps.collector.collect``: the snapshot, then the gaps of the backfill window,
newest first and resumable (the store's fetched marks), within the source's call budget.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from aisector.apps.backfill import gaps
from aisector.apps.collector import ActivityCollected, Collected, collect, collect_activity
from aisector.apps.progress import Progress
from aisector.core.errors import AisectorError
from aisector.core.sectors import SectorBook
from aisector.sources.registry import Secrets
from aisector.store import HistoryStore, open_existing
from aisector.store.lease import COLLECTOR, Lease
from connectors.base import MarketSource

if TYPE_CHECKING:  # apprise loads only where alerts are configured
    from aisector.apps.alerts import RoundAlerts

DEFAULT_EVERY = pd.Timedelta(minutes=5)  # the dashboard's market cache lifetime
LEASE_ROUNDS = 3  # a lease outlives this many rounds unrenewed before another may take it
MIN_LEASE = pd.Timedelta(minutes=2)  # ...and never less: a slow chunk must not lose it
COVERED_SLACK = pd.Timedelta(hours=2)  # the newest hours are the snapshots' job, not backfill's
HOURLY = pd.Timedelta(hours=1)
ACTIVITY_EVERY = pd.Timedelta(hours=1)  # protocol activity is daily: hourly rounds keep it fresh
_HOLDER = re.compile(r" (?P<host>[^ ]+):(?P<pid>\d+)$")

Clock = Callable[[], pd.Timestamp]


class LeaseLost(AisectorError):
    """Another collector took the lease over mid-round: this round stops after its last write,
    and later rounds only read while the other holds it."""


class Stopped(AisectorError):
    """The keeper was asked to stop mid-round; every whole write stays."""


def holder_name(role: str) -> str:
    """Who holds a lease, as the store and messages show it: role, host and process id."""
    return f"{role} {socket.gethostname()}:{os.getpid()}"


def lease_ttl(every: pd.Timedelta) -> pd.Timedelta:
    """How long a lease lasts unrenewed: a few rounds, at least ``MIN_LEASE``."""
    return max(every * LEASE_ROUNDS, MIN_LEASE)


def now_utc() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


@dataclass(frozen=True)
class Round:
    """What one round did: collected (``done``) or found the lease with another (``lease``)."""

    at: pd.Timestamp
    done: Collected | None = None
    lease: Lease | None = None
    activity: ActivityCollected | None = None  # protocol activity, when collected this round
    activity_failure: str | None = None  # why it was not, when it failed

    def line(self) -> str:
        """One line per round, for logs: the time, then what was collected or who collects."""
        at = f"{self.at:%Y-%m-%d %H:%M:%S} UTC"
        if self.done is not None:
            activity = f"; {self.activity.line()}" if self.activity is not None else ""
            return f"{at} {self.done.line()}{activity}"
        return f"{at} {self.line_of_lease()}; only reading"

    def warnings(self) -> list[str]:
        """What the user must hear, one line each: coins without data, then protocol activity
        that failed or came with notes (a failure there never fails the round)."""
        said = self.done.warnings() if self.done is not None else []
        said += list(self.activity.warnings) if self.activity is not None else []
        failure = self.activity_failure
        return said + ([f"protocol activity not collected: {failure}"] if failure else [])

    def line_of_lease(self) -> str:
        """Who holds the lease, when this round found it held."""
        return self.lease.line() if self.lease is not None else "the lease is held elsewhere"


class LeasedProgress(Progress):
    """Progress that renews the lease after each chunk, and stops the round when asked to."""

    def __init__(
        self,
        store: HistoryStore,
        holder: str,
        ttl: pd.Timedelta,
        stop: threading.Event,
        clock: Clock,
        inner: Progress | None = None,
    ) -> None:
        inner = inner or Progress("collect")
        super().__init__(inner.title, inner.stream)
        self.enabled = inner.enabled
        self.store, self.holder, self.ttl, self.stop, self.clock = store, holder, ttl, stop, clock

    def advance(self, rows: int) -> None:
        super().advance(rows)
        if self.stop.is_set():
            raise Stopped("stopped mid-round; the next start resumes the backfill")
        lease = self.store.take_lease(COLLECTOR, self.holder, self.clock(), self.ttl)
        if not lease.held_by(self.holder):
            raise LeaseLost(f"{lease.line()}; this round stops after its last write")


def take_lease(store: HistoryStore, holder: str, now: pd.Timestamp, ttl: pd.Timedelta) -> Lease:
    """The collector lease for ``holder`` if free, expired, ours, or left by a dead process of
    this host; else the lease as another holds it."""
    lease = store.take_lease(COLLECTOR, holder, now, ttl)
    if lease.held_by(holder) or not _gone(lease.holder):
        return lease
    return store.take_lease(COLLECTOR, holder, now, ttl, replace=lease.holder)


def _gone(holder: str) -> bool:
    """Whether ``holder`` names a process of this host that no longer runs."""
    found = _HOLDER.search(holder)
    if found is None or found["host"] != socket.gethostname():
        return False
    try:
        os.kill(int(found["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


@dataclass
class Keeper:
    """Collect rounds for one store and sectors file, as ``holder``, every ``every``."""

    store: HistoryStore
    source: MarketSource
    book: SectorBook
    holder: str
    backfill: pd.Timedelta
    every: pd.Timedelta = DEFAULT_EVERY
    coins_per_write: int | None = 1
    clock: Clock = now_utc
    progress: Progress | None = None
    alerts: RoundAlerts | None = None  # checked after each round that collected, when configured
    activity: str | None = None  # protocol activity source collected beside (``activity_to_collect``)
    secrets: Secrets = None  # Streamlit's, backing up the environment for keys
    activity_due: pd.Timestamp | None = field(default=None, init=False)  # next activity collect

    def round(self, stop: threading.Event | None = None) -> Round:
        """One round: take or renew the lease, then collect; or report who holds it."""
        now = self.clock()
        ttl = lease_ttl(self.every)
        lease = take_lease(self.store, self.holder, now, ttl)
        if not lease.held_by(self.holder):
            return Round(now, lease=lease)
        progress = LeasedProgress(
            self.store, self.holder, ttl, stop or threading.Event(), self.clock, self.progress
        )
        done = collect(
            self.store,
            self.source,
            self.book.coins(),
            self.backfill,
            now,
            progress,
            self.book.aliases(),
            self.coins_per_write,
        )
        return Round(now, done, **self._activity_round(now))

    def _activity_round(self, now: pd.Timestamp) -> dict[str, object]:
        """Protocol activity into the store when due (at most every ``ACTIVITY_EVERY``); a
        failure is kept for one warning line and retried next round."""
        if self.activity is None or not self.book.protocols:
            return {}
        if self.activity_due is not None and now < self.activity_due:
            return {}
        try:
            done = collect_activity(self.store, self.activity, self.book, self.secrets)
        except AisectorError as error:
            return {"activity_failure": str(error)}
        self.activity_due = now + ACTIVITY_EVERY
        return {"activity": done}

    def run(
        self,
        stop: threading.Event,
        report: Callable[[str], None],
        warn: Callable[[str], None] | None = None,
    ) -> None:
        """Rounds every ``every`` until ``stop`` is set (or ``Stopped`` is raised in it, as a
        SIGTERM handler does); one ``report`` line each, problems to ``warn``. A failed round
        (upstream down, store busy) is one line and the next round tries again. Gives the lease
        up at the end."""
        warn = warn or report
        try:
            while not stop.is_set():
                started = self.clock()
                try:
                    done = self.round(stop)
                    report(done.line())
                    for line in done.warnings():
                        warn(line)
                    if done.done is not None:
                        self._check_alerts(report, warn)
                except Stopped:
                    raise
                except AisectorError as error:  # LeaseLost too: the next round only reads
                    warn(f"{self.clock():%Y-%m-%d %H:%M:%S} UTC round failed: {error}")
                rest = self.every - (self.clock() - started)
                stop.wait(max(rest.total_seconds(), 0.0))
        except Stopped:
            pass
        finally:
            self.store.release_lease(COLLECTOR, self.holder)

    def _check_alerts(self, report: Callable[[str], None], warn: Callable[[str], None]) -> None:
        """The alert rules on what this round stored: one line per alert sent, problems warned;
        a failed check never stops the collector."""
        if self.alerts is None:
            return
        try:
            result = self.alerts.check(self.store, self.book, self.source)
        except AisectorError as error:
            warn(f"alert check failed: {error}")
            return
        for alert in result.alerts:
            report(alert.line())
        for line in result.warnings:
            warn(line)


def covered_coins(
    store: HistoryStore,
    source: str,
    book: SectorBook,
    backfill: pd.Timedelta,
    now: pd.Timestamp,
    step: pd.Timedelta = HOURLY,
) -> int:
    """How many of the sectors file's coins have their backfill window fetched (under any of
    their ids), the newest ``COVERED_SLACK`` apart: the badge's "history 12 of 31 coins"."""
    aliases = book.aliases()
    ids = {c: (c, *(a.id for a in aliases.get(c, ()))) for c in book.coins()}
    coverage = store.coverage(source, [i for names in ids.values() for i in names])
    window = (now - backfill, now - COVERED_SLACK)
    return sum(
        1 for names in ids.values() if any(not gaps(window, coverage[i], step) for i in names)
    )


@dataclass(frozen=True)
class HistoryStatus:
    """How far the store's history of a live source is: what the badge shows, and what tells
    cached views to read the store again (``revision`` changes whenever rows land)."""

    covered: int  # coins whose backfill window is fetched
    # coins the store holds rows of (all the sectors file's before the first snapshot): a coin
    # upstream has never served (not listed) cannot be filled, and the loader names it already
    total: int
    newest: pd.Timestamp | None  # the newest stored row of these coins

    @property
    def complete(self) -> bool:
        return self.covered >= self.total

    @property
    def revision(self) -> str:
        return f"{self.newest}|{self.covered}"

    def progress(self) -> str:
        """E.g. "history 12 of 31 coins"."""
        return f"history {self.covered} of {self.total} coins"


def read_history_status(
    url: str | None, source: str, book: SectorBook, backfill: pd.Timedelta, now: pd.Timestamp
) -> HistoryStatus:
    """The store's history of ``source`` for the sectors file's coins (nothing yet when there is
    no store at ``url``)."""
    total = len(book.coins())
    store = open_existing(url)
    if store is None:
        return HistoryStatus(0, total, None)
    with store:
        aliases = book.aliases()
        names = {c: {c, *(a.id for a in aliases.get(c, ()))} for c in book.coins()}
        ids = [i for each in names.values() for i in each]
        served = set(store.coins_with_rows(source, ids))
        tracked = sum(1 for each in names.values() if each & served) or total
        covered = covered_coins(store, source, book, backfill, now)
        return HistoryStatus(covered, tracked, store.newest(source, ids))
