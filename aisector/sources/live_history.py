"""Live mode's frame: the history store's rows of the live source plus the newest live quotes.

The merge rule, in one place:

- Live wins: at the same (timestamp, coin) the live row replaces the stored one; no duplicates.
- No spliced rows: a live source's latest view also holds *look-back* rows, rebuilt from the
  source's own 24h/7d/30d changes (``connectors.payload.lookback_rows``). Such a row is dropped
  when the store holds an observation of that coin within the window's tolerance of its time
  (10% of the look-back, as DESIGN.md's as-of rule): there the stored history is what the
  window starts from. Where the store has nothing near, the look-back row stays, so an empty
  store is never worse than the live view alone.
- A coin's look-back rows are the rows of the latest view older than that coin's newest row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from aisector.core.periods import DEFAULT_TOLERANCE_SHARE
from aisector.core.schema import COIN_ID, TIMESTAMP, empty_market_frame, validate_market_frame
from aisector.core.sectors import Alias, SectorBook
from aisector.store import HistoryStore, open_existing
from connectors.compose import AliasedSource

STORED_AT = "stored_at"  # the nearest stored observation's time, while matching look-back rows


def merge_history(live: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """One validated frame: ``stored`` rows plus ``live`` ones, by the rule in the module doc."""
    if stored.empty:
        return live
    keep = ~_covered_lookbacks(live, stored)
    both = pd.concat([stored, live[keep]], ignore_index=True)
    both[COIN_ID] = both[COIN_ID].astype(str)
    both = both.drop_duplicates([TIMESTAMP, COIN_ID], keep="last")  # live rows come last
    return validate_market_frame(both)


def _covered_lookbacks(live: pd.DataFrame, stored: pd.DataFrame) -> pd.Series:
    """Which ``live`` rows are look-back rows with a stored observation of the coin near them."""
    newest = live.groupby(COIN_ID, observed=True)[TIMESTAMP].transform("max")
    lookback = live[TIMESTAMP] < newest
    if not lookback.any():
        return lookback
    rows = pd.DataFrame(
        {
            TIMESTAMP: live.loc[lookback, TIMESTAMP],
            COIN_ID: live.loc[lookback, COIN_ID].astype(str),
            "tolerance": (newest - live[TIMESTAMP])[lookback] * DEFAULT_TOLERANCE_SHARE,
        }
    ).sort_values(TIMESTAMP)
    seen = pd.DataFrame(
        {STORED_AT: stored[TIMESTAMP], COIN_ID: stored[COIN_ID].astype(str)}
    ).sort_values(STORED_AT)
    nearest = pd.merge_asof(
        rows.reset_index(),
        seen,
        left_on=TIMESTAMP,
        right_on=STORED_AT,
        by=COIN_ID,
        direction="nearest",
    ).set_index("index")
    near = (nearest[STORED_AT] - nearest[TIMESTAMP]).abs() <= nearest["tolerance"]
    covered = pd.Series(False, index=live.index)
    covered[near[near].index] = True
    return covered


class StoredRows:
    """One live source's rows in an open store, as a market source (what ``AliasedSource`` wraps
    so stored ids are renamed exactly as live ones are)."""

    live = False

    def __init__(self, store: HistoryStore, name: str) -> None:
        self.store = store
        self.name = name
        self.label = f"history store ({name})"

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        return self.store.read(coins, start, end, source=self.name)


def stored_history(book: SectorBook, source: str, url: str | None) -> pd.DataFrame:
    """The store's rows of ``source`` for the sectors file's coins, under the file's ids; empty
    when there is no store at ``url`` (default: ``--store`` / ``AISECTOR_STORE``) yet."""
    store = open_existing(url)
    if store is None:
        return empty_market_frame()
    with store:
        return read_under_own_ids(store, source, book.coins(), book.aliases())


def read_under_own_ids(
    store: HistoryStore,
    source: str,
    coins: Sequence[str],
    aliases: Mapping[str, tuple[Alias, ...]],
) -> pd.DataFrame:
    """``coins``' stored rows of ``source``, later ids renamed as live reads rename them."""
    rows = StoredRows(store, source)
    reader = AliasedSource(rows, aliases) if aliases else rows
    return reader.market_history(coins)


def history_label(label: str, since: pd.Timestamp | None) -> str:
    """The badge and provenance label: the live source, and since when history stands behind it."""
    return label if since is None else f"{label} · history since {since:%Y-%m-%d %H:%M}"
