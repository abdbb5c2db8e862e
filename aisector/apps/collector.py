"""``aisector collect``: a source's snapshot and its missing history, into the history store.

What is all-or-nothing: the snapshot is one transaction, and so is each backfill chunk (its rows
together with the mark that its range was fetched). A collector killed at any point leaves every
committed chunk in place and no half chunk; the next run sees the marks and fetches only what
is still missing, so a backfill resumes where it stopped.

Overlapping runs (cron every few minutes) are safe by transaction design, not by a run lock: the
database serialises write transactions (see ``aisector.store.engine``), upserts are idempotent, and each
chunk is re-checked just before it is fetched, so a chunk another run finished is skipped. A run
lock was not used because a hung run holding it would stop every later run.

What a collector asks of a source beyond ``market_history`` is ``connectors.base.
CollectableSource``: ``snapshot(coins)``, the current quotes; ``history_chunk``, the longest
range one request may ask; ``history_step``, the data's resolution (shorter gaps are not worth a
request); ``requests_made``, a running count of upstream requests; and ``history_not_found``,
the coins upstream answered 404 for, whose ranges are not marked fetched. The live sources
implement it; a file or simulation is read through ``HistoryOnly`` (no quotes, default limits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from aisector.apps.backfill import Chunk, Interval, backfill_plan, is_covered
from aisector.apps.progress import Progress
from aisector.core.errors import ConfigError
from aisector.core.schema import COIN_ID, TIMESTAMP
from aisector.core.sectors import Alias, SectorBook
from aisector.sources.fundamentals import LIVE, OFFLINE, load_fundamentals
from aisector.sources.market_data import AUTO, AUTO_CANDIDATES
from aisector.sources.registry import Secrets
from aisector.store import Fetched, HistoryStore, Origin
from connectors.base import CollectableSource, MarketSource, collectable

DEFAULT_BACKFILL_DAYS = 90
STORE_SOURCE = "store"
# a collect's market source -> the protocol activity collected beside it (simulated with
# simulated, live with live; a CSV file has none)
ACTIVITY_FOR = {"offline": OFFLINE, "coingecko": LIVE}


@dataclass(frozen=True)
class Collected:
    """What one collect did, for its one-line summary."""

    label: str
    coins: int
    rows_added: int
    requests: int
    missing: tuple[str, ...]  # coins the store holds no row of at all
    unquoted: tuple[str, ...] = ()  # coins the snapshot had no current quote for
    no_history: tuple[
        str, ...
    ] = ()  # coins whose history upstream did not find (asked again next run)

    def line(self) -> str:
        requests = f"{self.requests} request{'' if self.requests == 1 else 's'}"
        added = f"{self.rows_added:,} rows added"
        return f"collected {self.coins} coins from {self.label}: {added}, {requests}"

    def warnings(self) -> list[str]:
        """What the user must hear about coins, one line each: none stored, none quoted now."""
        unquoted = tuple(c for c in self.unquoted if c not in self.missing)
        said = [
            ("no data for", self.missing),
            ("no current quote for", unquoted),
            ("no history found upstream (asked again next run) for", self.no_history),
        ]
        return [f"{words} {len(c)} coin(s): {', '.join(c)}" for words, c in said if c]


@dataclass(frozen=True)
class ActivityCollected:
    """What one collect of protocol activity did, for its one-line summary."""

    label: str
    protocols: int  # protocols with rows
    rows_added: int
    warnings: tuple[str, ...] = ()

    def line(self) -> str:
        added = f"{self.rows_added:,} rows added"
        return f"collected activity of {self.protocols} protocols from {self.label}: {added}"


def activity_to_collect(spec: str) -> str | None:
    """The protocol activity source collected beside the market source ``spec`` (as
    ``collect_spec`` resolved it), or None."""
    return ACTIVITY_FOR.get(spec.strip().lower())


def collect_activity(
    store: HistoryStore, spec: str, book: SectorBook, secrets: Secrets = None
) -> ActivityCollected:
    """Every configured protocol's daily activity from ``spec`` into the store, in one
    transaction (an upsert: days already held are refreshed, never duplicated)."""
    data = load_fundamentals(spec, book, secrets, probe_first=True)
    added = store.write_activity(data.frame)
    protocols = data.frame["protocol"].nunique()
    return ActivityCollected(data.label, protocols, added, data.warnings)


def collect_spec(spec: str) -> str:
    """The source a collect reads: ``auto`` is the preferred source, never the store itself.

    No fallback: a collector that fell back to the offline market would write simulated rows
    into a store of live ones.
    """
    name = spec.strip().lower()
    if name.partition(":")[0] == STORE_SOURCE:
        raise ConfigError(
            "cannot collect from the store into itself; pass --source offline or csv:PATH"
        )
    if name == AUTO:
        return next(c for c in AUTO_CANDIDATES if c != STORE_SOURCE)
    return spec


def collect(
    store: HistoryStore,
    source: MarketSource,
    coins: Sequence[str],
    backfill: pd.Timedelta,
    now: pd.Timestamp,
    progress: Progress | None = None,
    aliases: Mapping[str, tuple[Alias, ...]] | None = None,
    coins_per_write: int | None = None,
) -> Collected:
    """Store the snapshot, then fill the history gaps of the last ``backfill``, chunk by chunk.

    A coin's later ids (``aliases``) are collected too, each row under the id upstream gave it
    (reading through ``AliasedSource`` renames them); a coin is missing or unquoted only when
    none of its ids has rows or a quote. ``coins_per_write`` caps the coins of one backfill
    write (the dashboard's collector writes coin by coin, so charts fill in as rows land)."""
    source = collectable(source)
    ids = {coin: (coin, *(a.id for a in (aliases or {}).get(coin, ()))) for coin in coins}
    fetched = tuple(dict.fromkeys(i for names in ids.values() for i in names))
    spent = source.requests_made
    origin = Origin(source.name, source.label, source.live)
    added, unquoted = _snapshot(store, source, origin, fetched)
    window = _window(source, fetched, backfill, now)
    if window is not None:
        covered = store.coverage(source.name, fetched)
        limits = (source.history_chunk, source.history_step)
        plan = backfill_plan(covered, window, *limits, coins_per_write)
        added += _backfill(store, source, origin, plan, progress or Progress("backfill"))
    have = set(store.coins_with_rows(source.name, fetched))
    lost = source.history_not_found

    def none_of_its_ids(among: set[str]) -> tuple[str, ...]:
        return tuple(c for c in coins if not set(ids[c]) - among)

    missing = none_of_its_ids(set(fetched) - have)
    requests = source.requests_made - spent
    counted = sum(1 for c in coins if set(ids[c]) & have)
    return Collected(
        origin.label,
        counted,
        added,
        requests,
        missing,
        none_of_its_ids(set(unquoted)),
        tuple(i for i in fetched if i in lost),
    )


def _snapshot(
    store: HistoryStore, source: CollectableSource, origin: Origin, coins: Sequence[str]
) -> tuple[int, tuple[str, ...]]:
    """The source's current quotes, in one transaction: rows added, and the coins it had no
    quote for (upstream dropped them, or sent no price). Sources without quotes have none."""
    quotes = source.snapshot(coins)
    if quotes is None:
        return 0, ()
    quoted = set(quotes[COIN_ID].astype(str))
    return store.write(quotes, origin), tuple(c for c in coins if c not in quoted)


def _window(
    source: MarketSource, coins: Sequence[str], backfill: pd.Timedelta, now: pd.Timestamp
) -> Interval | None:
    """The history to hold: ``backfill`` up to now (a file or simulation: up to its newest row)."""
    if backfill <= pd.Timedelta(0):
        return None
    end = now if source.live else source.market_history(coins)[TIMESTAMP].max()
    return None if pd.isna(end) else (end - backfill, end)


def _backfill(
    store: HistoryStore,
    source: CollectableSource,
    origin: Origin,
    plan: list[Chunk],
    progress: Progress,
) -> int:
    """Fetch and commit each chunk in turn; a chunk another run finished meanwhile is skipped."""
    added = 0
    progress.start(len(plan))
    for chunk in plan:
        coverage = store.coverage(origin.name, chunk.coins)
        coins = tuple(c for c in chunk.coins if not is_covered(coverage[c], chunk))
        if coins:
            frame = source.market_history(coins, chunk.start, chunk.end)
            lost = source.history_not_found
            found = tuple(c for c in coins if c not in lost)  # a 404 is not "nothing there"
            added += store.write(frame, origin, Fetched(found, chunk.start, chunk.end))
        progress.advance(added)
    progress.finish()
    return added
